"""Test fixtures: a fresh PostgreSQL database per test session, migrated with Alembic
and used through the non-owner app role; every test starts from empty tables.

TEST_DATABASE_URL (a superuser URL, e.g. the machine's server) is used when set,
else an embedded PostgreSQL in a temporary folder.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from helpers import APP_ROLE, OWNER_ROLE, UNIT_TEST_CONFIG, SmtpServer, app_env
from sqlalchemy import create_engine, text

from autoproces.platform.config import database_url
from autoproces.platform.embedded import ensure_login_role, start_server, with_user_and_db
from autoproces.platform.migrate import upgrade

# Fixtures shared across folders: alpha_everywhere (a row in every tenant-owned table).
pytest_plugins = ["tenant_world"]


@dataclass(frozen=True)
class Database:
    admin_url: str  # superuser, on the server's maintenance database
    su_url: str  # superuser, on the test database (for checks that must see every row)
    owner_url: str  # the owner (migration) role, on the test database
    app_url: str  # the app role, on the test database
    name: str


@pytest.fixture(scope="session")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    admin_url = database_url(os.environ.get("TEST_DATABASE_URL"))
    if admin_url is None:
        admin_url = start_server(tmp_path_factory.mktemp("pg") / "data")
    name = f"autoproces_test_{uuid.uuid4().hex[:10]}"
    ensure_login_role(admin_url, APP_ROLE)
    ensure_login_role(admin_url, OWNER_ROLE)
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" OWNER {OWNER_ROLE}'))
    admin.dispose()
    db = Database(
        admin_url=admin_url,
        su_url=with_user_and_db(admin_url, _user(admin_url), name),
        owner_url=with_user_and_db(admin_url, OWNER_ROLE, name),
        app_url=with_user_and_db(admin_url, APP_ROLE, name),
        name=name,
    )
    upgrade(db.owner_url, APP_ROLE)
    yield db
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _user(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).username or "postgres"


@pytest.fixture(scope="session")
def owner_engine(database: Database):
    engine = create_engine(database.owner_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def su_engine(database: Database):
    engine = create_engine(database.su_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def app_engine(database: Database):
    engine = create_engine(database.app_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def app(database: Database):
    from autoproces.platform.app import create_app

    # CSRF and rate limits have their own tests (and the browser tests run with both on).
    return create_app(app_env(database), **UNIT_TEST_CONFIG)


@pytest.fixture(scope="session")
def demo_app(database: Database):
    from autoproces.platform.app import create_app

    return create_app(app_env(database, AUTOPROCES_DEMO="1"), **UNIT_TEST_CONFIG)


@pytest.fixture(autouse=True)
def _empty_tables(request: pytest.FixtureRequest) -> Iterator[None]:
    uses_db = "database" in request.fixturenames
    engine = request.getfixturevalue("su_engine") if uses_db else None
    yield
    if engine is None:
        return
    with engine.begin() as conn:
        tables = conn.scalars(
            text(
                "select tablename from pg_tables where schemaname = 'public'"
                " and tablename <> 'alembic_version'"
            )
        ).all()
    if tables:
        _truncate(engine, tables)


def _truncate(engine, tables: list[str]) -> None:
    """Empty `tables`: DELETE with foreign keys and triggers off (a superuser, so no RLS
    either) costs a few ms where TRUNCATE costs 40 (new files for every table), after each of
    hundreds of tests. A browser's last request may still be using them as a test ends, which
    can deadlock: then try again shortly after."""
    import time

    from sqlalchemy.exc import OperationalError

    for attempt in range(5):
        try:
            with engine.begin() as conn:
                conn.execute(text("SET LOCAL session_replication_role = replica"))
                for table in tables:
                    conn.execute(text(f'DELETE FROM "{table}"'))
            return
        except OperationalError as e:
            if "deadlock detected" not in str(e) or attempt == 4:
                raise
            time.sleep(0.2 * (attempt + 1))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class Factory:
    """Makes committed rows through the services, as the app would."""

    def __init__(self, app) -> None:
        self.app = app

    def tenant(self, slug: str = "alpha", name: str | None = None, **kw):
        from autoproces.platform.db import db
        from autoproces.platform.tenancy import create_tenant

        with self.app.app_context():
            tenant = create_tenant(slug, name or f"{slug.title()} Kommune", **kw)
            db.session.commit()
            return _detached(tenant)

    def user(self, tenant, role: str = "employee", email: str | None = None, name: str = ""):
        from autoproces.platform.db import db
        from autoproces.platform.identity.services import create_user
        from autoproces.platform.tenancy import activate_tenant, tenant_by_slug

        with self.app.app_context():
            t = tenant_by_slug(tenant.slug)
            activate_tenant(t)
            email = email or f"{role}.{uuid.uuid4().hex[:6]}@{tenant.slug}.dk"
            user = create_user(t, email, name or f"{role.title()} {tenant.slug}", [role])
            db.session.commit()
            return _detached(user)

    def token(self, user) -> str:
        from autoproces.platform.db import db, use_tenant
        from autoproces.platform.identity.models import User
        from autoproces.platform.identity.services import create_token

        with self.app.app_context():
            use_tenant(user.tenant_id)
            u = db.session.get(User, (user.tenant_id, user.id))
            _token, secret = create_token(u, "test")
            db.session.commit()
            return secret

    def operator(self, email: str = "ops@os2.dk"):
        """A local operator (password and TOTP; the console's login has its own tests)."""
        from autoproces.platform.db import db
        from autoproces.platform.operator.services import create_local_operator

        with self.app.app_context():
            operator = create_local_operator(email).operator
            db.session.commit()
            return _detached(operator)

    def process(self, user, **data):
        from autoproces.platform.db import db, use_tenant
        from autoproces.platform.identity.models import User
        from autoproces.tenants.processes.services import create_process

        data.setdefault("title", "Automatisk journalisering")
        data.setdefault("summary", "Indgående post journaliseres automatisk.")
        with self.app.app_context():
            use_tenant(user.tenant_id)
            u = db.session.get(User, (user.tenant_id, user.id))
            if data.get("phase", "idea") != "idea":
                # What the later phases need (phases.PHASE_REQUIREMENTS), unless given.
                from datetime import date

                from autoproces.tenants.processes.queries import list_domains

                for key, value in {
                    "domain_ids": [list_domains(user.tenant_id)[0].id],
                    "occurrences_per_year": 1000,
                    "minutes_per_occurrence": 10,
                    "automation_share_pct": 80,
                    "owner_id": user.id,
                    "contact_id": user.id,
                    "technologies": ["RPA"],
                    "put_into_operation_at": date(2026, 1, 1),
                    "run_schedule": "daily",
                    "decommissioned_at": date(2026, 6, 1),
                }.items():
                    data.setdefault(key, value)
            process = create_process(u, data)
            db.session.commit()
            return _detached(process)


def _detached(obj):
    """Load every column, then let the object outlive its session."""
    from sqlalchemy import inspect

    from autoproces.platform.db import db

    for attr in inspect(obj).mapper.column_attrs:
        getattr(obj, attr.key)
    db.session.expunge(obj)
    return obj


@pytest.fixture
def make(app) -> Factory:
    return Factory(app)


@pytest.fixture
def smtp():
    """A real SMTP server (aiosmtpd) on loopback for the test."""
    server = SmtpServer()
    server.start()
    yield server
    server.stop()

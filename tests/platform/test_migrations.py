"""The migration history: it goes up, down to nothing, and up again, on a scratch database."""

from __future__ import annotations

import uuid

from alembic import command
from helpers import OWNER_ROLE
from sqlalchemy import create_engine, text

from autoproces.platform.embedded import with_user_and_db
from autoproces.platform.migrate import alembic_config, head_revision


def test_upgrade_downgrade_upgrade(database):
    name = f"autoproces_mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(database.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" OWNER {OWNER_ROLE}'))
    url = with_user_and_db(database.admin_url, OWNER_ROLE, name)
    try:
        cfg = alembic_config(url, "autoproces_app")
        command.upgrade(cfg, "head")
        command.downgrade(cfg, "base")
        engine = create_engine(url)
        with engine.connect() as conn:
            assert (
                conn.scalar(
                    text(
                        "select count(*) from pg_tables where schemaname = 'public'"
                        " and tablename <> 'alembic_version'"
                    )
                )
                == 0
            )
        command.upgrade(cfg, "head")
        with engine.connect() as conn:
            assert conn.scalar(text("select version_num from alembic_version")) == head_revision()
        engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

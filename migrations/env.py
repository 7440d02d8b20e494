"""Alembic environment: runs as the owner role, in one transaction, under a lock."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool, text

config = context.config


def run_migrations_online() -> None:
    engine = create_engine(config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, transaction_per_migration=False)
        with context.begin_transaction():
            # Two migration jobs at once (two pods starting) must not interleave.
            connection.execute(text("select pg_advisory_xact_lock(7263511)"))
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit(
        "Offline (SQL script) migrations are not supported; run `autoproces db upgrade`."
    )
run_migrations_online()

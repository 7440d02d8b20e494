"""Alembic, driven from code: one migration history for all components."""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory


def migrations_dir() -> Path:
    spec = importlib.util.find_spec("autoproces.migrations")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the autoproces.migrations package is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def alembic_config(url: str | None = None, app_role: str = "autoproces_app") -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["app_role"] = app_role
    return cfg


def upgrade(url: str, app_role: str, revision: str = "head") -> None:
    """Migrate the database at `url` (the owner role) and grant `app_role` its rights."""
    command.upgrade(alembic_config(url, app_role), revision)


@functools.cache
def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()

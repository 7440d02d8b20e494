"""Small helpers the tests share."""

from __future__ import annotations

import tempfile
from pathlib import Path


def login(client, user) -> None:
    """Log `user` in on `client` (a Flask-Login session for the user's tenant)."""
    with client.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
        sess["_fresh"] = True


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


REPO_ROOT = Path(__file__).resolve().parent.parent


def app_env(database, **extra: str) -> dict[str, str]:
    env = {
        "DATABASE_URL": database.app_url,
        "MIGRATION_DATABASE_URL": database.owner_url,
        "SECRET_KEY": "test-secret-key",
        "AUTOPROCES_INSTANCE_PATH": tempfile.mkdtemp(prefix="autoproces-instance-"),
    }
    env.update(extra)
    return env

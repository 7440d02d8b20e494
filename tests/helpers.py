"""Small helpers the tests share."""

from __future__ import annotations

from pathlib import Path


def login(client, user) -> None:
    """Log `user` in on `client` (a Flask-Login session for the user's tenant)."""
    with client.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
        sess["_fresh"] = True


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


REPO_ROOT = Path(__file__).resolve().parent.parent

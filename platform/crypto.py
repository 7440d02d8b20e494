"""Secrets at rest (identity providers' client secrets, operators' TOTP seeds).

Fernet with keys from AUTOPROCES_ENCRYPTION_KEY: a comma-separated list, the first
encrypts and all decrypt, so a key can be rotated. The demo keeps a key in its
instance folder; elsewhere the key must come from the environment.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app


class EncryptionUnavailable(RuntimeError):
    """No key is configured, or the stored value cannot be decrypted with the keys."""


def demo_key(instance_path: Path) -> str:
    """The demo's key, made once and kept in the instance folder."""
    path = instance_path / "encryption.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(Fernet.generate_key().decode())
        path.chmod(0o600)
    return path.read_text().strip()


def _fernet() -> MultiFernet:
    configured = current_app.config.get("ENCRYPTION_KEYS", "")
    keys = [k.strip() for k in configured.split(",") if k.strip()]
    if not keys:
        raise EncryptionUnavailable(
            "Set AUTOPROCES_ENCRYPTION_KEY (a Fernet key) to store secrets."
        )
    try:
        return MultiFernet([Fernet(k.encode()) for k in keys])
    except ValueError as e:
        raise EncryptionUnavailable(
            f"AUTOPROCES_ENCRYPTION_KEY is not a valid Fernet key: {e}"
        ) from None


def encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise EncryptionUnavailable(
            "a stored secret cannot be decrypted with the configured keys"
        ) from None

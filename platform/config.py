"""Configuration, read once from environment variables (12-factor)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

TRUE_VALUES = {"1", "true", "yes", "on"}


class ConfigError(RuntimeError):
    """Raised when the environment does not describe a runnable app."""


def database_url(url: str | None) -> str | None:
    """Use psycopg2 for plain PostgreSQL URLs (SQLAlchemy 2.1 would pick psycopg 3)."""
    if not url:
        return None
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix) :]
    return url


def _flag(env: Mapping[str, str], name: str) -> bool:
    return env.get(name, "").strip().lower() in TRUE_VALUES


def _path(env: Mapping[str, str], name: str) -> Path | None:
    value = (env.get(name) or "").strip()
    return Path(value).resolve() if value else None


@dataclass(frozen=True)
class Settings:
    """Everything the app reads from its environment.

    See the table in README.md. `database_url` is None only in demo mode, where
    the app starts an embedded PostgreSQL in the instance folder instead.
    """

    secret_key: str
    database_url: str | None
    migration_database_url: str | None
    demo: bool
    instance_path: Path
    app_role: str = "autoproces_app"
    encryption_keys: str = ""
    idle_timeout_minutes: int = 60
    # However active: a session ends this many hours after sign-in (a stolen cookie expires).
    session_max_hours: int = 12
    # An invitation by e-mail is matched at the first sign-in for this many days.
    invitation_days: int = 14
    # Days between scheduling a municipality's offboarding and deleting it (the default).
    offboarding_days: int = 30
    # Seconds before the app gives up on the database, so no web worker hangs while it is
    # away: opening a connection, one statement of a web request, and a lock wait in one
    # (0: no limit). The statement limit stays below gunicorn's 30 s worker timeout.
    db_connect_timeout: int = 5
    db_statement_timeout: int = 20
    db_lock_timeout: int = 10
    ratelimit_storage_uri: str = "memory://"
    # `serve` refuses several workers with per-worker counters unless this accepts them.
    allow_per_worker_rate_limits: bool = False
    trusted_proxies: int = 0
    # Logs (logs.py): "json" or "text"; None: JSON under `serve` and `worker`, else Flask's.
    log_format: str | None = None
    # A bearer token for /metrics; without one, only loopback and private addresses scrape.
    metrics_token: str = ""
    operator_oidc_issuer: str | None = None
    operator_oidc_client_id: str | None = None
    operator_oidc_client_secret: str | None = None
    operator_oidc_role_claim: str = "roles"
    operator_oidc_role: str = "operator"
    operator_oidc_scopes: str | None = None
    # The public address links in e-mails are built from (required outside demo mode).
    base_url: str = ""
    # SAML sign-in: the SP's key pair (PEM files; in production an OCES certificate), the
    # platform's KOMBIT entity ID (default: its metadata address), the Context Handler's
    # metadata file, and the prefix of the user-system roles created in KOMBIT's
    # Administrationsmodul (default http://<host of the base URL>/roles/usersystemrole/).
    saml_key_file: Path | None = None
    saml_cert_file: Path | None = None
    saml_entity_id: str | None = None
    kombit_metadata_file: Path | None = None
    kombit_role_prefix: str | None = None
    # Outgoing mail (`autoproces worker`).
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_from: str = "autoproces@localhost"
    # Uploaded files: the instance folder, or an S3-compatible bucket when one is named.
    files_path: Path | None = None  # local storage folder; default: files/ in the instance
    s3_bucket: str | None = None
    s3_prefix: str = ""
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = None

    def require_runnable(self) -> None:
        """Raise ConfigError naming what the app (web or worker) cannot run without.

        Migrations need none of it (`autoproces db upgrade` reads only the owner's URL).
        """
        missing = []
        if not self.demo:
            if not self.secret_key:
                missing.append("SECRET_KEY")
            if not self.database_url:
                missing.append("DATABASE_URL")
            # Links in e-mails are never built from a request's Host header, which a client
            # chooses; outside the demo the public address must be configured.
            if not self.base_url:
                missing.append("AUTOPROCES_BASE_URL")
        if missing:
            raise ConfigError(
                "Autoproces cannot start: set "
                + ", ".join(missing)
                + " (or AUTOPROCES_DEMO=1 for the demo with an embedded database)."
            )

    @property
    def shared_rate_limits(self) -> bool:
        """Whether the rate-limit counters are shared by every web process."""
        return not self.ratelimit_storage_uri.startswith("memory://")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        demo = _flag(env, "AUTOPROCES_DEMO")
        db_url = database_url(env.get("DATABASE_URL"))
        secret_key = env.get("SECRET_KEY") or ""
        if demo and not secret_key:
            # Demo only: a fresh key per start logs everyone out, which is fine there.
            secret_key = secrets.token_hex(32)
        base_url = (env.get("AUTOPROCES_BASE_URL") or "").strip().rstrip("/")
        if base_url:
            parts = urlsplit(base_url)
            if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
                raise ConfigError(
                    "AUTOPROCES_BASE_URL is the app's public address, e.g. https://autoproces.os2.eu."
                )
        app_role = env.get("AUTOPROCES_APP_ROLE", "autoproces_app")
        if not app_role.replace("_", "").isalnum():
            raise ConfigError("AUTOPROCES_APP_ROLE must be a plain role name (letters, digits, _).")
        try:
            idle = int(env.get("AUTOPROCES_IDLE_TIMEOUT_MINUTES", "60"))
            max_hours = int(env.get("AUTOPROCES_SESSION_MAX_HOURS", "12"))
            proxies = int(env.get("AUTOPROCES_TRUSTED_PROXIES", "0"))
            invitation_days = int(env.get("AUTOPROCES_INVITATION_DAYS", "14"))
            offboarding_days = int(env.get("AUTOPROCES_OFFBOARDING_DAYS", "30"))
            db_timeouts = [
                int(env.get("AUTOPROCES_DB_CONNECT_TIMEOUT") or "5"),
                int(env.get("AUTOPROCES_DB_STATEMENT_TIMEOUT") or "20"),
                int(env.get("AUTOPROCES_DB_LOCK_TIMEOUT") or "10"),
            ]
        except ValueError:
            raise ConfigError(
                "AUTOPROCES_IDLE_TIMEOUT_MINUTES, AUTOPROCES_SESSION_MAX_HOURS, "
                "AUTOPROCES_TRUSTED_PROXIES, AUTOPROCES_INVITATION_DAYS,"
                " AUTOPROCES_OFFBOARDING_DAYS and AUTOPROCES_DB_*_TIMEOUT are whole numbers."
            ) from None
        log_format = (env.get("AUTOPROCES_LOG_FORMAT") or "").strip().lower() or None
        if log_format not in (None, "json", "text"):
            raise ConfigError("AUTOPROCES_LOG_FORMAT is json or text.")
        try:
            smtp_port = int(env.get("SMTP_PORT") or "25")
        except ValueError:
            raise ConfigError("SMTP_PORT is a whole number.") from None
        return cls(
            secret_key=secret_key,
            database_url=db_url,
            migration_database_url=database_url(env.get("MIGRATION_DATABASE_URL")),
            demo=demo,
            instance_path=Path(env.get("AUTOPROCES_INSTANCE_PATH", "instance")).resolve(),
            app_role=app_role,
            encryption_keys=env.get("AUTOPROCES_ENCRYPTION_KEY", ""),
            idle_timeout_minutes=max(1, idle),
            session_max_hours=max(1, max_hours),
            invitation_days=max(1, invitation_days),
            offboarding_days=max(0, offboarding_days),
            db_connect_timeout=max(1, db_timeouts[0]),
            db_statement_timeout=max(0, db_timeouts[1]),
            db_lock_timeout=max(0, db_timeouts[2]),
            ratelimit_storage_uri=env.get("RATELIMIT_STORAGE_URI") or "memory://",
            allow_per_worker_rate_limits=_flag(env, "AUTOPROCES_ALLOW_PER_WORKER_RATE_LIMITS"),
            trusted_proxies=max(0, proxies),
            log_format=log_format,
            metrics_token=(env.get("AUTOPROCES_METRICS_TOKEN") or "").strip(),
            operator_oidc_issuer=env.get("OPERATOR_OIDC_ISSUER") or None,
            operator_oidc_client_id=env.get("OPERATOR_OIDC_CLIENT_ID") or None,
            operator_oidc_client_secret=env.get("OPERATOR_OIDC_CLIENT_SECRET") or None,
            operator_oidc_role_claim=env.get("OPERATOR_OIDC_ROLE_CLAIM") or "roles",
            operator_oidc_role=env.get("OPERATOR_OIDC_ROLE") or "operator",
            operator_oidc_scopes=env.get("OPERATOR_OIDC_SCOPES") or None,
            base_url=base_url,
            saml_key_file=_path(env, "AUTOPROCES_SAML_KEY_FILE"),
            saml_cert_file=_path(env, "AUTOPROCES_SAML_CERT_FILE"),
            saml_entity_id=(env.get("AUTOPROCES_SAML_ENTITY_ID") or "").strip() or None,
            kombit_metadata_file=_path(env, "AUTOPROCES_KOMBIT_METADATA_FILE"),
            kombit_role_prefix=(env.get("AUTOPROCES_KOMBIT_ROLE_PREFIX") or "").strip() or None,
            smtp_host=env.get("SMTP_HOST") or None,
            smtp_port=smtp_port,
            smtp_username=env.get("SMTP_USERNAME") or None,
            smtp_password=env.get("SMTP_PASSWORD") or None,
            smtp_starttls=_flag(env, "SMTP_STARTTLS"),
            smtp_from=env.get("SMTP_FROM") or "autoproces@localhost",
            files_path=Path(env["AUTOPROCES_FILES_PATH"]).resolve()
            if env.get("AUTOPROCES_FILES_PATH")
            else None,
            s3_bucket=env.get("AUTOPROCES_S3_BUCKET") or None,
            s3_prefix=env.get("AUTOPROCES_S3_PREFIX") or "",
            s3_endpoint_url=env.get("AUTOPROCES_S3_ENDPOINT_URL") or None,
            s3_region=env.get("AUTOPROCES_S3_REGION") or None,
            s3_access_key_id=env.get("AUTOPROCES_S3_ACCESS_KEY_ID") or None,
            s3_secret_access_key=env.get("AUTOPROCES_S3_SECRET_ACCESS_KEY") or None,
        )

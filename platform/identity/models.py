"""Users and API tokens (tenant-owned, covered by row-level security)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    ARRAY,
    Boolean,
    DateTime,
    ForeignKeyConstraint,
    Integer,
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from ..db import db
from ..permissions import Action, allowed

PERSON = "person"
SERVICE = "service"


class User(db.Model):
    __tablename__ = "app_user"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, server_default=func.gen_random_uuid())
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200))
    roles: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{employee}")
    active: Mapped[bool] = mapped_column(Boolean, server_default="true")
    # Set by SSO (issue: federated login); users are keyed by (tenant, issuer, subject).
    issuer: Mapped[str | None] = mapped_column(Text)
    subject: Mapped[str | None] = mapped_column(Text)
    # mapping (from the IdP at every login), default (the tenant's default role) or manual.
    roles_source: Mapped[str] = mapped_column(String(10), server_default="manual")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Bumped to end every session of the user (logout, deactivation, role change).
    session_epoch: Mapped[int] = mapped_column(Integer, server_default="0", default=0)
    # "person", or "service": an account for integrations that holds API tokens and
    # never signs in interactively.
    kind: Mapped[str] = mapped_column(String(10), server_default=PERSON, default=PERSON)

    @property
    def is_service(self) -> bool:
        return self.kind == SERVICE

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        # The tenant is part of the id: a session is only valid in its own tenant; the
        # epoch too: a session from before the last bump is worth nothing.
        return f"{self.tenant_id}:{self.id}:{self.session_epoch or 0}"

    def can(self, action: Action) -> bool:
        return self.active and allowed(self.roles, action)


class ApiToken(db.Model):
    __tablename__ = "api_token"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "user_id"], ["app_user.tenant_id", "app_user.id"], ondelete="CASCADE"
        ),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, server_default=func.gen_random_uuid())
    user_id: Mapped[uuid.UUID]
    # The user who minted it (None: the command line, audited there).
    created_by: Mapped[uuid.UUID | None]
    name: Mapped[str] = mapped_column(String(200))
    # sha256 of the token; the token itself is shown once and never stored.
    token_hash: Mapped[str] = mapped_column(String(64))
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class TenantIdp(db.Model):
    """A tenant's identity provider, one per tenant: `protocol` is OIDC, SAML (its own
    provider: `issuer` is the provider's entity ID) or KOMBIT (the platform's one
    connection, `saml.py`; `issuer` names the Context Handler)."""

    __tablename__ = "tenant_idp"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    protocol: Mapped[str] = mapped_column(String(10), server_default="oidc")
    issuer: Mapped[str] = mapped_column(Text)
    client_id: Mapped[str] = mapped_column(Text)
    client_secret_encrypted: Mapped[str | None] = mapped_column(Text)
    scopes: Mapped[str] = mapped_column(Text, server_default="openid profile email")
    role_claim: Mapped[str] = mapped_column(Text, server_default="roles")
    role_mapping: Mapped[dict[str, str]] = mapped_column(JSONB, server_default="{}")
    default_role: Mapped[str | None] = mapped_column(Text)
    allowed_domains: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    # SAML (migration 0022): the provider's metadata as uploaded or last read from the URL,
    # extra signing certificates (PEM) for a rollover, and the lowest NSIS level let in.
    saml_metadata: Mapped[str | None] = mapped_column(Text)
    saml_metadata_url: Mapped[str | None] = mapped_column(Text)
    saml_certificates: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    min_loa: Mapped[str] = mapped_column(String(12), server_default="Substantial")
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    @property
    def has_secret(self) -> bool:
        return bool(self.client_secret_encrypted)


class Invitation(db.Model):
    """An address invited with roles; matched at the person's first sign-in, until it expires,
    is revoked or is accepted (migration 0021)."""

    __tablename__ = "user_invitation"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, server_default=func.gen_random_uuid())
    email: Mapped[str] = mapped_column(String(254))  # lower case
    roles: Mapped[list[str]] = mapped_column(ARRAY(Text))
    invited_by_id: Mapped[uuid.UUID | None]  # None: an operator or the command line
    invited_by_name: Mapped[str] = mapped_column(Text, server_default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    def status(self, now: datetime) -> str:
        """accepted, revoked, expired or pending (the one order the page and the match use)."""
        if self.accepted_at is not None:
            return INVITATION_ACCEPTED
        if self.revoked_at is not None:
            return INVITATION_REVOKED
        if self.expires_at <= now:
            return INVITATION_EXPIRED
        return INVITATION_PENDING


class SamlAssertionSeen(db.Model):
    """An accepted assertion (sha256 of issuer and ID) until it expires: platform data,
    tenant-neutral, so a replay is refused before any municipality is known."""

    __tablename__ = "saml_assertion_seen"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


OIDC, SAML, KOMBIT = "oidc", "saml", "kombit"
PROTOCOLS = (OIDC, SAML, KOMBIT)

INVITATION_PENDING = "pending"
INVITATION_EXPIRED = "expired"
INVITATION_ACCEPTED = "accepted"
INVITATION_REVOKED = "revoked"

"""Operators and their audit log (platform-owned, not tenant-owned)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, DateTime, Identity, Integer, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from ..db import db


class Operator(db.Model):
    __tablename__ = "platform_operator"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, server_default=func.gen_random_uuid())
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200), server_default="")
    # Local accounts (no platform IdP): a password hash and an encrypted TOTP seed.
    password_hash: Mapped[str | None] = mapped_column(Text)
    totp_secret_encrypted: Mapped[str | None] = mapped_column(Text)
    # The time step (unix time // 30) of the last accepted TOTP code: a code is good once.
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    # Accounts from the platform's own OIDC provider.
    issuer: Mapped[str | None] = mapped_column(Text)
    subject: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, server_default="true")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Bumped at logout and deactivation: every earlier console session ends.
    session_epoch: Mapped[int] = mapped_column(Integer, server_default="0", default=0)


class OperatorAudit(db.Model):
    __tablename__ = "operator_audit"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    operator_id: Mapped[uuid.UUID | None]
    operator_email: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(Text)
    subject_tenant_id: Mapped[uuid.UUID | None]
    subject_tenant_slug: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")

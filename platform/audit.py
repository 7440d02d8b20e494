"""The municipality's own audit log: who changed its identity provider, roles, users, API
tokens and settings, when, and what (never a secret).

Tenant-owned (`tenant_audit`, forced row-level security): the entries name the
municipality's own people and are read by its administrator, so they live with the tenant's
data, not in the operator's platform log, which the operator reads and which holds no
tenant-private content. What an operator does to a tenant is written to both.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Identity, Text, func, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from .db import db
from .pagination import Page, paginate

PER_PAGE = 50

# Actions (the `action` column); Administration shows them with Danish labels.
IDP_CHANGED = "idp.changed"
USER_ROLES = "user.roles"
USER_DEACTIVATED = "user.deactivated"
USER_ACTIVATED = "user.activated"
USER_CREATED = "user.created"
SERVICE_ACCOUNT_CREATED = "service_account.created"
TOKEN_CREATED = "token.created"
TOKEN_REVOKED = "token.revoked"
SETTINGS_CHANGED = "settings.changed"
TENANT_STATUS = "tenant.status"
TENANT_CHANGED = "tenant.changed"


class TenantAudit(db.Model):
    __tablename__ = "tenant_audit"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    actor_id: Mapped[uuid.UUID | None]
    actor_name: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")


def record(
    tenant_id: uuid.UUID,
    actor: Any,
    action: str,
    details: Mapping[str, Any] | None = None,
) -> TenantAudit:
    """Record `action` in the tenant's log, in the caller's transaction (the tenant must be
    active for it). `actor` is a user, or a string (an operator, the command line)."""
    if isinstance(actor, str) or actor is None:
        actor_id, actor_name = None, actor or ""
    else:
        actor_id, actor_name = getattr(actor, "id", None), getattr(actor, "name", "") or ""
    entry = TenantAudit(
        tenant_id=tenant_id,
        actor_id=actor_id,
        actor_name=actor_name[:254],
        action=action,
        details=dict(details or {}),
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def entries(tenant_id: uuid.UUID, page: int = 1, per_page: int = PER_PAGE) -> Page[TenantAudit]:
    """The tenant's entries, newest first, a page at a time."""
    query = (
        select(TenantAudit)
        .where(TenantAudit.tenant_id == tenant_id)
        .order_by(TenantAudit.at.desc(), TenantAudit.id.desc())
    )
    return paginate(query, page, per_page)

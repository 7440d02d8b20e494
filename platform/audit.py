"""The municipality's own audit log: who changed its identity provider, roles, users, API
tokens and settings, when, and what (never a secret).

Tenant-owned (`tenant_audit`, forced row-level security): the entries name the
municipality's own people and are read by its administrator, so they live with the tenant's
data, not in the operator's platform log, which the operator reads and which holds no
tenant-private content. What an operator does to a tenant is written to both.

Both tables are written and read through one `AuditLog` (here for the municipality's,
in `operator.services` for the operator's): an entry is added in the caller's transaction,
and entries are read newest first.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import BigInteger, ColumnElement, DateTime, Identity, Select, Text, func, select
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
INVITATION_CREATED = "invitation.created"
INVITATION_REVOKED = "invitation.revoked"
INVITATION_ACCEPTED = "invitation.accepted"
EXPORT_REQUESTED = "export.requested"
EXPORT_DOWNLOADED = "export.downloaded"
OFFBOARDING_SCHEDULED = "offboarding.scheduled"
OFFBOARDING_CANCELLED = "offboarding.cancelled"


class TenantAudit(db.Model):
    __tablename__ = "tenant_audit"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    actor_id: Mapped[uuid.UUID | None]
    actor_name: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")


Entry = TypeVar("Entry", bound=db.Model)


@dataclass(frozen=True)
class AuditLog(Generic[Entry]):
    """One audit table: `model` has an `at` time and an increasing `id`."""

    model: type[Entry]

    def write(self, details: Mapping[str, Any] | None = None, **columns: Any) -> Entry:
        """Add an entry in the caller's transaction. Never pass a secret."""
        entry = self.model(details=dict(details or {}), **columns)
        db.session.add(entry)
        db.session.flush()
        return entry

    def newest_first(self, *conditions: ColumnElement[bool]) -> Select[tuple[Entry]]:
        model: Any = self.model
        return select(self.model).where(*conditions).order_by(model.at.desc(), model.id.desc())


TENANT_LOG = AuditLog(TenantAudit)


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
    return TENANT_LOG.write(
        details,
        tenant_id=tenant_id,
        actor_id=actor_id,
        actor_name=actor_name[:254],
        action=action,
    )


def entries(tenant_id: uuid.UUID, page: int = 1, per_page: int = PER_PAGE) -> Page[TenantAudit]:
    """The tenant's entries, newest first, a page at a time."""
    return paginate(TENANT_LOG.newest_first(TenantAudit.tenant_id == tenant_id), page, per_page)

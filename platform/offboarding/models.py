"""A scheduled offboarding (migration 0023): platform data, kept after the tenant is gone."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from ..db import db


class TenantOffboarding(db.Model):
    __tablename__ = "tenant_offboarding"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, server_default=func.gen_random_uuid())
    subject_tenant_id: Mapped[uuid.UUID]
    tenant_slug: Mapped[str] = mapped_column(Text)
    operator_id: Mapped[uuid.UUID | None]
    operator_email: Mapped[str] = mapped_column(Text)
    scheduled_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    delete_after: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    catalogue: Mapped[str] = mapped_column(String(12))
    export_id: Mapped[uuid.UUID | None]
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_by: Mapped[str | None] = mapped_column(Text)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deleted_rows: Mapped[int | None] = mapped_column(Integer)
    files_deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)

    @property
    def open(self) -> bool:
        return self.cancelled_at is None and self.deleted_at is None

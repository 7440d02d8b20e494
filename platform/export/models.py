"""The export jobs (migration 0023): tenant-owned, under row-level security."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from ..db import db


class ExportStatus(enum.StrEnum):
    PENDING = "pending"  # venter
    RUNNING = "running"  # i gang
    READY = "ready"  # klar
    DOWNLOADED = "downloaded"  # hentet
    FAILED = "failed"  # fejlet
    EXPIRED = "expired"  # udløbet: not downloaded in time, the file deleted


class TenantExport(db.Model):
    """One archive asked for by a user of the municipality or by an operator, who alone may
    download it, once."""

    __tablename__ = "tenant_export"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    requested_by_user_id: Mapped[uuid.UUID | None]
    requested_by_operator_id: Mapped[uuid.UUID | None]
    requested_by_name: Mapped[str] = mapped_column(Text, server_default="")
    notify_email: Mapped[str] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(12), server_default=ExportStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, server_default="0", default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    downloaded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    storage_key: Mapped[str | None] = mapped_column(String(200))
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    last_error: Mapped[str | None] = mapped_column(Text)

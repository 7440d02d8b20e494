"""Realised runs and the lessons reminder (tenant-owned; migration 0016)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, DateTime, Integer, Numeric, String, func
from sqlalchemy.orm import Mapped, mapped_column

from autoproces.platform.db import db


class ProcessRun(db.Model):
    """One period of a process: how many times it ran and the hours that saved."""

    __tablename__ = "process_run"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    process_id: Mapped[uuid.UUID]
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    runs: Mapped[int] = mapped_column(Integer)
    hours_saved: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    source: Mapped[str] = mapped_column(String(20))  # "csv" or "api"
    uploaded_by: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    @property
    def days(self) -> int:
        return (self.period_end - self.period_start).days + 1


class LessonsReminder(db.Model):
    """The owner was asked for lessons learned (at most once per process)."""

    __tablename__ = "process_lessons_reminder"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    process_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

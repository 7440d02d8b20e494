"""The process (tenant-owned). Fields follow ../shared/DOMAIN.md."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import DateTime, ForeignKeyConstraint, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from autoproces.platform.db import db
from autoproces.platform.identity.models import User


class Phase(enum.StrEnum):
    IDEA = "idea"
    PREANALYSIS = "preanalysis"
    SPECIFICATION = "specification"
    DEVELOPMENT = "development"
    IMPLEMENTATION = "implementation"
    OPERATION = "operation"
    DECOMMISSIONED = "decommissioned"


class Status(enum.StrEnum):
    NOT_ASSESSED = "not_assessed"
    IN_PROGRESS = "in_progress"
    PENDING = "pending"
    REJECTED = "rejected"
    FAILED = "failed"
    NO_LONGER_RELEVANT = "no_longer_relevant"


class Visibility(enum.StrEnum):
    PERSONAL = "personal"
    MUNICIPALITY = "municipality"


PHASE_LABELS = {
    Phase.IDEA: _l("Idé"),
    Phase.PREANALYSIS: _l("Foranalyse"),
    Phase.SPECIFICATION: _l("Specifikation"),
    Phase.DEVELOPMENT: _l("Udvikling"),
    Phase.IMPLEMENTATION: _l("Implementering"),
    Phase.OPERATION: _l("I drift"),
    Phase.DECOMMISSIONED: _l("Taget ud af drift"),
}

STATUS_LABELS = {
    Status.NOT_ASSESSED: _l("Ikke vurderet"),
    Status.IN_PROGRESS: _l("I gang"),
    Status.PENDING: _l("Afventer"),
    Status.REJECTED: _l("Afvist"),
    Status.FAILED: _l("Mislykket"),
    Status.NO_LONGER_RELEVANT: _l("Ikke relevant mere"),
}

VISIBILITY_LABELS = {
    Visibility.PERSONAL: _l("Privat"),
    Visibility.MUNICIPALITY: _l("Synlig i egen kommune"),
}


class Process(db.Model):
    __tablename__ = "process"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "reporter_id"],
            ["app_user.tenant_id", "app_user.id"],
            name="fk_process_reporter",
        ),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    title: Mapped[str] = mapped_column(String(120))
    summary: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    phase: Mapped[str] = mapped_column(String(30), default=Phase.IDEA.value)
    status: Mapped[str] = mapped_column(String(30), default=Status.NOT_ASSESSED.value)
    visibility: Mapped[str] = mapped_column(String(20), default=Visibility.MUNICIPALITY.value)
    internal_notes: Mapped[str] = mapped_column(Text, default="")
    reporter_id: Mapped[uuid.UUID | None]
    # Optimistic locking: SQLAlchemy adds "AND version = :old" to every UPDATE.
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    reporter: Mapped[User | None] = relationship(
        User,
        primaryjoin="and_(Process.tenant_id == User.tenant_id, Process.reporter_id == User.id)",
        foreign_keys="[Process.tenant_id, Process.reporter_id]",
        viewonly=True,
        lazy="joined",
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def phase_label(self) -> str:
        return str(PHASE_LABELS.get(Phase(self.phase), self.phase))

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS.get(Status(self.status), self.status))

    @property
    def visibility_label(self) -> str:
        return str(VISIBILITY_LABELS.get(Visibility(self.visibility), self.visibility))

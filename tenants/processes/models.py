"""The process (tenant-owned). Fields follow docs/DOMAIN.md; their rules are in fields.py."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    Computed,
    Date,
    DateTime,
    Float,
    ForeignKeyConstraint,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR
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


class Level(enum.StrEnum):
    VERY_HIGH = "very_high"
    HIGH = "high"
    LOW = "low"
    VERY_LOW = "very_low"
    UNKNOWN = "unknown"
    UNSET = "unset"


class RunSchedule(enum.StrEnum):
    ON_DEMAND = "on_demand"
    ONCE = "once"
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"


class AiActRisk(enum.StrEnum):
    NONE = "none"
    MINIMAL = "minimal"
    LIMITED = "limited"
    HIGH = "high"


# The nine assessment questions; the first two count inverted in the suitability.
ASSESSMENT_FIELDS = (
    "professional_judgement",
    "frequent_change",
    "structured_input",
    "uniformity",
    "digital_input",
    "quality_gain",
    "speed_gain",
    "routine_reduction",
    "automation_feasibility",
)
INVERTED_ASSESSMENT = frozenset({"professional_judgement", "frequent_change"})

STANDARD_DOMAINS = (
    "Administration",
    "Beskæftigelse",
    "Erhverv",
    "Familie og børn",
    "Uddannelse og dagtilbud",
    "Demokrati",
    "Miljø",
    "Teknik",
    "Social",
    "Sundhed og ældre",
    "Bæredygtighed",
    "HR og personale",
    "IT og digitalisering",
    "Kultur og fritid",
    "Økonomi",
)


PHASE_LABELS = {
    Phase.IDEA: _l("Idé"),
    Phase.PREANALYSIS: _l("Foranalyse"),
    Phase.SPECIFICATION: _l("Specifikation"),
    Phase.DEVELOPMENT: _l("Udvikling"),
    Phase.IMPLEMENTATION: _l("Implementering"),
    Phase.OPERATION: _l("I drift"),
    Phase.DECOMMISSIONED: _l("Taget ud af drift"),
}

# The statuses that stop or pause a process: each needs a reason (`status_reason`), in the
# order the form's hint names them.
REASON_STATUSES: tuple[Status, ...] = (
    Status.REJECTED,
    Status.FAILED,
    Status.PENDING,
    Status.NO_LONGER_RELEVANT,
)

STATUS_LABELS = {
    Status.NOT_ASSESSED: _l("Ikke vurderet"),
    Status.IN_PROGRESS: _l("I gang"),
    Status.PENDING: _l("Afventer"),
    Status.REJECTED: _l("Afvist"),
    Status.FAILED: _l("Mislykket"),
    Status.NO_LONGER_RELEVANT: _l("Ikke relevant mere"),
}

LEVEL_LABELS = {
    Level.VERY_HIGH: _l("I høj grad"),
    Level.HIGH: _l("I nogen grad"),
    Level.LOW: _l("I mindre grad"),
    Level.VERY_LOW: _l("Slet ikke"),
    Level.UNKNOWN: _l("Ved ikke"),
    Level.UNSET: _l("(ikke besvaret)"),
}

RUN_SCHEDULE_LABELS = {
    RunSchedule.ON_DEMAND: _l("Efter behov"),
    RunSchedule.ONCE: _l("Engangskørsel"),
    RunSchedule.DAILY: _l("Dagligt"),
    RunSchedule.WEEKLY: _l("Ugentligt"),
    RunSchedule.MONTHLY: _l("Månedligt"),
    RunSchedule.QUARTERLY: _l("Kvartalsvis"),
    RunSchedule.YEARLY: _l("Årligt"),
}

VISIBILITY_LABELS = {
    Visibility.PERSONAL: _l("Privat"),
    Visibility.MUNICIPALITY: _l("Synlig i egen kommune"),
}
# Who sees a process of each visibility (policy.visible_to: the reporter, and the roles
# that read everything).
VISIBILITY_HINTS = {
    Visibility.PERSONAL: _l("Kun du, automatiseringsteamet og lederne kan se den."),
    Visibility.MUNICIPALITY: _l("Alle i kommunen kan se den."),
}


class _Figure:
    """A read-only attribute that is one key of the process's computed `figures`."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, process: Any, owner: type | None = None) -> Any:
        return self if process is None else process.figures[self.name]


class PhaseStatusLabels:
    """The Danish labels of `phase` and `status`, for anything that has both."""

    @property
    def phase_label(self) -> str:
        return str(PHASE_LABELS.get(Phase(self.phase), self.phase))

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS.get(Status(self.status), self.status))


# The lengths of a process's title and summary (the schemas and the intake form say them).
TITLE_MAX = 120
SUMMARY_MAX = 300


class Process(PhaseStatusLabels, db.Model):
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
    # The short number people use ("Idé nr. 42"), unique in the municipality; handed out by
    # services.next_process_number (migration 0008).
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    summary: Mapped[str] = mapped_column(String(SUMMARY_MAX))
    description: Mapped[str] = mapped_column(Text, default="")
    phase: Mapped[str] = mapped_column(String(30), default=Phase.IDEA.value)
    status: Mapped[str] = mapped_column(String(30), default=Status.NOT_ASSESSED.value)
    visibility: Mapped[str] = mapped_column(String(20), default=Visibility.MUNICIPALITY.value)
    internal_notes: Mapped[str] = mapped_column(Text, default="")
    reporter_id: Mapped[uuid.UUID | None]
    # classification
    kle_code: Mapped[str | None] = mapped_column(String(8))
    form_code: Mapped[str | None] = mapped_column(String(20))
    legal_basis: Mapped[str] = mapped_column(Text, default="")
    legal_basis_verified_at: Mapped[date | None] = mapped_column(Date)
    org_unit: Mapped[str] = mapped_column(String(200), default="")
    targets_citizens: Mapped[bool] = mapped_column(Boolean, default=False)
    targets_companies: Mapped[bool] = mapped_column(Boolean, default=False)
    keywords: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    # the work today
    current_process: Mapped[str] = mapped_column(Text, default="")
    challenges: Mapped[str] = mapped_column(Text, default="")
    solution_ideas: Mapped[str] = mapped_column(Text, default="")
    it_systems: Mapped[list[dict[str, str]]] = mapped_column(JSONB, default=list)
    occurrences_per_year: Mapped[int | None] = mapped_column(Integer)
    minutes_per_occurrence: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    employees_doing_it: Mapped[int | None] = mapped_column(Integer)
    automation_share_pct: Mapped[int | None] = mapped_column(SmallInteger)
    time_comment: Mapped[str] = mapped_column(Text, default="")
    # assessment
    professional_judgement: Mapped[str] = mapped_column(String(10), default=Level.UNSET.value)
    frequent_change: Mapped[str] = mapped_column(String(10), default=Level.UNSET.value)
    structured_input: Mapped[str] = mapped_column(String(10), default=Level.UNSET.value)
    uniformity: Mapped[str] = mapped_column(String(10), default=Level.UNSET.value)
    digital_input: Mapped[str] = mapped_column(String(10), default=Level.UNSET.value)
    quality_gain: Mapped[str] = mapped_column(String(10), default=Level.UNSET.value)
    speed_gain: Mapped[str] = mapped_column(String(10), default=Level.UNSET.value)
    routine_reduction: Mapped[str] = mapped_column(String(10), default=Level.UNSET.value)
    automation_feasibility: Mapped[str] = mapped_column(String(10), default=Level.UNSET.value)
    expected_dev_hours: Mapped[int | None] = mapped_column(Integer)
    expected_cost_dkk: Mapped[int | None] = mapped_column(Integer)
    strategic_fit: Mapped[int | None] = mapped_column(SmallInteger)
    risk_notes: Mapped[str] = mapped_column(Text, default="")
    gdpr_personal_data: Mapped[bool | None] = mapped_column(Boolean)
    automated_decision: Mapped[bool | None] = mapped_column(Boolean)
    ai_act_risk: Mapped[str | None] = mapped_column(String(10))
    # pipeline
    status_reason: Mapped[str] = mapped_column(Text, default="")
    priority_rank: Mapped[int | None] = mapped_column(Integer)
    owner_id: Mapped[uuid.UUID | None]
    contact_id: Mapped[uuid.UUID | None]
    planned_start: Mapped[date | None] = mapped_column(Date)
    put_into_operation_at: Mapped[date | None] = mapped_column(Date)
    decommissioned_at: Mapped[date | None] = mapped_column(Date)
    run_schedule: Mapped[str | None] = mapped_column(String(20))
    # solution
    technologies: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    vendor: Mapped[str] = mapped_column(String(200), default="")
    services: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    technical_notes: Mapped[str] = mapped_column(Text, default="")
    organisational_notes: Mapped[str] = mapped_column(Text, default="")
    code_repository_url: Mapped[str] = mapped_column(Text, default="")
    links: Mapped[list[dict[str, str]]] = mapped_column(JSONB, default=list)
    # lessons learned
    realised_hours_per_year: Mapped[int | None] = mapped_column(Integer)
    realised_benefit_rating: Mapped[int | None] = mapped_column(SmallInteger)
    what_worked: Mapped[str] = mapped_column(Text, default="")
    what_did_not: Mapped[str] = mapped_column(Text, default="")
    advice_to_others: Mapped[str] = mapped_column(Text, default="")
    lessons_updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # private
    esdh_reference: Mapped[str] = mapped_column(String(200), default="")
    # lineage
    copied_from_entry_id: Mapped[uuid.UUID | None]
    copied_from_version: Mapped[int | None] = mapped_column(Integer)
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

    owner: Mapped[User | None] = relationship(
        User,
        primaryjoin="and_(Process.tenant_id == User.tenant_id, Process.owner_id == User.id)",
        foreign_keys="[Process.tenant_id, Process.owner_id]",
        viewonly=True,
        lazy="selectin",
    )
    contact: Mapped[User | None] = relationship(
        User,
        primaryjoin="and_(Process.tenant_id == User.tenant_id, Process.contact_id == User.id)",
        foreign_keys="[Process.tenant_id, Process.contact_id]",
        viewonly=True,
        lazy="selectin",
    )
    associated_users: Mapped[list[User]] = relationship(
        User,
        secondary="process_associated_user",
        primaryjoin="and_(Process.tenant_id == ProcessAssociatedUser.tenant_id,"
        " Process.id == ProcessAssociatedUser.process_id)",
        secondaryjoin="and_(User.tenant_id == ProcessAssociatedUser.tenant_id,"
        " User.id == ProcessAssociatedUser.user_id)",
        order_by="User.name",
        viewonly=True,
        lazy="selectin",
    )
    domains: Mapped[list[Domain]] = relationship(
        "Domain",
        secondary="process_domain",
        primaryjoin="and_(Process.tenant_id == ProcessDomain.tenant_id,"
        " Process.id == ProcessDomain.process_id)",
        secondaryjoin="and_(Domain.tenant_id == ProcessDomain.tenant_id,"
        " Domain.id == ProcessDomain.domain_id)",
        order_by="Domain.position",
        lazy="selectin",
        viewonly=True,
    )

    __mapper_args__ = {"version_id_col": version}

    # Generated by PostgreSQL (migration 0004): the Danish full-text search document.
    # Computed: the ORM never writes it. The real expression lives in migration 0004.
    search_vector: Mapped[Any] = mapped_column(
        TSVECTOR, Computed("see migration 0004", persisted=True), deferred=True
    )
    # Generated too (migration 0019): the suitability (0-100, NULL when no question is
    # answered), so the backlog can rank thousands by the score without recomputing it.
    suitability_points: Mapped[float | None] = mapped_column(
        Float, Computed("see migration 0019", persisted=True), deferred=True
    )

    # The tenant's settings for the formulas and the priority score's context (figures.py);
    # services attach them before presenting.
    settings = None
    score_context = None
    # The search hit in context (HTML, escaped with <mark>), set by list_processes.
    snippet = None

    @property
    def figures(self) -> dict[str, float | None]:
        from .figures import expected_figures, score_figures, suitability

        return {
            **expected_figures(self, self.settings),
            **suitability(self),
            **score_figures(self, self.score_context),
        }

    @property
    def priority(self) -> Any:
        """The priority score with its factors (figures.Score), once presented."""
        from .figures import priority_score

        return None if self.score_context is None else priority_score(self, self.score_context)

    # The computed figures, each read from `figures` (the formulas live in figures.py).
    expected_hours_per_year = _Figure()
    expected_fte = _Figure()
    expected_value_dkk = _Figure()
    suitability = _Figure()
    confidence = _Figure()
    priority_score = _Figure()
    priority_confidence = _Figure()

    @property
    def number_label(self) -> str:
        """ "Idé nr. 42" while an idea, then "Proces nr. 42"."""
        from flask_babel import gettext as _

        if self.phase == Phase.IDEA:
            return _("Idé nr. %(number)d", number=self.number)
        return _("Proces nr. %(number)d", number=self.number)

    @property
    def visibility_label(self) -> str:
        return str(VISIBILITY_LABELS.get(Visibility(self.visibility), self.visibility))


class ProcessNumberCounter(db.Model):
    """The last process number handed out in the municipality (one row per tenant)."""

    __tablename__ = "process_number_counter"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer)


class Domain(db.Model):
    """A fagområde in the tenant's own list."""

    __tablename__ = "domain"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ProcessDomain(db.Model):
    __tablename__ = "process_domain"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    process_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    domain_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)


class ProcessAssociatedUser(db.Model):
    __tablename__ = "process_associated_user"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    process_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)


class ProcessChange(db.Model):
    """One field of one change: who, when, old value, new value."""

    __tablename__ = "process_change"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    process_id: Mapped[uuid.UUID]
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    user_id: Mapped[uuid.UUID | None]
    field: Mapped[str] = mapped_column(String(60))
    old_value: Mapped[Any] = mapped_column(JSONB, nullable=True)
    new_value: Mapped[Any] = mapped_column(JSONB, nullable=True)


# The formulas' figures until the municipality sets its own (DOMAIN.md).
DEFAULT_HOURS_PER_FTE = Decimal("1924")  # 37 h × 52 weeks
DEFAULT_COST_PER_HOUR = Decimal("450")


class TenantSettings(db.Model):
    """The municipality's figures for the formulas (DOMAIN.md) and the priority weights."""

    __tablename__ = "tenant_settings"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    hours_per_fte: Mapped[Decimal] = mapped_column(Numeric(8, 2), default=DEFAULT_HOURS_PER_FTE)
    cost_per_hour_dkk: Mapped[Decimal] = mapped_column(
        Numeric(10, 2), default=DEFAULT_COST_PER_HOUR
    )
    weight_benefit: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("1"))
    weight_suitability: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("1"))
    weight_ease: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("1"))
    weight_strategic: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("1"))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

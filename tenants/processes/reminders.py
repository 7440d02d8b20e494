"""The register's periodic reminders: a process in drift whose legal basis has not been
checked for 6 months, and a process in development, implementation or drift that nobody has
changed for 12 months. The rules live here once, as SQL (the list's filter "Lovgrundlag skal
kontrolleres", the daily job) with a Python twin (the process page), tested against each
other.

A reminder's period is counted from a date (the last check of the legal basis, or the last
change): months 6–11 are the first period, 12–17 the second and so on. The daily job
(`processes.reminders`, run by the worker) sends each reminder once per period: its row in
`process_reminder` (keyed by process, kind, the date counted from and the period's number)
is inserted before the mail is queued, in the same transaction, ON CONFLICT DO NOTHING. A
new check or change moves the date counted from, and the count starts again.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, DateTime, Integer, String, and_, any_, cast, func, literal, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from autoproces.platform.db import db
from autoproces.platform.i18n import LOCAL_TZ
from autoproces.platform.identity.models import User
from autoproces.platform.outbox.services import deliverable, queue_mail
from autoproces.platform.permissions import Role
from autoproces.platform.urls import external_url

from .fields import BY_NAME
from .models import Phase, Process

MAIL_LOCALE = "da"


class ProcessReminder(db.Model):
    """A reminder about a process went out for one period (migration 0017)."""

    __tablename__ = "process_reminder"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    process_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    counted_from: Mapped[date] = mapped_column(Date, primary_key=True)
    period: Mapped[int] = mapped_column(Integer, primary_key=True)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


@dataclass(frozen=True)
class Rule:
    kind: str
    months: int
    phases: tuple[Phase, ...]
    label: Any  # the list filter's and the process page's words

    def counted_from_sql(self) -> ColumnElement[Any]:
        return _COUNTED_FROM_SQL[self.kind]()

    def counted_from(self, process: Process) -> date:
        return _COUNTED_FROM[self.kind](process)


def _local_day(column: Any) -> ColumnElement[Any]:
    return cast(func.timezone(LOCAL_TZ.key, column), Date)


def _local(moment: datetime) -> date:
    return moment.astimezone(LOCAL_TZ).date()


LEGAL_BASIS = Rule("legal_basis", 6, (Phase.OPERATION,), _l("Lovgrundlag skal kontrolleres"))
UNCHANGED = Rule(
    "unchanged",
    12,
    (Phase.DEVELOPMENT, Phase.IMPLEMENTATION, Phase.OPERATION),
    _l("Uændret i 12 måneder"),
)
RULES: dict[str, Rule] = {r.kind: r for r in (LEGAL_BASIS, UNCHANGED)}

# Never checked: counted from going into operation, else from when it was reported.
_COUNTED_FROM_SQL = {
    "legal_basis": lambda: func.coalesce(
        Process.legal_basis_verified_at,
        Process.put_into_operation_at,
        _local_day(Process.created_at),
    ),
    "unchanged": lambda: _local_day(Process.updated_at),
}
_COUNTED_FROM = {
    "legal_basis": lambda p: (
        p.legal_basis_verified_at or p.put_into_operation_at or _local(p.created_at)
    ),
    "unchanged": lambda p: _local(p.updated_at),
}


def today() -> date:
    return datetime.now(LOCAL_TZ).date()


def months_between(start: date, end: date) -> int:
    """Whole months from `start` to `end`, as PostgreSQL's age() counts them (31 Aug → 28 Feb
    is 5); 0 when `end` comes first."""
    if end < start:
        return 0
    months = (end.year - start.year) * 12 + end.month - start.month
    return months - 1 if end.day < start.day else months


def _months_sql(start: Any, end: date) -> ColumnElement[int]:
    age = func.age(literal(end, Date), start)
    return cast(func.extract("year", age) * 12 + func.extract("month", age), Integer)


def period(rule: Rule, process: Process, day: date) -> int:
    """The reminder's period on `day` (0: not due), the Python twin of `period_sql`."""
    if process.phase not in rule.phases:
        return 0
    return months_between(rule.counted_from(process), day) // rule.months


def period_sql(rule: Rule, day: date) -> ColumnElement[int]:
    return func.greatest(0, _months_sql(rule.counted_from_sql(), day)) // rule.months


def due_sql(rule: Rule, day: date | None = None) -> ColumnElement[bool]:
    """The condition "`rule`'s reminder is due on `day`" (the list filter)."""
    day = day or today()
    return and_(Process.phase.in_(rule.phases), period_sql(rule, day) >= 1)


def due_rules(process: Process, day: date | None = None) -> list[Rule]:
    """The reminders due for `process` (shown on its page)."""
    day = day or today()
    return [r for r in RULES.values() if period(r, process, day) >= 1]


def _recipients(process: Process) -> list[User]:
    """The owner; without an active owner, the municipality's automation team."""
    owner = process.owner
    if owner is not None and owner.is_active and deliverable(owner.email):
        return [owner]
    team = db.session.scalars(
        select(User).where(
            User.tenant_id == process.tenant_id,
            User.active.is_(True),
            literal(Role.AUTOMATION.value) == any_(User.roles),
        )
    )
    return [u for u in team if deliverable(u.email)]


def _mail(rule: Rule, process: Process, tenant_slug: str, since: date) -> tuple[str, str]:
    with force_locale(MAIL_LOCALE):
        link = external_url(
            "processes.edit_process", tenant_slug=tenant_slug, process_id=process.id
        )
        values = {
            "title": process.title,
            "number": process.number_label,
            "since": since.strftime("%d.%m.%Y"),
            "link": link,
            "field": BY_NAME["legal_basis_verified_at"].label,
        }
        if rule is LEGAL_BASIS:
            subject = _("Lovgrundlaget for %(title)s skal kontrolleres", title=process.title)
            body = _(
                "“%(title)s” (%(number)s) er i drift, og lovgrundlaget er ikke kontrolleret"
                " siden %(since)s. Kontrollér, at det stadig holder, og skriv datoen i"
                " feltet “%(field)s”:\n\n%(link)s",
                **values,
            )
        else:
            subject = _("%(title)s er ikke ændret i et år", title=process.title)
            body = _(
                "“%(title)s” (%(number)s) er ikke ændret siden %(since)s. Er fase, status"
                " og oplysninger stadig rigtige? Opdatér processen, eller sæt den i den"
                " rette fase:\n\n%(link)s",
                **values,
            )
    return subject, body


def send_reminders(tenant: Any, day: date | None = None) -> int:
    """The daily job: queue every reminder due in the current municipality on `day`, each
    once per period. Returns how many e-mails were queued."""
    day = day or today()
    queued = 0
    for rule in RULES.values():
        counted_from = rule.counted_from_sql().label("counted_from")
        number = period_sql(rule, day).label("period")
        already = (
            select(ProcessReminder.process_id)
            .where(
                ProcessReminder.tenant_id == Process.tenant_id,
                ProcessReminder.process_id == Process.id,
                ProcessReminder.kind == rule.kind,
                ProcessReminder.counted_from == rule.counted_from_sql(),
                ProcessReminder.period == period_sql(rule, day),
            )
            .exists()
        )
        rows = db.session.execute(
            select(Process, counted_from, number).where(
                Process.tenant_id == tenant.id, due_sql(rule, day), ~already
            )
        ).all()
        for process, since, n in rows:
            recipients = _recipients(process)
            if not recipients:
                continue  # tried again tomorrow: someone may be made owner
            claimed = db.session.execute(
                insert(ProcessReminder)
                .values(
                    tenant_id=process.tenant_id,
                    process_id=process.id,
                    kind=rule.kind,
                    counted_from=since,
                    period=n,
                    recipients=len(recipients),
                )
                .on_conflict_do_nothing()
                .returning(ProcessReminder.process_id)
            ).first()
            if claimed is None:
                continue
            subject, body = _mail(rule, process, tenant.slug, since)
            for user in recipients:
                queue_mail(
                    process.tenant_id, user.email, subject, body, kind=f"processes.{rule.kind}"
                )
                queued += 1
    return queued

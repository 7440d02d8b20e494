"""The manager's dashboard ("Overblik"): the figures, read only (nothing here writes).

Every count is taken under the register's own list conditions (`queries.filtered_query`)
with the very filters its link to the list carries, so a number and the list it leads to
cannot disagree. The quarterly trend is computed from the history (the recorded phase
changes, and a process's creation as entering its first phase), not from snapshots.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, String, cast, func, literal, select, union_all
from sqlalchemy.dialects.postgresql import ARRAY, array
from sqlalchemy.orm import aliased

from autoproces.platform import search
from autoproces.platform.db import db
from autoproces.platform.i18n import LOCAL_TZ
from autoproces.platform.identity.auth import require
from autoproces.platform.identity.models import User
from autoproces.platform.permissions import Action
from autoproces.tenants.processes import queries
from autoproces.tenants.processes.figures import expected_hours_sql, round_hours
from autoproces.tenants.processes.history import history_name
from autoproces.tenants.processes.models import (
    DEFAULT_COST_PER_HOUR,
    Domain,
    Phase,
    Process,
    ProcessChange,
    ProcessDomain,
    Status,
)
from autoproces.tenants.runs.figures import realised_hours_of_process_sql

# Quarters and "30 days" are counted on the municipality's calendar, not UTC's.
QUARTERS = 8
WAITING_DAYS = 30
TOP = 10  # technologies and vendors shown
WAITING_SHOWN = 10  # the longest-waiting ideas listed by name


def realised_hours_sql() -> Any:
    """The realised hours per year of a Process row in SQL: from its recorded runs when it
    has any (the runs component's formula), else the process's manual field."""
    return realised_hours_of_process_sql()


@dataclass
class Benefit:
    """Expected versus realised hours and DKK per year of processes in drift."""

    processes: int = 0
    with_realised: int = 0  # of these, how many have a realised figure
    expected_hours: float = 0.0
    realised_hours: float = 0.0
    expected_dkk: float = 0.0
    realised_dkk: float = 0.0


@dataclass
class DomainBenefit(Benefit):
    domain: Domain | None = None


@dataclass
class Quarter:
    label: str  # "2026 K1"
    start: date
    entered: dict[str, int] = field(default_factory=dict)  # phase → processes entering it


@dataclass
class WaitingIdea:
    id: uuid.UUID
    number: int
    title: str
    created_at: datetime
    days: int


@dataclass
class Dashboard:
    domain: Domain | None  # the fagområde filtered by, if any
    total: int
    by_phase: dict[str, int]
    by_status: dict[str, int]
    quarters: list[Quarter]
    benefit: Benefit
    benefit_by_domain: list[DomainBenefit]
    cost_per_hour_dkk: float
    technologies: list[tuple[str, int]]
    vendors: list[tuple[str, int]]
    waiting_total: int
    waiting: list[WaitingIdea]
    waiting_since: date  # ideas created before this day count as waiting


def waiting_cutoff(today: date) -> date:
    """Ideas created before this day (local time) have waited longer than 30 days."""
    return today - timedelta(days=WAITING_DAYS)


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def last_quarters(today: date, n: int = QUARTERS) -> list[date]:
    """The first days of the last `n` quarters, the current one last."""
    start = quarter_start(today)
    starts = [start]
    for _ in range(n - 1):
        previous = starts[-1] - timedelta(days=1)
        starts.append(quarter_start(previous))
    return list(reversed(starts))


def dashboard(user: User, domain: uuid.UUID | None = None, today: date | None = None) -> Dashboard:
    """The dashboard's figures over what `user` may see, optionally in one fagområde."""
    require(user, Action.READ_ALL)
    today = today or datetime.now(LOCAL_TZ).date()
    conditions = queries.filtered_query(user, domain=domain)
    domains = {d.id: d for d in queries.list_domains(user.tenant_id, active_only=False)}

    by_phase: dict[str, int] = {}
    by_status: dict[str, int] = {}
    for phase, status, n in db.session.execute(
        select(Process.phase, Process.status, func.count())
        .where(*conditions)
        .group_by(Process.phase, Process.status)
    ):
        by_phase[phase] = by_phase.get(phase, 0) + n
        by_status[status] = by_status.get(status, 0) + n

    settings = queries.settings_for(user.tenant_id)
    cost = Decimal(settings.cost_per_hour_dkk if settings else DEFAULT_COST_PER_HOUR)
    cutoff = waiting_cutoff(today)
    waiting_conditions = queries.filtered_query(
        user, domain=domain, phase=Phase.IDEA, status=Status.NOT_ASSESSED, created_before=cutoff
    )
    waiting_rows = db.session.execute(
        select(Process.id, Process.number, Process.title, Process.created_at)
        .where(*waiting_conditions)
        .order_by(Process.created_at, Process.number)
        .limit(WAITING_SHOWN)
    ).all()
    waiting_total = db.session.scalar(
        select(func.count()).select_from(Process).where(*waiting_conditions)
    )
    return Dashboard(
        domain=domains.get(domain) if domain else None,
        total=sum(by_phase.values()),
        by_phase=by_phase,
        by_status=by_status,
        quarters=_quarters(conditions, today),
        benefit=_benefit(user, domain, cost),
        benefit_by_domain=_benefit_by_domain(user, domain, cost, domains),
        cost_per_hour_dkk=float(cost),
        technologies=_top_technologies(conditions),
        vendors=_top_vendors(conditions),
        waiting_total=waiting_total or 0,
        waiting=[
            WaitingIdea(
                r.id,
                r.number,
                r.title,
                r.created_at,
                (today - r.created_at.astimezone(LOCAL_TZ).date()).days,
            )
            for r in waiting_rows
        ],
        waiting_since=cutoff,
    )


def _quarters(conditions: list[Any], today: date) -> list[Quarter]:
    """How many processes entered each phase in each of the last eight quarters: every
    recorded phase change enters its new phase; creation enters the first phase (the old
    value of the first recorded change, or the present phase when none was recorded)."""
    starts = last_quarters(today)
    since = datetime.combine(starts[0], datetime.min.time(), LOCAL_TZ)
    field_name = history_name("phase")
    # The phase changes of the counted processes (a join: the list's conditions on Process).
    changes = (
        select(
            ProcessChange.process_id.label("process_id"),
            ProcessChange.new_value.op("#>>")(literal("{}", String)).label("phase"),
            ProcessChange.changed_at.label("at"),
        )
        .select_from(Process)
        .join(
            ProcessChange,
            (ProcessChange.tenant_id == Process.tenant_id)
            & (ProcessChange.process_id == Process.id),
        )
        .where(*conditions, ProcessChange.field == field_name, ProcessChange.changed_at >= since)
    )
    # The phase a process was created in: its first change's old value (the index on
    # (tenant, process, changed_at) gives it first), or the phase it is still in.
    first_change = (
        select(ProcessChange.old_value.op("#>>")(literal("{}", String)))
        .where(
            ProcessChange.tenant_id == Process.tenant_id,
            ProcessChange.process_id == Process.id,
            ProcessChange.field == field_name,
        )
        .order_by(ProcessChange.changed_at)
        .limit(1)
        .scalar_subquery()
    )
    creations = select(
        Process.id.label("process_id"),
        func.coalesce(first_change, Process.phase).label("phase"),
        Process.created_at.label("at"),
    ).where(*conditions, Process.created_at >= since)
    entries = union_all(changes, creations).subquery("entries")
    # Which of the eight quarters (1-8) an entry falls in, by the quarters' first moments.
    bounds = [datetime.combine(start, datetime.min.time(), LOCAL_TZ) for start in starts]
    bucket = func.width_bucket(
        entries.c.at, cast(array(bounds), ARRAY(DateTime(timezone=True)))
    ).label("bucket")
    counts = {
        (q, phase): n
        for q, phase, n in db.session.execute(
            select(
                bucket, entries.c.phase, func.count(func.distinct(entries.c.process_id))
            ).group_by(bucket, entries.c.phase)
        )
    }
    return [
        Quarter(
            label=f"{start.year} K{(start.month - 1) // 3 + 1}",
            start=start,
            entered={p.value: counts.get((i + 1, p.value), 0) for p in Phase},
        )
        for i, start in enumerate(starts)
    ]


def _benefit_columns() -> list[Any]:
    expected = expected_hours_sql()
    realised = realised_hours_sql()
    return [
        func.count(func.distinct(Process.id)),
        func.count(func.distinct(Process.id)).filter(realised.is_not(None)),
        func.coalesce(func.sum(expected), 0),
        func.coalesce(func.sum(realised), 0),
    ]


def _benefit_from(row: Any, cost: Decimal, into: Benefit) -> Benefit:
    n, with_realised, expected, realised = row
    expected, realised = Decimal(expected), Decimal(realised)
    into.processes = n
    into.with_realised = with_realised
    into.expected_hours = round_hours(expected)
    into.realised_hours = round_hours(realised)
    into.expected_dkk = float(round(expected * cost))
    into.realised_dkk = float(round(realised * cost))
    return into


def _benefit(user: User, domain: uuid.UUID | None, cost: Decimal) -> Benefit:
    """Processes in drift, counted once each (the sum over fagområder may count one twice)."""
    conditions = queries.filtered_query(user, domain=domain, phase=Phase.OPERATION)
    row = db.session.execute(select(*_benefit_columns()).where(*conditions)).one()
    return _benefit_from(row, cost, Benefit())


def _benefit_by_domain(
    user: User, domain: uuid.UUID | None, cost: Decimal, domains: dict[uuid.UUID, Domain]
) -> list[DomainBenefit]:
    """The same per fagområde (a process in two counts in both), in the tenant's order."""
    conditions = queries.filtered_query(user, domain=domain, phase=Phase.OPERATION)
    # An alias, so the domain filter's own ProcessDomain subquery does not correlate to it.
    pd = aliased(ProcessDomain)
    link = (pd.tenant_id == Process.tenant_id) & (pd.process_id == Process.id)
    rows = db.session.execute(
        select(pd.domain_id, *_benefit_columns())
        .select_from(Process)
        .join(pd, link)
        .where(*conditions)
        .group_by(pd.domain_id)
    ).all()
    result = [
        _benefit_from(tuple(r)[1:], cost, DomainBenefit(domain=domains.get(r.domain_id)))
        for r in rows
        if (domain is None or r.domain_id == domain) and r.domain_id in domains
    ]
    return sorted(result, key=lambda b: (b.domain.position, b.domain.name))


def _top(conditions: list[Any], column: Any, many: bool) -> list[tuple[str, int]]:
    """The most named values of `column` (technologies: `many`, an array; the vendor: one
    text), with the count their link's list shows. The list's filters match any part of a
    name in any case ("RPA" also lists "RPA (UiPath)"), so each name is counted the same
    way. One statement: the processes are grouped by their distinct values (few), and the
    names are ranked and tested against those groups, not against every process."""
    groups = (
        select(column.label("value"), func.count().label("n"))
        .where(*conditions)
        .group_by(column)
        .cte("groups")
    )
    if many:
        element = func.unnest(groups.c.value).table_valued("name").render_derived("element")
        name = func.btrim(element.c.name)
        base = select(name.label("name"), func.sum(groups.c.n).label("exact")).join_from(
            groups, element, literal(True)
        )
    else:
        name = func.btrim(groups.c.value)
        base = select(name.label("name"), func.sum(groups.c.n).label("exact"))
    names = (
        (base.where(name != "").group_by(name).order_by(func.sum(groups.c.n).desc(), name))
        .limit(TOP)
        .cte("names")
    )
    # The name as a LIKE pattern, escaped as search.contains escapes it.
    escaped = names.c.name
    for char in (search.LIKE_ESCAPE, "%", "_"):
        escaped = func.replace(escaped, char, search.LIKE_ESCAPE + char)
    pattern = func.concat("%", escaped, "%")
    other = groups.alias("other")
    if many:
        inner = func.unnest(other.c.value).table_valued("name").render_derived("inner")
        match = (
            select(1)
            .select_from(inner)
            .where(inner.c.name.ilike(pattern, escape=search.LIKE_ESCAPE))
            .correlate_except(inner)
            .exists()
        )
    else:
        match = other.c.value.ilike(pattern, escape=search.LIKE_ESCAPE)
    listed = select(func.coalesce(func.sum(other.c.n), 0)).where(match).scalar_subquery().label("n")
    rows = db.session.execute(
        select(names.c.name, listed).order_by(listed.desc(), names.c.exact.desc(), names.c.name)
    ).all()
    return [(r[0], int(r[1])) for r in rows]


def _top_technologies(conditions: list[Any]) -> list[tuple[str, int]]:
    return _top(conditions, Process.technologies, many=True)


def _top_vendors(conditions: list[Any]) -> list[tuple[str, int]]:
    return _top(conditions, Process.vendor, many=False)

"""The register's reading queries: the list and its search, the overview per fagområde,
similar processes, look-ups by number, the tenant's fagområder and settings. Nothing here
writes (services.py does)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import ColumnElement, Row, Subquery, false, func, null, or_, select, text
from sqlalchemy.dialects.postgresql import aggregate_order_by

from autoproces.platform import search
from autoproces.platform.db import db
from autoproces.platform.errors import NotFound
from autoproces.platform.i18n import LOCAL_TZ
from autoproces.platform.identity.auth import require
from autoproces.platform.identity.models import User
from autoproces.platform.pagination import PER_PAGE, Page
from autoproces.platform.permissions import Action

from . import phases, reminders, signals
from .figures import (
    expected_figures,
    expected_hours_sql,
    priority_score_sql,
    round_hours,
    score_context,
)
from .models import (
    Domain,
    PhaseStatusLabels,
    Process,
    ProcessAssociatedUser,
    ProcessDomain,
    TenantSettings,
)
from .policy import visible_to
from .signals import list_filters


@dataclass(frozen=True)
class ProcessSummary(PhaseStatusLabels):
    """A row of the register's list page: only what the page shows. A page of these is
    one narrow query, where full processes are 76 columns and four relationships."""

    id: uuid.UUID
    number: int
    title: str
    summary: str
    phase: str
    status: str
    domains: tuple[str, ...]  # the fagområder's names, in the tenant's order
    expected_hours_per_year: float | None
    updated_at: datetime
    snippet: Markup | None = None


_NUMBER_SEARCH = re.compile(r"^(?:(?:idé|ide|proces)\s*)?(?:nr\.?\s*)?(\d{1,9})$", re.IGNORECASE)
# The list's orders (ProcessQuerySchema's choices); relevance falls back to last changed.
SORTS = ("relevance", "updated", "created", "title", "phase", "hours", "score")


def searched_number(q: str) -> int | None:
    """The process number a search names ("42", "nr. 42", "Idé nr. 42"), if it names one."""
    match = _NUMBER_SEARCH.match(q.strip())
    return int(match.group(1)) if match else None


def filtered_query(
    user: User,
    *,
    q: str | None = None,
    domain: uuid.UUID | None = None,
    phase: str | None = None,
    status: str | None = None,
    kle: str | None = None,
    technology: str | None = None,
    vendor: str | None = None,
    created_before: date | None = None,
    attention: str | None = None,
    mine: bool = False,
    following: bool = False,
) -> list[ColumnElement[bool]]:
    """The conditions of the register's list (and its export): what `user` may see,
    narrowed by the filters. Returns a list of SQL conditions."""
    require(user, Action.READ)
    conditions = [Process.tenant_id == user.tenant_id, visible_to(user)]
    if q and q.strip():
        q = q.strip()
        fulltext = Process.search_vector.op("@@")(search.tsquery(q))
        number = searched_number(q)
        if number is not None:
            # "42", "nr. 42", "Idé nr. 42": that process, and any whose text has the words.
            conditions.append(or_(Process.number == number, fulltext))
        elif len(q) >= 3 and not db.session.scalar(
            select(select(Process.id).where(*conditions, fulltext).exists())
        ):
            # No word matches: look inside compound words ("håndtering" in
            # "Fakturahåndtering") through the trigram index. Only then, because an OR
            # with the full-text match would keep the GIN index from being used.
            conditions.append(
                or_(
                    search.contains(Process.title, q, any_case=True),
                    search.contains(Process.summary, q, any_case=True),
                )
            )
        else:
            conditions.append(fulltext)
    if domain:
        conditions.append(
            select(ProcessDomain.process_id)
            .where(
                ProcessDomain.tenant_id == Process.tenant_id,
                ProcessDomain.process_id == Process.id,
                ProcessDomain.domain_id == domain,
            )
            .exists()
        )
    if phase:
        conditions.append(Process.phase == phase)
    if status:
        conditions.append(Process.status == status)
    if kle:
        conditions.append(search.begins(Process.kle_code, kle))
    if technology:
        # Any case, any part of a technology's name: "rpa" finds "RPA" and "RPA (UiPath)".
        element = func.unnest(Process.technologies).table_valued("name").render_derived()
        conditions.append(
            select(1)
            .select_from(element)
            .where(search.contains(element.c.name, technology.strip(), any_case=True))
            .exists()
        )
    if vendor:
        conditions.append(search.contains(Process.vendor, vendor.strip(), any_case=True))
    if created_before:
        # Reported before that day began in Denmark (the dashboard's waiting ideas).
        start = datetime.combine(created_before, datetime.min.time(), LOCAL_TZ)
        conditions.append(Process.created_at < start)
    if attention in reminders.RULES:
        # "Lovgrundlag skal kontrolleres", "Uændret i 12 måneder": the reminders' own rules.
        conditions.append(reminders.due_sql(reminders.RULES[attention]))
    if mine:
        conditions.append(
            or_(
                Process.reporter_id == user.id,
                Process.owner_id == user.id,
                Process.contact_id == user.id,
                select(ProcessAssociatedUser.user_id)
                .where(
                    ProcessAssociatedUser.tenant_id == Process.tenant_id,
                    ProcessAssociatedUser.process_id == Process.id,
                    ProcessAssociatedUser.user_id == user.id,
                )
                .exists(),
            )
        )
    if following:
        # Only the user's own follows ("Jeg følger"), as engagement contributes the condition.
        contributed = list_filters.get("following")
        conditions.append(contributed(user) if contributed else false())
    return conditions


def sort_order(sort: str, q: str | None) -> list[Any]:
    """The ORDER BY of the list for `sort` (relevance falls back to last changed)."""
    orders = {
        "updated": [Process.updated_at.desc()],
        "created": [Process.created_at.desc()],
        "title": [func.lower(Process.title)],
        "phase": [phases.rank_sql(Process.phase), Process.updated_at.desc()],
        "hours": [expected_hours_sql().desc().nulls_last()],
    }
    if sort == "score":  # the municipality's settings under RLS: the list's own
        context = score_context(db.session.scalar(select(TenantSettings)))
        return [priority_score_sql(context).desc().nulls_last(), Process.updated_at.desc()]
    if sort == "relevance" or sort not in orders:
        if q and q.strip():
            number = searched_number(q)
            first = [(Process.number == number).desc()] if number is not None else []
            return [
                *first,
                func.ts_rank(Process.search_vector, search.tsquery(q.strip())).desc(),
                Process.updated_at.desc(),
            ]
        return orders["updated"]
    return orders[sort]


def list_processes(
    user: User,
    *,
    q: str | None = None,
    sort: str = "relevance",
    page: int = 1,
    per_page: int = PER_PAGE,
    **filters: Any,
) -> Page[Process]:
    """A page of the register's list as full processes (the API's list items)."""
    rows, total = _page_rows(
        user, [Process], q=q, sort=sort, page=page, per_page=per_page, filters=filters
    )
    items = []
    for row in rows:
        process = row[0]
        process.snippet = search.highlight(row.snippet)
        items.append(process)
    return Page(items=present(items, user.tenant_id), total=total, page=page, per_page=per_page)


def list_summaries(
    user: User,
    *,
    q: str | None = None,
    sort: str = "relevance",
    page: int = 1,
    per_page: int = PER_PAGE,
    **filters: Any,
) -> Page[ProcessSummary]:
    """The same page as `list_processes`, with only what the list page shows."""
    domain_names = (
        select(func.array_agg(aggregate_order_by(Domain.name, Domain.position, Domain.name)))
        .join(
            ProcessDomain,
            (ProcessDomain.tenant_id == Domain.tenant_id) & (ProcessDomain.domain_id == Domain.id),
        )
        .where(ProcessDomain.tenant_id == Process.tenant_id, ProcessDomain.process_id == Process.id)
        .scalar_subquery()
        .label("domain_names")
    )
    columns = [
        Process.id,
        Process.number,
        Process.title,
        Process.summary,
        Process.phase,
        Process.status,
        Process.updated_at,
        Process.occurrences_per_year,
        Process.minutes_per_occurrence,
        Process.automation_share_pct,
        domain_names,
    ]
    rows, total = _page_rows(
        user, columns, q=q, sort=sort, page=page, per_page=per_page, filters=filters
    )
    items = [
        ProcessSummary(
            id=row.id,
            number=row.number,
            title=row.title,
            summary=row.summary,
            phase=row.phase,
            status=row.status,
            domains=tuple(row.domain_names or ()),
            # Hours need none of the tenant's settings (only FTE and value do).
            expected_hours_per_year=expected_figures(row, None)["expected_hours_per_year"],
            updated_at=row.updated_at,
            snippet=search.highlight(row.snippet),
        )
        for row in rows
    ]
    return Page(items=items, total=total, page=page, per_page=per_page)


def _page_rows(
    user: User,
    columns: list[Any],
    *,
    q: str | None,
    sort: str,
    page: int,
    per_page: int,
    filters: dict[str, Any],
) -> tuple[list[Row[Any]], int]:
    """`columns` and the search's snippet of the processes on the page of the filtered
    list, in the list's order, and the list's total."""
    q = q.strip() if q else None
    conditions = filtered_query(user, q=q, **filters)
    paged = _page_ids(conditions, sort=sort, q=q, page=page, per_page=per_page)
    rows = list(
        db.session.execute(
            select(*columns, _snippet(q), paged.c.total)
            .select_from(Process)
            .join(paged, (Process.tenant_id == user.tenant_id) & (Process.id == paged.c.id))
            .order_by(paged.c.position)
        ).all()
    )
    if rows:
        return rows, rows[0].total
    if page == 1:
        return rows, 0
    # A page past the end has no row to carry the total.
    total = db.session.scalar(select(func.count()).select_from(Process).where(*conditions))
    return rows, total or 0


def _page_ids(
    conditions: list[ColumnElement[bool]], *, sort: str, q: str | None, page: int, per_page: int
) -> Subquery:
    """The ids on the page, their place in the list and the filtered total, in one pass:
    count(*) OVER () spares a second scan for the count, and only narrow rows are sorted
    (the wide columns are then read for the page's rows alone)."""
    ordering = [*sort_order(sort, q), Process.id]
    return (
        select(
            Process.id,
            func.count().over().label("total"),
            func.row_number().over(order_by=ordering).label("position"),
        )
        .where(*conditions)
        .order_by(*ordering)
        .limit(per_page)
        .offset((page - 1) * per_page)
        .subquery("page")
    )


def _snippet(q: str | None) -> Any:
    """The matched words in context, marked for search.highlight (NULL without a search)."""
    if not q:
        return null().label("snippet")
    document = func.concat_ws(
        " … ",
        Process.title,
        Process.summary,
        Process.description,
        Process.current_process,
        Process.solution_ideas,
    )
    return search.headline(document, q).label("snippet")


def process_id_by_number(user: User, number: int) -> uuid.UUID:
    """The id of the process with this short number, or NotFound (also when `user` may not
    see it)."""
    require(user, Action.READ)
    found = db.session.scalar(
        select(Process.id).where(
            Process.tenant_id == user.tenant_id, Process.number == number, visible_to(user)
        )
    )
    if found is None:
        raise NotFound(_("Processen findes ikke."))
    return found


def settings_for(tenant_id: uuid.UUID) -> TenantSettings | None:
    return db.session.get(TenantSettings, tenant_id)


def list_domains(tenant_id: uuid.UUID, active_only: bool = True) -> list[Domain]:
    query = select(Domain).where(Domain.tenant_id == tenant_id)
    if active_only:
        query = query.where(Domain.active)
    return list(db.session.scalars(query.order_by(Domain.position, Domain.name)))


def present(processes: list[Process] | Process, tenant_id: uuid.UUID) -> Any:
    """Attach the tenant's settings and score context, so the computed figures can be shown."""
    settings = settings_for(tenant_id)
    context = score_context(settings)
    shown = processes if isinstance(processes, list) else [processes]
    for process in shown:
        process.settings = settings
        process.score_context = context
    if shown:
        signals.processes_presented.send(shown)
    return processes


# --- Overview per fagområde -------------------------------------------------------------


@dataclass
class DomainOverview:
    domain: Domain | None  # None: processes without a fagområde
    total: int
    by_phase: dict[str, int]
    by_status: dict[str, int]
    expected_hours_per_year: float


def overview(user: User) -> list[DomainOverview]:
    """For each fagområde: processes by phase and by status, and expected hours per year.

    A process in two fagområder counts in both; only what `user` may see is counted.
    """
    conditions = filtered_query(user)
    # Exact (numeric) hours, rounded once at the end the way the process page rounds them.
    hours = func.coalesce(func.sum(expected_hours_sql()), 0)
    link = (ProcessDomain.tenant_id == Process.tenant_id) & (ProcessDomain.process_id == Process.id)
    rows = db.session.execute(
        select(ProcessDomain.domain_id, Process.phase, Process.status, func.count(), hours)
        .select_from(Process)
        .outerjoin(ProcessDomain, link)
        .where(*conditions)
        .group_by(ProcessDomain.domain_id, Process.phase, Process.status)
    ).all()
    domains = {d.id: d for d in list_domains(user.tenant_id, active_only=False)}
    result: dict[uuid.UUID | None, DomainOverview] = {}
    exact: dict[uuid.UUID | None, Decimal] = {}
    for domain_id, phase, status, n, h in rows:
        entry = result.setdefault(
            domain_id,
            DomainOverview(
                domain=domains.get(domain_id),
                total=0,
                by_phase={},
                by_status={},
                expected_hours_per_year=0.0,
            ),
        )
        entry.total += n
        entry.by_phase[phase] = entry.by_phase.get(phase, 0) + n
        entry.by_status[status] = entry.by_status.get(status, 0) + n
        exact[domain_id] = exact.get(domain_id, Decimal(0)) + Decimal(h or 0)
    for domain_id, entry in result.items():
        entry.expected_hours_per_year = round_hours(exact.get(domain_id, Decimal(0)))
    # Every active fagområde is listed, also the empty ones, in the tenant's order.
    for domain in domains.values():
        if domain.active and domain.id not in result:
            result[domain.id] = DomainOverview(domain, 0, {}, {}, 0.0)
    return sorted(
        result.values(), key=lambda e: (e.domain is None, e.domain.position if e.domain else 0)
    )


def similar_processes(user: User, title: str, limit: int = 5) -> list[Process]:
    """Processes in the municipality whose title or summary looks like `title` (trigram
    similarity), so the same idea is not reported twice."""
    title = title.strip()
    if len(title) < 4:
        return []
    score = func.greatest(
        func.word_similarity(title, Process.title), func.word_similarity(title, Process.summary)
    )
    return list(
        db.session.scalars(
            select(Process)
            .where(*filtered_query(user), score > 0.35)
            .order_by(score.desc(), Process.updated_at.desc())
            .limit(limit)
        )
    )


# --- For the operator console: counts only --------------------------------------------


def phase_counts_per_tenant() -> dict[uuid.UUID, dict[str, int]]:
    """Processes per phase of every municipality, from the narrow SECURITY DEFINER function
    `operator_process_phase_counts()`: counts, never a process (the operator has no tenant,
    so row-level security shows it none)."""
    counts: dict[uuid.UUID, dict[str, int]] = {}
    rows = db.session.execute(
        text("select tenant_id, phase, count from operator_process_phase_counts()")
    )
    for row in rows:
        counts.setdefault(row.tenant_id, {})[row.phase] = int(row.count)
    return counts

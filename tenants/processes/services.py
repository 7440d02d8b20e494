"""Domain operations on processes: the only code that writes them."""

from __future__ import annotations

import math
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy import (
    ColumnElement,
    Row,
    Subquery,
    case,
    delete,
    false,
    func,
    null,
    or_,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm.exc import StaleDataError

from autoproces.platform.db import db
from autoproces.platform.errors import Conflict, Forbidden, Invalid, NotFound
from autoproces.platform.identity.auth import require
from autoproces.platform.identity.models import User
from autoproces.platform.permissions import Action

from . import fields as registry
from . import policy
from .figures import expected_figures, round_hours
from .models import (
    PHASE_LABELS,
    STANDARD_DOMAINS,
    STATUS_LABELS,
    Domain,
    Phase,
    PhaseStatusLabels,
    Process,
    ProcessAssociatedUser,
    ProcessChange,
    ProcessDomain,
    ProcessNumberCounter,
    Status,
    TenantSettings,
)
from .policy import visible_to
from .signals import list_filters, process_changed, process_created, process_deleting

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


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


def searched_number(q: str) -> int | None:
    """The process number a search names ("42", "nr. 42", "Idé nr. 42"), if it names one."""
    match = _NUMBER_SEARCH.match(q.strip())
    return int(match.group(1)) if match else None


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# Markers ts_headline puts around matches; the text is escaped before they become <mark>.
# Control characters, which nobody types; _snippet turns any in the text into spaces all the
# same, so every marker in the output is ts_headline's own (balanced <mark> tags).
_HIT_START, _HIT_STOP = "\x01", "\x02"
SORTS = ("relevance", "updated", "created", "title", "phase", "hours")


PREFIX_MIN = 2  # shorter words are searched whole: "a:*" would match nearly every process


def _prefix_terms(q: str) -> str:
    """'faktura løn' -> 'faktura:* & løn:*' (only letters and digits reach to_tsquery)."""
    words = ["".join(ch for ch in w if ch.isalnum()) for w in q.split()]
    return " & ".join(
        f"{w}:*" for w in words if len(w) >= PREFIX_MIN and w.lower() not in ("or", "and")
    )


def _tsquery(q: str) -> Any:
    """Web-search syntax ("quoted phrases", OR, -not), plus every word as a prefix: Danish
    joins words, so "faktura" must find "Fakturahåndtering"."""
    query = func.websearch_to_tsquery("danish", q)
    prefix = _prefix_terms(q)
    if prefix:
        query = query.op("||")(func.to_tsquery("danish", prefix))
    return query


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
    mine: bool = False,
    following: bool = False,
) -> list[ColumnElement[bool]]:
    """The conditions of the register's list (and its export): what `user` may see,
    narrowed by the filters. Returns a list of SQL conditions."""
    require(user, Action.READ)
    conditions = [Process.tenant_id == user.tenant_id, visible_to(user)]
    if q and q.strip():
        q = q.strip()
        fulltext = Process.search_vector.op("@@")(_tsquery(q))
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
            pattern = f"%{_escape_like(q)}%"
            conditions.append(
                or_(
                    Process.title.ilike(pattern, escape="\\"),
                    Process.summary.ilike(pattern, escape="\\"),
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
        conditions.append(Process.kle_code.like(_escape_like(kle) + "%", escape="\\"))
    if technology:
        # Any case, any part of a technology's name: "rpa" finds "RPA" and "RPA (UiPath)".
        element = func.unnest(Process.technologies).table_valued("name").render_derived()
        conditions.append(
            select(1)
            .select_from(element)
            .where(element.c.name.ilike(f"%{_escape_like(technology.strip())}%", escape="\\"))
            .exists()
        )
    if vendor:
        conditions.append(Process.vendor.ilike(f"%{_escape_like(vendor.strip())}%", escape="\\"))
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
    hours = (
        Process.occurrences_per_year * Process.minutes_per_occurrence * Process.automation_share_pct
    )
    orders = {
        "updated": [Process.updated_at.desc()],
        "created": [Process.created_at.desc()],
        "title": [func.lower(Process.title)],
        "phase": [
            case({p.value: i for i, p in enumerate(Phase)}, value=Process.phase),
            Process.updated_at.desc(),
        ],
        "hours": [hours.desc().nulls_last()],
    }
    if sort == "relevance" or sort not in orders:
        if q and q.strip():
            number = searched_number(q)
            first = [(Process.number == number).desc()] if number is not None else []
            return [
                *first,
                func.ts_rank(Process.search_vector, _tsquery(q.strip())).desc(),
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
    per_page: int = 25,
    **filters: Any,
) -> Page[Process]:
    """A page of the register's list as full processes (the API's list items)."""
    q = q.strip() if q else None
    conditions = filtered_query(user, q=q, **filters)
    rows, total = _page_rows(
        user, [Process, _snippet(q)], conditions, sort=sort, q=q, page=page, per_page=per_page
    )
    items = []
    for row in rows:
        process = row[0]
        process.snippet = _highlight(row.snippet)
        items.append(process)
    return Page(items=present(items, user.tenant_id), total=total, page=page, per_page=per_page)


def list_summaries(
    user: User,
    *,
    q: str | None = None,
    sort: str = "relevance",
    page: int = 1,
    per_page: int = 25,
    **filters: Any,
) -> Page[ProcessSummary]:
    """The same page as `list_processes`, with only what the list page shows."""
    q = q.strip() if q else None
    conditions = filtered_query(user, q=q, **filters)
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
        _snippet(q),
    ]
    rows, total = _page_rows(
        user, columns, conditions, sort=sort, q=q, page=page, per_page=per_page
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
            snippet=_highlight(row.snippet),
        )
        for row in rows
    ]
    return Page(items=items, total=total, page=page, per_page=per_page)


def _page_rows(
    user: User,
    columns: list[Any],
    conditions: list[ColumnElement[bool]],
    *,
    sort: str,
    q: str | None,
    page: int,
    per_page: int,
) -> tuple[list[Row[Any]], int]:
    """`columns` of the processes on the page, in the list's order, and the list's total."""
    paged = _page_ids(conditions, sort=sort, q=q, page=page, per_page=per_page)
    rows = list(
        db.session.execute(
            select(*columns, paged.c.total)
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
    """The matched words in context, marked for _highlight (NULL without a search). In the
    outer query of a page, so ts_headline runs for the page's rows only."""
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
    # The markers in the text itself become spaces (they separate words, as before).
    document = func.translate(document, _HIT_START + _HIT_STOP, "  ")
    options = (
        f"StartSel={_HIT_START}, StopSel={_HIT_STOP}, MaxFragments=2, MaxWords=20,"
        ' MinWords=6, FragmentDelimiter=" … "'
    )
    return func.ts_headline("danish", document, _tsquery(q), options).label("snippet")


def _highlight(snippet: str | None) -> Markup | None:
    """The snippet as HTML: the text escaped, the matches in <mark>."""
    if snippet is None:
        return None
    return Markup(str(escape(snippet)).replace(_HIT_START, "<mark>").replace(_HIT_STOP, "</mark>"))


def get_process(user: User, process_id: uuid.UUID, need: str = "read") -> Process:
    """The process, checked against the policy for what the caller needs ("read", "edit"
    or "delete"): NotFound when they may not see it (it does not exist for them),
    Forbidden when they see it but may not do what they need."""
    require(user, Action.READ)
    process = db.session.scalar(
        select(Process).where(
            Process.tenant_id == user.tenant_id, Process.id == process_id, visible_to(user)
        )
    )
    if process is None:
        raise NotFound(_("Processen findes ikke."))
    if need == "edit" and not policy.can_edit(user, process):
        raise Forbidden(_("Du må ikke ændre denne proces."))
    if need == "delete" and not policy.can_delete(user, process):
        raise Forbidden(_("Du må ikke slette denne proces."))
    return present(process, user.tenant_id)


def next_process_number(tenant_id: uuid.UUID) -> int:
    """The municipality's next process number. The counter's row stays locked until the
    transaction ends, so concurrent creates in one municipality wait rather than collide;
    a create that is rolled back gives its number back."""
    table = ProcessNumberCounter.__table__
    statement = (
        pg_insert(table)
        .values(tenant_id=tenant_id, last_number=1)
        .on_conflict_do_update(
            index_elements=[table.c.tenant_id], set_={"last_number": table.c.last_number + 1}
        )
        .returning(table.c.last_number)
    )
    return db.session.execute(statement).scalar_one()


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


def create_process(user: User, data: dict[str, Any]) -> Process:
    """Report a process. `data` is already validated by ProcessInSchema."""
    require(user, Action.REPORT)
    if not user.can(Action.EDIT):
        refused = {
            f: [_("Kun automatiseringsteamet kan sætte dette felt.")]
            for f in sorted(set(data) - REPORTER_FIELDS)
        }
        if refused:
            raise Invalid(_("Oplysningerne kunne ikke gemmes."), refused)
    errors = check_references(user, data)
    if errors:
        raise Invalid(_("Oplysningerne kunne ikke gemmes."), errors)
    fields = {k: v for k, v in data.items() if k not in RELATION_FIELDS}
    process = Process(
        tenant_id=user.tenant_id,
        reporter_id=user.id,
        number=next_process_number(user.tenant_id),
        **fields,
    )
    db.session.add(process)
    db.session.flush()
    _set_relations(process, data)
    problems = _phase_problems(process, Phase.IDEA.value)
    if problems:
        raise Invalid(_("Oplysningerne kunne ikke gemmes."), problems)
    process_created.send(process, user=user)  # e.g. the reporter follows their own idea
    return present(process, user.tenant_id)


# --- The full process model: settings, fagområder, edits with rules and history -------------

# Read from the field registry (fields.py).
REPORTER_FIELDS = registry.REPORTER_FIELDS
PHASE_REQUIREMENTS = registry.PHASE_REQUIREMENTS
LESSON_FIELDS = registry.LESSON_FIELDS
REASON_STATUSES = frozenset(
    {
        Status.REJECTED,
        Status.FAILED,
        Status.PENDING,
        Status.NO_LONGER_RELEVANT,
    }
)
RELATION_FIELDS = ("domain_ids", "associated_user_ids")


def init_tenant(tenant: Any) -> None:
    """A new municipality's settings and its fagområder, seeded from the standard list."""
    db.session.add(TenantSettings(tenant_id=tenant.id))
    for position, name in enumerate(STANDARD_DOMAINS):
        db.session.add(Domain(tenant_id=tenant.id, name=name, position=position))
    db.session.flush()


def settings_for(tenant_id: uuid.UUID) -> TenantSettings | None:
    return db.session.get(TenantSettings, tenant_id)


def list_domains(tenant_id: uuid.UUID, active_only: bool = True) -> list[Domain]:
    query = select(Domain).where(Domain.tenant_id == tenant_id)
    if active_only:
        query = query.where(Domain.active)
    return list(db.session.scalars(query.order_by(Domain.position, Domain.name)))


def present(processes: list[Process] | Process, tenant_id: uuid.UUID) -> Any:
    """Attach the tenant's settings, so the computed figures can be shown."""
    settings = settings_for(tenant_id)
    for process in processes if isinstance(processes, list) else [processes]:
        process.settings = settings
    return processes


def check_references(user: User, data: dict[str, Any]) -> dict[str, list[str]]:
    """Ids must name this municipality's users and fagområder; KLE codes must exist."""
    errors: dict[str, list[str]] = {}
    user_ids = {data[k] for k in ("owner_id", "contact_id") if data.get(k)}
    user_ids |= set(data.get("associated_user_ids") or [])
    if user_ids:
        found = set(
            db.session.scalars(
                select(User.id).where(User.tenant_id == user.tenant_id, User.id.in_(user_ids))
            )
        )
        for key in ("owner_id", "contact_id"):
            if data.get(key) and data[key] not in found:
                errors[key] = [_("Ukendt bruger.")]
        if set(data.get("associated_user_ids") or []) - found:
            errors["associated_user_ids"] = [_("Ukendt bruger.")]
    if data.get("domain_ids"):
        known = {d.id for d in list_domains(user.tenant_id, active_only=False)}
        if set(data["domain_ids"]) - known:
            errors["domain_ids"] = [_("Ukendt fagområde.")]
    if data.get("kle_code"):
        from autoproces.tenants.taxonomy.models import KleEntry

        entry = db.session.get(KleEntry, data["kle_code"])
        if entry is None or entry.level != 3:
            errors["kle_code"] = [_("KLE-emnet findes ikke.")]
    return errors


def _set_relations(process: Process, data: dict[str, Any]) -> None:
    if "domain_ids" in data:
        db.session.execute(
            delete(ProcessDomain).where(
                ProcessDomain.tenant_id == process.tenant_id, ProcessDomain.process_id == process.id
            )
        )
        for domain_id in dict.fromkeys(data["domain_ids"]):
            db.session.add(
                ProcessDomain(
                    tenant_id=process.tenant_id, process_id=process.id, domain_id=domain_id
                )
            )
    if "associated_user_ids" in data:
        db.session.execute(
            delete(ProcessAssociatedUser).where(
                ProcessAssociatedUser.tenant_id == process.tenant_id,
                ProcessAssociatedUser.process_id == process.id,
            )
        )
        for user_id in dict.fromkeys(data["associated_user_ids"]):
            db.session.add(
                ProcessAssociatedUser(
                    tenant_id=process.tenant_id, process_id=process.id, user_id=user_id
                )
            )
    db.session.flush()
    # The people and lists are read-only relationships: reload what this change touched.
    stale = [
        name
        for key, name in (
            ("domain_ids", "domains"),
            ("associated_user_ids", "associated_users"),
            ("owner_id", "owner"),
            ("contact_id", "contact"),
        )
        if key in data
    ]
    if stale:
        db.session.expire(process, stale)


def snapshot(process: Process) -> dict[str, Any]:
    """The process as JSON-able values, for the history."""
    values: dict[str, Any] = {}
    for column in Process.__table__.columns:
        if column.key in (
            "tenant_id",
            "id",
            "version",
            "created_at",
            "updated_at",
            "search_vector",
        ):
            continue
        values[column.key] = _json(getattr(process, column.key))
    values["domain_ids"] = sorted(d.name for d in process.domains)
    values["associated_user_ids"] = sorted(u.name for u in process.associated_users)
    for key in ("owner_id", "contact_id", "reporter_id"):
        person = getattr(process, key.removesuffix("_id"))
        values[key] = {"id": str(person.id), "name": person.name} if person else None
    return values


def _json(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _phase_problems(process: Process, old_phase: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    order = list(Phase)
    new = Phase(process.phase)
    if order.index(new) > order.index(Phase(old_phase)):
        label = str(PHASE_LABELS[new])
        needed = [f for p in order[: order.index(new) + 1] for f in PHASE_REQUIREMENTS[p]]
        present_values = {
            "domain_ids": process.domains,
            **{f: getattr(process, f) for f in needed if f != "domain_ids"},
        }
        missing = [f for f in needed if present_values.get(f) in (None, "", [])]
        for field in missing:
            errors[field] = [_("Skal udfyldes for fasen %(phase)s.", phase=label)]
        if missing:
            names = ", ".join(str(registry.LABELS.get(f, f)) for f in missing)
            errors["phase"] = [_("Fasen %(phase)s kræver: %(fields)s.", phase=label, fields=names)]
    if Status(process.status) in REASON_STATUSES and not process.status_reason.strip():
        errors["status_reason"] = [
            _(
                "Skriv hvorfor, når status er %(status)s.",
                status=str(STATUS_LABELS[Status(process.status)]),
            )
        ]
    return errors


def update_process(user: User, process_id: uuid.UUID, data: dict[str, Any]) -> Process:
    """Apply a validated change (ProcessPatchSchema) made against `data['version']`.

    409 when someone else changed the process since; every changed field is recorded.
    """
    data = dict(data)
    version = data.pop("version")
    process = get_process(user, process_id)
    if not policy.can_edit(user, process, data):
        raise Forbidden(_("Du må ikke ændre denne proces."))
    if process.version != version:
        raise Conflict(
            _(
                "%(name)s har ændret processen, mens du redigerede. Se ændringen, og prøv igen.",
                name=_last_editor(process) or _("En anden"),
            ),
            {"version": [_("Processen er i version %(v)d.", v=process.version)]},
        )
    errors = check_references(user, data)
    if errors:
        raise Invalid(_("Oplysningerne kunne ikke gemmes."), errors)
    before = snapshot(process)
    if not requests_change(process, data, before):
        return present(process, user.tenant_id)  # nothing to do: no write, same version
    old_phase = process.phase
    # A refused change leaves the process as it was stored, also in this session (a page
    # that shows the form again shows the stored phase, not the one that was refused).
    savepoint = db.session.begin_nested()
    try:
        for key, value in data.items():
            if key not in RELATION_FIELDS:
                setattr(process, key, value)
        if LESSON_FIELDS & set(data):
            process.lessons_updated_at = datetime.now(UTC)
        # Set before the one flush, so the version goes up by exactly one (optimistic lock).
        process.updated_at = datetime.now(UTC)
        try:
            _set_relations(process, data)
        except StaleDataError:
            raise Conflict(
                _("Processen blev ændret samtidig. Hent den igen, og prøv igen.")
            ) from None
        errors = _phase_problems(process, old_phase)
        if errors:
            raise Invalid(_("Oplysningerne kunne ikke gemmes."), errors)
    except (Invalid, Conflict):
        savepoint.rollback()
        raise
    savepoint.commit()
    after = snapshot(process)
    for key in sorted(k for k in after if after[k] != before.get(k) and k != "lessons_updated_at"):
        db.session.add(
            ProcessChange(
                tenant_id=process.tenant_id,
                process_id=process.id,
                user_id=user.id,
                field=_history_name(key),
                old_value=before.get(key),
                new_value=after[key],
            )
        )
    db.session.flush()
    # Listeners (e.g. the followers' e-mail) run in this transaction.
    process_changed.send(
        process,
        user=user,
        changes={k: (before.get(k), after[k]) for k in after if after[k] != before.get(k)},
    )
    return present(process, user.tenant_id)


def requests_change(process: Process, data: dict[str, Any], before: dict[str, Any]) -> bool:
    """Whether `data` would change `process` (`before` is its `snapshot`)."""
    for key, value in data.items():
        if key == "domain_ids":
            if {str(v) for v in value} != {str(d.id) for d in process.domains}:
                return True
        elif key == "associated_user_ids":
            if {str(v) for v in value} != {str(u.id) for u in process.associated_users}:
                return True
        elif key in ("owner_id", "contact_id"):
            current = before[key]["id"] if before[key] else None
            if (str(value) if value else None) != current:
                return True
        elif _json(value) != before.get(key):
            return True
    return False


def _history_name(key: str) -> str:
    return registry.HISTORY_NAMES.get(key, key)


def _last_editor(process: Process) -> str | None:
    name = db.session.scalar(
        select(User.name)
        .join(
            ProcessChange,
            (ProcessChange.tenant_id == User.tenant_id) & (ProcessChange.user_id == User.id),
        )
        .where(ProcessChange.tenant_id == process.tenant_id, ProcessChange.process_id == process.id)
        .order_by(ProcessChange.id.desc())
        .limit(1)
    )
    return name


def history(user: User, process_id: uuid.UUID) -> list[dict[str, Any]]:
    process = get_process(user, process_id)
    rows = db.session.execute(
        select(ProcessChange, User)
        .outerjoin(
            User, (User.tenant_id == ProcessChange.tenant_id) & (User.id == ProcessChange.user_id)
        )
        .where(ProcessChange.tenant_id == process.tenant_id, ProcessChange.process_id == process.id)
        .order_by(ProcessChange.id.desc())
    ).all()
    return [
        {
            "id": c.id,
            "changed_at": c.changed_at,
            "user": u,
            "field": c.field,
            "old_value": c.old_value,
            "new_value": c.new_value,
        }
        for c, u in rows
    ]


def history_entries(user: User, process_id: uuid.UUID) -> list[dict[str, Any]]:
    """The history as people read it: one entry per save (who, when), newest first, with
    the fields that save changed in the form's order."""
    entries: list[dict[str, Any]] = []
    for change in history(user, process_id):
        last = entries[-1] if entries else None
        if (
            last is None
            or last["changed_at"] != change["changed_at"]
            or getattr(last["user"], "id", None) != getattr(change["user"], "id", None)
        ):
            last = {"changed_at": change["changed_at"], "user": change["user"], "changes": []}
            entries.append(last)
        last["changes"].append(change)
    order = registry.FORM_ORDER
    history_names = {alias: name for name, alias in registry.HISTORY_NAMES.items()}
    for entry in entries:
        entry["changes"].sort(
            key=lambda c: order.get(history_names.get(c["field"], c["field"]), len(order))
        )
    return entries


def delete_process(user: User, process_id: uuid.UUID) -> None:
    process = get_process(user, process_id, need="delete")
    process_deleting.send(process, user=user)  # e.g. attachments schedule their files' removal
    db.session.delete(process)
    db.session.flush()


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
    hours = func.coalesce(
        func.sum(
            Process.occurrences_per_year
            * Process.minutes_per_occurrence
            * Process.automation_share_pct
            / 6000
        ),
        0,
    )
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

"""The steering group's backlog: the candidates ranked by the priority score beside the
group's own order (`priority_rank`), and the reorder. The score is the register's
(tenants/processes/figures.py); the rank is written through the register's service, so
the history records each changed process."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, func, select, text, true
from sqlalchemy.orm import defer, lazyload

from autoproces.platform.db import db
from autoproces.platform.errors import Invalid
from autoproces.platform.identity.auth import require
from autoproces.platform.identity.models import User
from autoproces.platform.pagination import PER_PAGE, Page
from autoproces.platform.permissions import Action
from autoproces.tenants.processes import figures, queries
from autoproces.tenants.processes.models import Phase, Process, Status, TenantSettings
from autoproces.tenants.processes.policy import get_process
from autoproces.tenants.processes.services import set_priority_ranks

# Not candidates: running or retired processes, and those turned down or no longer relevant.
CLOSED_PHASES = (Phase.OPERATION.value, Phase.DECOMMISSIONED.value)
CLOSED_STATUSES = (Status.REJECTED.value, Status.NO_LONGER_RELEVANT.value)
ORDERS = ("steering", "score")
QUADRANT_SPLIT = 50.0  # benefit and ease are 0-100: the matrix's middle


def candidate_conditions(user: User) -> list[ColumnElement[bool]]:
    """The backlog's candidates that `user` may see (the register's own visibility)."""
    return [
        *queries.filtered_query(user),
        Process.phase.not_in(CLOSED_PHASES),
        Process.status.not_in(CLOSED_STATUSES),
    ]


def is_candidate(process: Process) -> bool:
    return process.phase not in CLOSED_PHASES and process.status not in CLOSED_STATUSES


@dataclass(frozen=True)
class BacklogItem:
    process: Process
    score: figures.Score
    score_rank: int  # the place by score among all candidates (1 = highest)
    position: int  # the place in the steering group's order among all candidates

    @property
    def flags(self) -> list[str]:
        """The legal flags the steering group must see: GDPR art. 22, AI Act high risk."""
        found = []
        if self.process.automated_decision:
            found.append("gdpr_art22")
        if self.process.ai_act_risk == "high":
            found.append("ai_act_high")
        return found

    def factor(self, name: str) -> figures.Factor:
        return next(f for f in self.score.factors if f.name == name)


def _context() -> figures.ScoreContext:
    # The municipality's settings under row-level security: the caller's own.
    return figures.score_context(db.session.scalar(select(TenantSettings)))


def _inputs(user: User, context: figures.ScoreContext, *columns: Any, **filters: Any) -> Any:
    """The candidates' id, number, `columns` and the score's inputs, once per row (OFFSET 0
    keeps Postgres from folding the subquery back in, which would evaluate every repeated
    expression of the score anew)."""
    return (
        select(
            Process.id,
            Process.number,
            *columns,
            *(e.label(n) for n, e in figures.score_inputs_sql(context).items()),
        )
        .where(
            *candidate_conditions(user),
            *(queries.filtered_query(user, **filters) if filters else ()),
        )
        .offset(0)
        .subquery("inputs")
    )


def _input_columns(inputs: Any) -> dict[str, Any]:
    return {n: inputs.c[n] for n in ("hours", "effort", "suitability", "fit")}


def _ranked(
    user: User, context: figures.ScoreContext, shown: list[ColumnElement[bool]] | None = None
) -> Any:
    """Every candidate's id with its place by score and in the steering order: computed
    over all candidates, before the list's filters narrow what is shown. `shown`: those
    filters, as a column `shown` of the same scan (a join back to the processes would read
    them all a second time)."""
    inputs = _inputs(
        user,
        context,
        Process.priority_rank,
        (and_(*shown) if shown else true()).label("shown"),
    )
    score = figures.priority_score_sql(context, _input_columns(inputs))
    # The score once per row too: each window's sort would compute it again.
    scored = (
        select(
            inputs.c.id,
            inputs.c.number,
            inputs.c.priority_rank,
            inputs.c.shown,
            score.label("score"),
        )
        .offset(0)
        .subquery("scored")
    )
    by_score = [scored.c.score.desc().nulls_last(), scored.c.number]
    return select(
        scored.c.id.label("id"),
        scored.c.shown.label("shown"),
        func.row_number().over(order_by=by_score).label("score_rank"),
        func.row_number()
        .over(order_by=[scored.c.priority_rank.asc().nulls_last(), *by_score])
        .label("position"),
    ).subquery("ranked")


_BACKLOG_LEAN = (
    lazyload(Process.reporter),
    lazyload(Process.owner),
    lazyload(Process.contact),
    lazyload(Process.associated_users),
    lazyload(Process.domains),
    defer(Process.it_systems),
    defer(Process.links),
)


def backlog(
    user: User,
    *,
    order: str = "steering",
    page: int = 1,
    per_page: int = PER_PAGE,
    q: str | None = None,
    **filters: Any,
) -> Page[BacklogItem]:
    """A page of the backlog, filtered as the register's list, in the steering group's
    order (`order="steering"`: ranked first, the rest by score) or by score."""
    require(user, Action.ASSESS)
    filters.pop("sort", None)
    context = _context()
    narrowed = bool((q and q.strip()) or any(v not in (None, "", False) for v in filters.values()))
    ranked = _ranked(
        user, context, queries.filtered_query(user, q=q, **filters) if narrowed else None
    )
    ordering = ranked.c.score_rank if order == "score" else ranked.c.position
    # The page's ids first, narrow (the total's window would otherwise carry every
    # candidate's whole row), then those processes.
    rows = db.session.execute(
        select(ranked.c.id, ranked.c.score_rank, ranked.c.position, func.count().over())
        .where(ranked.c.shown)
        .order_by(ordering)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    total = rows[0][3] if rows else 0
    loaded = {
        p.id: p
        for p in db.session.scalars(
            select(Process)
            .where(Process.tenant_id == user.tenant_id, Process.id.in_([r[0] for r in rows]))
            # A backlog row shows the process's own columns and its score: its people,
            # fagområder and JSON lists would be four more queries and decoding for nothing.
            .options(*_BACKLOG_LEAN)
        )
    }
    if not rows and page > 1:
        total = db.session.scalar(select(func.count()).where(ranked.c.shown))
    settings = queries.settings_for(user.tenant_id)
    items = []
    for process_id, score_rank, position, _total in rows:
        process = loaded[process_id]
        process.settings = settings
        process.score_context = context
        items.append(
            BacklogItem(process, figures.priority_score(process, context), score_rank, position)
        )
    return Page(items=items, total=total or 0, page=page, per_page=per_page)


@dataclass(frozen=True)
class MatrixPoint:
    id: uuid.UUID
    number: int
    title: str
    benefit: float
    ease: float
    score: float | None
    quadrant: str


def quadrant(benefit: float, ease: float) -> str:
    high_benefit, high_ease = benefit >= QUADRANT_SPLIT, ease >= QUADRANT_SPLIT
    if high_benefit:
        return "quick_wins" if high_ease else "big_projects"
    return "low_hanging" if high_ease else "consider"


def matrix(user: User, **filters: Any) -> tuple[list[MatrixPoint], list[Any]]:
    """The candidates with both a benefit and an ease (x = ease, y = benefit), and those
    that lack one of them (they cannot be placed: rows with id, number and title). Computed
    in SQL (figures' twin), so every candidate costs a row of five columns, not a process."""
    require(user, Action.ASSESS)
    filters.pop("sort", None)
    context = _context()
    inputs = _inputs(user, context, Process.title, **filters)
    values = figures.factor_values_sql(context, _input_columns(inputs))
    rows = db.session.execute(
        select(
            inputs.c.id,
            inputs.c.number,
            inputs.c.title,
            values["benefit"].label("benefit"),
            values["ease"].label("ease"),
            figures.priority_score_sql(context, _input_columns(inputs)).label("score"),
        ).order_by(inputs.c.number)
    ).all()
    points, unplaced = [], []
    for row in rows:
        if row.benefit is None or row.ease is None:
            unplaced.append(row)
            continue
        benefit, ease = round(row.benefit, 1), round(row.ease, 1)
        points.append(
            MatrixPoint(
                row.id,
                row.number,
                row.title,
                benefit,
                ease,
                None if row.score is None else round(row.score, 1),
                quadrant(benefit, ease),
            )
        )
    return points, unplaced


def _lock_order(tenant_id: uuid.UUID) -> None:
    """Serialise reorders within the municipality until the transaction ends: two moves
    at once would each read the old order and write duplicate ranks."""
    db.session.execute(
        text("select pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"steering-order:{tenant_id}"},
    )


def move(
    user: User,
    process_id: uuid.UUID,
    *,
    to: int | None = None,
    step: str | None = None,
    before: uuid.UUID | None = None,
    after: uuid.UUID | None = None,
) -> list[Process]:
    """Move a candidate in the steering group's order: to a place (`to`, 1 = first; past
    the end means last), one `step` ("up"/"down"), or just before/after another candidate
    (what a row's buttons and a drag and drop send, right also when others moved
    meanwhile). The order up to the furthest place touched is numbered 1, 2, 3…; returns
    the processes whose rank changed (each gets one history entry)."""
    require(user, Action.ASSESS)
    # The lock first: what is read after it (the process, the order) is what the previous
    # move committed.
    _lock_order(user.tenant_id)
    process = get_process(user, process_id)  # 404 for another municipality's id
    if not is_candidate(process):
        raise Invalid(
            _("Processen er ikke i prioriteringen."),
            {"priority_rank": [_("Kun kandidater kan prioriteres.")]},
        )
    ranked = _ranked(user, _context())
    order = list(db.session.scalars(select(ranked.c.id).order_by(ranked.c.position)))
    ranked_count = db.session.scalar(
        select(func.count()).where(*candidate_conditions(user), Process.priority_rank.is_not(None))
    )
    old = order.index(process.id)
    order.pop(old)
    if to is not None:
        target = min(max(to, 1), len(order) + 1) - 1
    elif step in ("up", "down"):
        target = max(old - 1, 0) if step == "up" else min(old + 1, len(order))
    elif before is not None or after is not None:
        other = before or after
        if other not in order:
            raise Invalid(
                _("Processen er ikke i prioriteringen."),
                {"before" if before else "after": [_("Ukendt proces i prioriteringen.")]},
            )
        target = order.index(other) + (0 if before else 1)
    else:
        raise Invalid(
            _("Oplysningerne kunne ikke gemmes."),
            {"priority_rank": [_("Angiv en plads eller en retning.")]},
        )
    order.insert(target, process.id)
    numbered = order[: max(old, target, (ranked_count or 0) - 1) + 1]
    loaded = {
        p.id: p
        for p in db.session.scalars(
            select(Process)
            .where(Process.tenant_id == user.tenant_id, Process.id.in_(numbered))
            .execution_options(populate_existing=True)
        )
    }
    ranks = {loaded[pid]: place for place, pid in enumerate(numbered, start=1)}
    return set_priority_ranks(user, ranks)


def item(user: User, process_id: uuid.UUID) -> BacklogItem:
    """One candidate as a backlog row (the API's answer to a move)."""
    require(user, Action.ASSESS)
    context = _context()
    ranked = _ranked(user, context)
    row = db.session.execute(
        select(Process, ranked.c.score_rank, ranked.c.position)
        .join(ranked, (Process.tenant_id == user.tenant_id) & (Process.id == ranked.c.id))
        .where(Process.id == process_id)
    ).one_or_none()
    if row is None:
        get_process(user, process_id)  # 404 when it is not there for the caller
        raise Invalid(_("Processen er ikke i prioriteringen."))
    process, score_rank, position = row
    return BacklogItem(process, figures.priority_score(process, context), score_rank, position)

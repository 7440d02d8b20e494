"""Realised hours per year from the recorded runs: the formula once, with its SQL twin
(for sums over many processes, e.g. a dashboard), tested against each other.

The formula: take the process's latest recorded day (the last period's end) and the window of
366 days that ends on it; the periods that start inside the window count. Their hours saved,
scaled to a year by the days they cover:

    realised hours per year = hours saved in the window × 365 ÷ days covered in the window

Periods never overlap (the import refuses it) and are at most 366 days long, so the latest
period always counts and the days covered are at most 366. Twelve recorded months give their
plain sum (×365/365); three recorded months are scaled up four times or so. Rounded to one
decimal, half up. None: no runs.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import ColumnElement, Select, func, literal, select

from autoproces.tenants.processes.models import Process

from .models import ProcessRun

WINDOW_DAYS = 366
YEAR_DAYS = 365
MAX_PERIOD_DAYS = WINDOW_DAYS
_ONE_DECIMAL = Decimal("0.1")


def realised_hours_per_year(periods: Iterable[tuple[date, date, Decimal]]) -> Decimal | None:
    """`periods`: (start, end, hours saved) of one process's runs."""
    periods = list(periods)
    if not periods:
        return None
    last = max(end for _start, end, _hours in periods)
    window_start = last - timedelta(days=WINDOW_DAYS - 1)
    inside = [(s, e, h) for s, e, h in periods if s >= window_start]
    days = sum((e - s).days + 1 for s, e, _h in inside)
    hours = sum((Decimal(h) for _s, _e, h in inside), Decimal(0))
    return (hours * YEAR_DAYS / days).quantize(_ONE_DECIMAL, rounding=ROUND_HALF_UP)


def realised_hours_sql(process_ids: Collection[uuid.UUID] | None = None) -> Select:
    """(tenant_id, process_id, hours_per_year) for every process with runs (or those of
    `process_ids`), as the formula above (PostgreSQL's round() is half away from zero, the
    same as half up here)."""
    run = ProcessRun.__table__
    last = select(
        run.c.tenant_id,
        run.c.process_id,
        func.max(run.c.period_end).label("last_end"),
    ).group_by(run.c.tenant_id, run.c.process_id)
    if process_ids is not None:
        last = last.where(run.c.process_id.in_(list(process_ids)))
    last = last.subquery("last_run")
    days = run.c.period_end - run.c.period_start + 1
    return (
        select(
            run.c.tenant_id,
            run.c.process_id,
            func.round(func.sum(run.c.hours_saved) * YEAR_DAYS / func.sum(days), 1).label(
                "hours_per_year"
            ),
        )
        .join(
            last,
            (last.c.tenant_id == run.c.tenant_id) & (last.c.process_id == run.c.process_id),
        )
        .where(run.c.period_start >= last.c.last_end - literal(WINDOW_DAYS - 1))
        .group_by(run.c.tenant_id, run.c.process_id)
    )


def realised_hours_of_process_sql() -> ColumnElement:
    """Per `Process` row (correlated, for sums such as the dashboard's): the formula over its
    runs when it has any, else the typed `realised_hours_per_year`."""
    run = ProcessRun.__table__.alias("realised_run")
    own = (run.c.tenant_id == Process.tenant_id) & (run.c.process_id == Process.id)
    latest = ProcessRun.__table__.alias("latest_run")
    last_end = (
        select(func.max(latest.c.period_end))
        .where(latest.c.tenant_id == Process.tenant_id, latest.c.process_id == Process.id)
        .correlate_except(latest)  # to the Process row two levels up
        .scalar_subquery()
    )
    days = run.c.period_end - run.c.period_start + 1
    from_runs = (
        select(func.round(func.sum(run.c.hours_saved) * YEAR_DAYS / func.sum(days), 1))
        .where(own, run.c.period_start >= last_end - literal(WINDOW_DAYS - 1))
        .scalar_subquery()
    )
    return func.coalesce(from_runs, Process.realised_hours_per_year)

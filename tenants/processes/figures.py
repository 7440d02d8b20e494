"""The formulas of DOMAIN.md: expected benefit, and the suitability of a process. Where SQL
computes a figure (the overview's sums, the list's sort), it uses the twin written here
(tests/tenants/processes/test_figures.py ties the two)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .models import (
    ASSESSMENT_FIELDS,
    DEFAULT_COST_PER_HOUR,
    DEFAULT_HOURS_PER_FTE,
    INVERTED_ASSESSMENT,
    Level,
    Process,
)

LEVEL_POINTS = {Level.VERY_HIGH: 100, Level.HIGH: 67, Level.LOW: 33, Level.VERY_LOW: 0}
# The columns the figures are computed from (the figures themselves are never stored).
FIGURE_INPUTS = (
    "occurrences_per_year",
    "minutes_per_occurrence",
    "automation_share_pct",
    *ASSESSMENT_FIELDS,
)
# Share in per cent, minutes to hours.
_HOURS_DIVISOR = 100 * 60


def _round(value: Decimal, places: str = "0.01") -> float:
    return float(value.quantize(Decimal(places), rounding=ROUND_HALF_UP))


def round_hours(hours: Decimal) -> float:
    """Hours per year as every page shows them: one decimal, halves up (341,25 → 341,3)."""
    return _round(hours, "0.1")


def expected_figures(process: Any, settings: Any | None) -> dict[str, float | None]:
    """Hours per year = occurrences × minutes × automation share / 100 / 60; FTE = hours ÷
    the tenant's hours per FTE; value = hours × the tenant's cost per hour."""
    occurrences = process.occurrences_per_year
    minutes = process.minutes_per_occurrence
    share = process.automation_share_pct
    if occurrences is None or minutes is None or share is None:
        return {"expected_hours_per_year": None, "expected_fte": None, "expected_value_dkk": None}
    hours = Decimal(occurrences) * Decimal(minutes) * Decimal(share) / _HOURS_DIVISOR
    per_fte = settings.hours_per_fte if settings else DEFAULT_HOURS_PER_FTE
    cost = settings.cost_per_hour_dkk if settings else DEFAULT_COST_PER_HOUR
    return {
        "expected_hours_per_year": round_hours(hours),
        "expected_fte": _round(hours / Decimal(per_fte), "0.01"),
        "expected_value_dkk": _round(hours * Decimal(cost), "1"),
    }


def expected_hours_sql() -> Any:
    """The exact (unrounded) expected hours per year of a Process row in SQL; NULL when an
    input is missing, as `expected_figures` gives None."""
    return (
        Process.occurrences_per_year
        * Process.minutes_per_occurrence
        * Process.automation_share_pct
        / _HOURS_DIVISOR
    )


def suitability(process: Any) -> dict[str, float | None]:
    """Mean of the answered levels (inverted where a high answer speaks against automation);
    'unknown' and unanswered questions are left out and lower the confidence instead."""
    points = []
    for name in ASSESSMENT_FIELDS:
        level = Level(getattr(process, name) or Level.UNSET)
        if level in LEVEL_POINTS:
            value = LEVEL_POINTS[level]
            points.append(100 - value if name in INVERTED_ASSESSMENT else value)
    return {
        "suitability": round(sum(points) / len(points), 1) if points else None,
        "confidence": round(100 * len(points) / len(ASSESSMENT_FIELDS), 1),
    }

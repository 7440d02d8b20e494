"""The formulas of DOMAIN.md: expected benefit, the suitability of a process and its
priority score. Where SQL computes a figure (the overview's sums, the list's sort), it uses
the twin written here (tests/tenants/processes/test_figures.py ties the two)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Float, case, cast, func, literal, null, select

from autoproces.platform.db import db

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
    "expected_dev_hours",
    "expected_cost_dkk",
    "strategic_fit",
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


def _answered_points(process: Any) -> list[int]:
    points = []
    for name in ASSESSMENT_FIELDS:
        level = Level(getattr(process, name) or Level.UNSET)
        if level in LEVEL_POINTS:
            value = LEVEL_POINTS[level]
            points.append(100 - value if name in INVERTED_ASSESSMENT else value)
    return points


def suitability(process: Any) -> dict[str, float | None]:
    """Mean of the answered levels (inverted where a high answer speaks against automation);
    'unknown' and unanswered questions are left out and lower the confidence instead."""
    points = _answered_points(process)
    return {
        "suitability": round(sum(points) / len(points), 1) if points else None,
        "confidence": round(100 * len(points) / len(ASSESSMENT_FIELDS), 1),
    }


# --- The priority score (DOMAIN.md "Priority score"; issue 10, points 1-3) -------------------
#
# score = Σ weight × factor / Σ weight, over the factors whose inputs are there (0-100 each):
# - benefit: expected hours per year on a log scale within the municipality,
#   100 × ln(1 + hours) / ln(1 + the municipality's largest hours), so one huge process
#   does not flatten every other one (value in DKK is hours × one cost per hour: the same);
# - suitability: as above (its own confidence counts in the score's);
# - ease: the expected effort in DKK (development hours × cost per hour + the expected cost)
#   on the same log scale, inverted: 100 × (1 − ln(1 + effort) / ln(1 + largest effort));
# - strategic fit: 0-3 → 0-100.
# A factor whose inputs are missing is left out (never counted as 0) and listed; confidence
# = Σ weight × the share of the factor's inputs there / Σ weight.

FACTORS = ("benefit", "suitability", "ease", "strategic")
FACTOR_LABELS = {
    "benefit": _l("Gevinst"),
    "suitability": _l("Egnethed"),
    "ease": _l("Lethed"),
    "strategic": _l("Strategisk match"),
}
BENEFIT_INPUTS = ("occurrences_per_year", "minutes_per_occurrence", "automation_share_pct")
EASE_INPUTS = ("expected_dev_hours", "expected_cost_dkk")
STRATEGIC_MAX = 3


@dataclass(frozen=True)
class ScoreContext:
    """What a process's score depends on beyond the process: the municipality's weights and
    cost per hour, and its largest expected hours and effort (the log scales' tops)."""

    weights: dict[str, Decimal]
    cost_per_hour: Decimal
    max_hours: Decimal
    max_effort: Decimal


@dataclass(frozen=True)
class Factor:
    name: str
    value: float | None  # 0-100, None when its inputs are missing
    weight_pct: float  # its weight's share of all weights, in per cent
    contribution: float | None  # points of the score it gives
    missing: tuple[str, ...]  # the missing inputs' field names


@dataclass(frozen=True)
class Score:
    score: float | None  # one decimal, as shown
    exact: float | None  # unrounded, as the SQL twin sorts by
    confidence: float
    factors: tuple[Factor, ...]
    missing: tuple[str, ...]
    payback_years: float | None  # expected cost ÷ yearly value
    net_value_3y: float | None  # 3 × yearly value − expected cost


def _log_share(value: Decimal, top: Decimal) -> float:
    top = max(top, value)
    if top <= 0:
        return 0.0
    return math.log1p(float(value)) / math.log1p(float(top))


def _hours(process: Any) -> Decimal | None:
    inputs = [getattr(process, n) for n in BENEFIT_INPUTS]
    if any(v is None for v in inputs):
        return None
    occurrences, minutes, share = inputs
    return Decimal(occurrences) * Decimal(minutes) * Decimal(share) / _HOURS_DIVISOR


def _effort(process: Any, cost_per_hour: Decimal) -> Decimal | None:
    dev_hours, cost = process.expected_dev_hours, process.expected_cost_dkk
    if dev_hours is None and cost is None:
        return None
    return Decimal(dev_hours or 0) * cost_per_hour + Decimal(cost or 0)


def priority_score(process: Any, context: ScoreContext) -> Score:
    """The process's priority score with each factor's value, weight and contribution."""
    hours = _hours(process)
    effort = _effort(process, context.cost_per_hour)
    points = _answered_points(process)
    fit = process.strategic_fit
    values: dict[str, tuple[float | None, float, tuple[str, ...]]] = {
        "benefit": (
            None if hours is None else 100 * _log_share(hours, context.max_hours),
            0.0 if hours is None else 1.0,
            tuple(n for n in BENEFIT_INPUTS if getattr(process, n) is None),
        ),
        "suitability": (
            sum(points) / len(points) if points else None,
            len(points) / len(ASSESSMENT_FIELDS),
            () if points else ASSESSMENT_FIELDS,
        ),
        "ease": (
            None if effort is None else 100 * (1 - _log_share(effort, context.max_effort)),
            sum(getattr(process, n) is not None for n in EASE_INPUTS) / len(EASE_INPUTS),
            tuple(n for n in EASE_INPUTS if getattr(process, n) is None),
        ),
        "strategic": (
            None if fit is None else 100 * fit / STRATEGIC_MAX,
            0.0 if fit is None else 1.0,
            () if fit is not None else ("strategic_fit",),
        ),
    }
    weights = {n: float(context.weights.get(n, 0)) for n in FACTORS}
    all_weight = sum(weights.values())
    present = sum(weights[n] for n in FACTORS if values[n][0] is not None)
    factors = tuple(
        Factor(
            name=n,
            value=None if values[n][0] is None else round(values[n][0], 1),
            weight_pct=round(100 * weights[n] / all_weight, 1) if all_weight else 0.0,
            contribution=(
                None
                if values[n][0] is None or not present
                else round(values[n][0] * weights[n] / present, 1)
            ),
            missing=values[n][2],
        )
        for n in FACTORS
    )
    score = (
        sum(values[n][0] * weights[n] for n in FACTORS if values[n][0] is not None) / present
        if present
        else None
    )
    confidence = (
        100 * sum(weights[n] * values[n][1] for n in FACTORS) / all_weight if all_weight else 0.0
    )
    value_dkk = None if hours is None else hours * context.cost_per_hour
    return Score(
        score=None if score is None else round(score, 1),
        exact=score,
        confidence=round(confidence, 1),
        factors=factors,
        missing=tuple(m for f in factors for m in f.missing if weights[f.name]),
        payback_years=(
            _round(effort / value_dkk, "0.1") if effort is not None and value_dkk else None
        ),
        net_value_3y=(
            _round(3 * value_dkk - effort, "1")
            if effort is not None and value_dkk is not None
            else None
        ),
    )


def score_figures(process: Any, context: ScoreContext | None) -> dict[str, float | None]:
    """The score and its confidence as figures (a list, the sheet); None without a context."""
    if context is None:
        return {"priority_score": None, "priority_confidence": None}
    score = priority_score(process, context)
    return {"priority_score": score.score, "priority_confidence": score.confidence}


def missing_labels(score: Score) -> list[str]:
    """The missing inputs as a reader names them ("mangler: …"); the nine assessment
    questions, when none is answered, as one."""
    from .fields import BY_NAME

    names = list(score.missing)
    if set(ASSESSMENT_FIELDS) <= set(names):
        at = names.index(ASSESSMENT_FIELDS[0])
        names = [n for n in names if n not in ASSESSMENT_FIELDS]
        names.insert(at, "")
    return [
        str(_l("vurderingen (%(n)d spørgsmål)", n=len(ASSESSMENT_FIELDS)))
        if not n
        else str(BY_NAME[n].label).lower()
        for n in names
    ]


def score_context(settings: Any | None) -> ScoreContext:
    """The current municipality's context for `priority_score` (its processes under RLS)."""
    cost = settings.cost_per_hour_dkk if settings else DEFAULT_COST_PER_HOUR
    weights = {
        n: Decimal(getattr(settings, f"weight_{n}")) if settings else Decimal(1) for n in FACTORS
    }
    top_hours, top_effort = db.session.execute(
        select(func.max(expected_hours_sql()), func.max(_effort_sql(cost)))
    ).one()
    return ScoreContext(weights, Decimal(cost), Decimal(top_hours or 0), Decimal(top_effort or 0))


def suitability_sql() -> Any:
    """`suitability`'s value in SQL (unrounded); NULL when no question is answered."""
    points = []
    for name in ASSESSMENT_FIELDS:
        inverted = name in INVERTED_ASSESSMENT
        points.append(
            case(
                {lvl.value: 100 - p if inverted else p for lvl, p in LEVEL_POINTS.items()},
                value=getattr(Process, name),
                else_=null(),
            )
        )
    total = sum((func.coalesce(p, 0) for p in points), literal(0))
    answered = sum((case((p.is_not(None), 1), else_=0) for p in points), literal(0))
    return total / func.nullif(answered, 0)


def _effort_sql(cost_per_hour: Decimal) -> Any:
    dev, cost = Process.expected_dev_hours, Process.expected_cost_dkk
    return case(
        (dev.is_(None) & cost.is_(None), null()),
        else_=func.coalesce(dev, 0) * literal(cost_per_hour) + func.coalesce(cost, 0),
    )


def _log_share_sql(value: Any, top: Decimal) -> Any:
    # In double precision, as Python's math.log1p: ln() of a numeric is some 100 times
    # slower, and a backlog of thousands sorts by it (tests/benchmarks/bench_backlog.py).
    value = cast(value, Float)
    top_ = func.greatest(literal(float(top), Float), value)  # skips NULLs: test value first
    return case(
        (value.is_(None), null()),
        (top_ <= 0, 0),
        else_=func.ln(1 + value) / func.ln(1 + top_),
    )


def score_inputs_sql(context: ScoreContext) -> dict[str, Any]:
    """The score's inputs of a Process row (hours, effort, suitability, fit) in SQL: a
    query over many rows can select them once in a subquery and pass its columns to
    `priority_score_sql` (Postgres evaluates each repetition of an expression anew)."""
    return {
        "hours": expected_hours_sql(),
        "effort": _effort_sql(context.cost_per_hour),
        "suitability": suitability_sql(),
        "fit": Process.strategic_fit,
    }


def priority_score_sql(context: ScoreContext, inputs: dict[str, Any] | None = None) -> Any:
    """`priority_score`'s exact score of a Process row in SQL, for sorting and filtering;
    NULL when no factor has its inputs. `inputs`: `score_inputs_sql`'s, as columns."""
    inputs = inputs or score_inputs_sql(context)
    hours = inputs["hours"]
    effort = inputs["effort"]
    fit = inputs["fit"]
    values = {
        "benefit": 100 * _log_share_sql(hours, context.max_hours),
        "suitability": cast(inputs["suitability"], Float),
        "ease": 100 * (1 - _log_share_sql(effort, context.max_effort)),
        "strategic": 100.0 * cast(fit, Float) / STRATEGIC_MAX,
    }
    # Double precision throughout (as Python computes it): numeric arithmetic is slow.
    weights = {n: literal(float(context.weights.get(n, Decimal(0))), Float) for n in FACTORS}
    numerator = sum((func.coalesce(values[n] * weights[n], 0) for n in FACTORS), literal(0))
    present = sum(
        (case((values[n].is_not(None), weights[n]), else_=0) for n in FACTORS), literal(0)
    )
    return numerator / func.nullif(present, 0)

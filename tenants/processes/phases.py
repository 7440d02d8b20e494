"""The phase rules: the pipeline's order, what a phase needs before a process may move into
it, and which statuses need a reason. The services, the form, the list's sort and the demo
read them from here."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import case

from . import fields as registry
from .models import PHASE_LABELS, REASON_STATUSES, STATUS_LABELS, Phase, Process, Status

ORDER: tuple[Phase, ...] = tuple(Phase)

# What a phase needs before a process may move into it (cumulative along the pipeline).
PHASE_REQUIREMENTS: dict[Phase, tuple[str, ...]] = {
    Phase.IDEA: (),
    Phase.PREANALYSIS: ("domain_ids",),
    Phase.SPECIFICATION: (
        "occurrences_per_year",
        "minutes_per_occurrence",
        "automation_share_pct",
        "owner_id",
    ),
    Phase.DEVELOPMENT: ("contact_id", "technologies"),
    Phase.IMPLEMENTATION: (),
    Phase.OPERATION: ("put_into_operation_at", "run_schedule"),
    Phase.DECOMMISSIONED: ("decommissioned_at",),
}


def rank(phase: str) -> int:
    """The phase's place in the pipeline (Idé is 0)."""
    return ORDER.index(Phase(phase))


def reached(phase: str, target: str) -> bool:
    """Whether a process in `phase` has come as far as `target`."""
    return rank(phase) >= rank(target)


def furthest(*phases: str) -> Phase:
    """The phase furthest along the pipeline."""
    return max((Phase(p) for p in phases), key=rank)


def rank_sql(column: Any) -> Any:
    """`rank` of a phase column, in SQL (for sorting by phase)."""
    return case({p.value: i for i, p in enumerate(ORDER)}, value=column)


def required_fields(phase: str) -> tuple[str, ...]:
    """Every field a process in `phase` needs: its own phase's and the earlier ones'."""
    return tuple(f for p in ORDER[: rank(phase) + 1] for f in PHASE_REQUIREMENTS[p])


def problems(process: Process, old_phase: str) -> dict[str, list[str]]:
    """Why `process` may not be saved as it is, by field: a phase it moved on to from
    `old_phase` needs fields it lacks, or its status needs a reason it lacks."""
    errors: dict[str, list[str]] = {}
    if rank(process.phase) > rank(old_phase):
        label = str(PHASE_LABELS[Phase(process.phase)])
        needed = required_fields(process.phase)
        values = {
            "domain_ids": process.domains,
            **{f: getattr(process, f) for f in needed if f != "domain_ids"},
        }
        missing = [f for f in needed if values.get(f) in (None, "", [])]
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

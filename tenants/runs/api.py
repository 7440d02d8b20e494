"""Realised runs in the REST API: `POST /api/v1/runs` from any RPA tool, and a process's
realised benefit."""

from __future__ import annotations

import uuid
from typing import Any

from flask import g, request
from flask_babel import gettext as _

from autoproces.platform.errors import Invalid
from autoproces.platform.identity.auth import api_blueprint
from autoproces.tenants.processes.policy import get_process

from . import services
from .schemas import ImportOutSchema, RealisedOutSchema

bp = api_blueprint(
    "runs_api",
    __name__,
    "",
    description="Realised runs from RPA tools and the realised hours per year computed from them",
)


@bp.post("/runs")
@bp.response(201, ImportOutSchema)
def post_runs() -> Any:
    """Record realised runs, all or none.

    The body is a JSON list of periods: `{"process": 42, "month": "2026-10", "runs": 310,
    "minutes_per_run": 6.5}`; instead of `month`, `from` and `to` (dates); instead of
    `minutes_per_run`, `hours` (saved in total). One bad entry and nothing is stored: 422 with
    every error keyed by the entry's position (from 1) and field. A period stored before for
    the same process with the same dates is replaced; a partly overlapping one is refused.
    Only the automation team (403 otherwise).
    """
    if len(request.get_data(cache=True)) > services.MAX_BYTES:
        raise Invalid(
            _("Kaldet er for stort."),
            {"body": [_("Højst %(mb)d MB.", mb=services.MAX_BYTES // 2**20)]},
        )
    entries = request.get_json(silent=True)
    if entries is None:
        raise Invalid(_("Kaldet kunne ikke læses."), {"body": [_("Skal være en JSON-liste.")]})
    result = services.record_runs(g.api_user, _rename(entries))
    if not result.ok:
        errors: dict[str, list[str]] = {}
        for e in result.errors:
            key = ".".join(str(p) for p in (e.row, e.column) if p is not None) or "body"
            errors.setdefault(key, []).append(e.message)
        raise Invalid(_("Kørslerne blev ikke gemt. Intet er gemt."), errors)
    return result


def _rename(entries: Any) -> Any:
    # The API's English field names for the period are `from` and `to`.
    if not isinstance(entries, list):
        return entries
    renamed = []
    for entry in entries:
        if isinstance(entry, dict):
            entry = {{"from": "start", "to": "end"}.get(k, k): v for k, v in entry.items()}
        renamed.append(entry)
    return renamed


@bp.get("/processes/<uuid:process_id>/runs")
@bp.response(200, RealisedOutSchema)
def get_realised(process_id: uuid.UUID) -> Any:
    """A process's recorded runs and its realised hours per year.

    Newest period first; the formula is in `tenants/runs/figures.py` (and docs/DOMAIN.md).
    404 when the caller may not see the process.
    """
    return services.benefit_of(get_process(g.api_user, process_id))

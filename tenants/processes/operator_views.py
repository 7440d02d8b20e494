"""The register's page in the operator console: how many processes each municipality has in
each phase. Counts only: the operator never sees a process (DESIGN.md, Tenancy)."""

from __future__ import annotations

from typing import Any

from flask import render_template

from autoproces.platform.operator.services import all_tenants
from autoproces.platform.operator.views import operator_blueprint

from . import queries
from .models import PHASE_LABELS, Phase

bp = operator_blueprint("processes_operator", __name__, url_prefix="/processer")


@bp.get("/")
def phases() -> Any:
    counts = queries.phase_counts_per_tenant()
    return render_template(
        "processes/operator_phases.html",
        phases=[(phase.value, PHASE_LABELS[phase]) for phase in Phase],
        rows=[(tenant, counts.get(tenant.id, {})) for tenant in all_tenants()],
    )

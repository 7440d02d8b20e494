"""The dashboard's page: /<tenant>/overblik (the one overview of the municipality)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import EXCLUDE, ValidationError

from autoproces.platform.errors import normalise_messages
from autoproces.platform.identity.auth import tenant_blueprint
from autoproces.tenants.processes import queries
from autoproces.tenants.processes.models import PHASE_LABELS, STATUS_LABELS, Phase

from . import services
from .schemas import DashboardQuerySchema

bp = tenant_blueprint("dashboard", __name__, template_folder="templates")
# The page's script, served by the app itself (the CSP allows no inline script).
assets = Blueprint(
    "dashboard_assets", __name__, static_folder="static", static_url_path="/assets/dashboard"
)


@bp.get("/overblik")
def index() -> Any:
    """Funnel, statuses, the quarterly trend, expected versus realised benefit, technologies,
    vendors and the ideas waiting for assessment; every number links to the filtered list."""
    given = {k: v for k, v in request.args.items() if v.strip()}
    errors: dict[str, list[str]] = {}
    try:
        args = DashboardQuerySchema().load(given, unknown=EXCLUDE)
    except ValidationError as e:
        errors = normalise_messages(e.normalized_messages())
        args = {}
    domain = args.get("domain")
    figures = services.dashboard(current_user, domain=domain)
    overview = [
        row
        for row in queries.overview(current_user)
        if domain is None or (row.domain is not None and row.domain.id == domain)
    ]
    phases = list(PHASE_LABELS.items())
    filters = {"domain": domain} if domain else {}
    chart_data = {
        "phases": {
            "labels": [str(label) for _code, label in phases],
            "values": [figures.by_phase.get(code, 0) for code, _label in phases],
            "title": _("Processer pr. fase"),
        },
        "statuses": {
            "labels": [str(label) for _code, label in STATUS_LABELS.items()],
            "values": [figures.by_status.get(code, 0) for code in STATUS_LABELS],
            "title": _("Processer pr. status"),
        },
        "trend": {
            "labels": [q.label for q in figures.quarters],
            "series": [
                {"label": str(label), "values": [q.entered.get(code, 0) for q in figures.quarters]}
                for code, label in phases
            ],
        },
        "benefit": {
            "labels": [b.domain.name for b in figures.benefit_by_domain],
            "series": [
                {
                    "label": _("Forventede timer pr. år"),
                    "values": [b.expected_hours for b in figures.benefit_by_domain],
                },
                {
                    "label": _("Realiserede timer pr. år"),
                    "values": [b.realised_hours for b in figures.benefit_by_domain],
                },
            ],
        },
        "technologies": {
            "labels": [n for n, _c in figures.technologies],
            "values": [c for _n, c in figures.technologies],
            "title": _("Processer"),
        },
        "vendors": {
            "labels": [n for n, _c in figures.vendors],
            "values": [c for _n, c in figures.vendors],
            "title": _("Processer"),
        },
    }
    return render_template(
        "dashboard/index.html",
        d=figures,
        overview=overview,
        phases=phases,
        statuses=list(STATUS_LABELS.items()),
        domains=queries.list_domains(current_user.tenant_id),
        domain=domain,
        filters=filters,
        errors=errors,
        chart_data=chart_data,
        operation=Phase.OPERATION.value,
        script=url_for("dashboard_assets.static", filename="dashboard.js"),
    ), (400 if errors else 200)

"""The dashboard in the REST API: GET /api/v1/dashboard."""

from __future__ import annotations

from typing import Any

from flask import g

from autoproces.platform.identity.auth import api_blueprint

from . import services
from .schemas import DashboardQuerySchema, DashboardSchema

bp = api_blueprint("dashboard_api", __name__, "/dashboard", description="The dashboard (Overblik)")


@bp.get("")
@bp.arguments(DashboardQuerySchema, location="query")
@bp.response(200, DashboardSchema)
def dashboard(args: dict[str, Any]) -> Any:
    """The dashboard's figures.

    Processes per phase and status, how many entered each phase in each of the last eight
    quarters (from the history), expected versus realised hours and DKK of the processes in
    drift (in total and per fagområde), the top technologies and vendors, and the ideas not
    assessed after 30 days. Managers and the automation team only; `domain` narrows it to
    one fagområde.
    """
    return services.dashboard(g.api_user, domain=args.get("domain"))

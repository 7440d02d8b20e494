"""The KLE picker's HTML fragment for htmx: /<tenant>/kle/soeg?q=…"""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask_login import current_user

from autoproces.platform.identity.auth import require, tenant_blueprint
from autoproces.platform.permissions import Action

from . import services
from .schemas import MAX_QUERY

bp = tenant_blueprint("taxonomy", __name__, url_prefix="/kle", template_folder="templates")


@bp.get("/soeg")
def search_kle() -> Any:
    require(current_user, Action.READ)
    q = request.args.get("q", "")[:MAX_QUERY]  # a picker shortens, rather than refuses
    return render_template(
        "taxonomy/_kle_results.html", q=q.strip(), results=services.search_kle(q)
    )

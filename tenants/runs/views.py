"""The team's upload page for realised runs, and what the process page shows of them."""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from autoproces.platform.errors import Forbidden
from autoproces.platform.identity.auth import tenant_blueprint
from autoproces.platform.permissions import Action

from . import services

bp = tenant_blueprint("runs", __name__, url_prefix="/koersler", template_folder="templates")


@bp.app_template_global("runs_for")
def runs_for(process: Any) -> services.RealisedBenefit | None:
    """The process page's panel: realised against expected (already found for current_user)."""
    if not current_user.is_authenticated:
        return None
    return services.benefit_of(process)


@bp.route("/indlaes", methods=["GET", "POST"])
def upload_runs() -> Any:
    """All rows or none, every error with its line and column."""
    if not current_user.can(Action.EDIT):
        raise Forbidden(_("Kun automatiseringsteamet kan indlæse kørsler."))
    result = None
    problem = ""
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            problem = _("Vælg en fil.")
        else:
            result = services.import_csv(current_user, upload.read(services.MAX_BYTES + 1))
    failed = bool(problem or (result and not result.ok))
    return render_template(
        "runs/upload.html",
        result=result,
        problem=problem,
        max_mb=services.MAX_BYTES // 2**20,
        max_rows=services.MAX_ROWS,
    ), (422 if failed else 200)

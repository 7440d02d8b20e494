"""The steering group's pages: the backlog (/<tenant>/prioritering), its reorder, its
Excel export and the benefit–ease matrix."""

from __future__ import annotations

import io
import uuid
from typing import Any

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import EXCLUDE, ValidationError
from openpyxl import Workbook

from autoproces.platform.errors import Invalid, normalise_messages
from autoproces.platform.identity.auth import require, tenant_blueprint
from autoproces.platform.pagination import MAX_PER_PAGE
from autoproces.platform.permissions import Action
from autoproces.tenants.processes import queries
from autoproces.tenants.processes.figures import FACTOR_LABELS, FACTORS, missing_labels
from autoproces.tenants.processes.models import PHASE_LABELS, STATUS_LABELS

from . import services
from .schemas import BacklogQuerySchema, MoveSchema, move_arguments

bp = tenant_blueprint("steering", __name__, url_prefix="", template_folder="templates")
# The backlog's script and print style sheet (files, never inline: the CSP allows 'self').
static_bp = Blueprint(
    "steering_static",
    __name__,
    static_folder="static",
    static_url_path="/static/steering",
)
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _args() -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The filters of the URL; the ones that cannot be used are dropped and named."""
    given = {k: v for k, v in request.args.items() if v.strip()}
    try:
        return BacklogQuerySchema().load(given, unknown=EXCLUDE), {}
    except ValidationError as e:
        errors = normalise_messages(e.normalized_messages())
        usable = {k: v for k, v in given.items() if k not in errors}
        try:
            return BacklogQuerySchema().load(usable, unknown=EXCLUDE), errors
        except ValidationError:
            return {}, errors


def _common(args: dict[str, Any]) -> dict[str, Any]:
    query_args = {k: str(v) for k, v in args.items() if k not in ("page",)}
    return {
        "args": args,
        "query_args": query_args,
        "phase_labels": PHASE_LABELS,
        "status_labels": STATUS_LABELS,
        "domains": queries.list_domains(current_user.tenant_id),
        "factor_labels": FACTOR_LABELS,
        "factors": FACTORS,
    }


@bp.get("/prioritering")
def backlog() -> Any:
    require(current_user, Action.ASSESS)
    args, errors = _args()
    page = services.backlog(current_user, **args)
    return render_template(
        "steering/backlog.html",
        page=page,
        errors=errors,
        missing_labels=missing_labels,
        **_common(args),
    )


@bp.post("/prioritering/<uuid:process_id>/flyt")
def move(process_id: uuid.UUID) -> Any:
    """A row's "Flyt op"/"Flyt ned" (a plain form) or a drag and drop (the same form,
    filled by backlog.js): back to the backlog as it was filtered, at the moved row."""
    require(current_user, Action.ASSESS)
    fields = {k: v for k, v in request.form.items() if k in MoveSchema().fields and v.strip()}
    try:
        data = MoveSchema().load(fields)
    except ValidationError as e:
        raise Invalid(_("Rækkefølgen kunne ikke ændres."), normalise_messages(e.messages)) from None
    services.move(current_user, process_id, **move_arguments(data))
    back = {k: v for k, v in request.args.items() if k in BacklogQuerySchema().fields}
    return redirect(url_for("steering.backlog", **back, _anchor=f"p-{process_id}"), 303)


@bp.get("/prioritering/hent")
def export() -> Any:
    """The backlog as an Excel sheet for the steering meeting: the filtered candidates in
    the chosen order, with score, confidence, each factor and both ranks."""
    require(current_user, Action.ASSESS)
    args, _errors = _args()
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Prioritering"))
    sheet.append(
        [
            _("Styregruppens plads"),
            _("Prioritet (styregruppens rækkefølge)"),
            _("Plads efter score"),
            _("Nr."),
            _("Titel"),
            _("Fase"),
            _("Status"),
            _("Prioritetsscore"),
            _("Sikkerhed (%)"),
            *(
                label
                for name in FACTORS
                for label in (
                    f"{FACTOR_LABELS[name]} ({_('værdi')})",
                    f"{FACTOR_LABELS[name]} ({_('vægt %')})",
                    f"{FACTOR_LABELS[name]} ({_('bidrag')})",
                )
            ),
            _("Tilbagebetalingstid (år)"),
            _("Nettoværdi over tre år (kr.)"),
            _("Mangler"),
            _("Art. 22 (automatisk afgørelse)"),
            _("AI-forordningen: høj risiko"),
        ]
    )
    page_no = 1
    while True:
        page = services.backlog(current_user, **{**args, "page": page_no, "per_page": MAX_PER_PAGE})
        for item in page.items:
            p, s = item.process, item.score
            sheet.append(
                [
                    item.position,
                    p.priority_rank,
                    item.score_rank,
                    p.number,
                    p.title,
                    str(PHASE_LABELS.get(p.phase, p.phase)),
                    str(STATUS_LABELS.get(p.status, p.status)),
                    s.score,
                    s.confidence,
                    *(v for f in s.factors for v in (f.value, f.weight_pct, f.contribution)),
                    s.payback_years,
                    s.net_value_3y,
                    ", ".join(missing_labels(s)),
                    _("Ja") if "gdpr_art22" in item.flags else "",
                    _("Ja") if "ai_act_high" in item.flags else "",
                ]
            )
        if page_no >= page.pages:
            break
        page_no += 1
    out = io.BytesIO()
    book.save(out)
    response = Response(out.getvalue(), mimetype=XLSX_MIME)
    response.headers["Content-Disposition"] = 'attachment; filename="prioritering.xlsx"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/prioritering/matrix")
def matrix() -> Any:
    require(current_user, Action.ASSESS)
    args, errors = _args()
    filters = {k: v for k, v in args.items() if k not in ("page", "per_page", "order")}
    points, unplaced = services.matrix(current_user, **filters)
    labels = {
        "quick_wins": _("Hurtige gevinster"),
        "big_projects": _("Store projekter"),
        "low_hanging": _("Lavthængende"),
        "consider": _("Overvej"),
    }
    chart = {
        "points": [
            {
                "x": p.ease,
                "y": p.benefit,
                "label": f"{p.number}. {p.title}",
                "url": url_for("processes.show_process", process_id=p.id),
            }
            for p in points
        ],
        "quadrants": labels,
        "axes": {"x": _("Lethed (0-100)"), "y": _("Gevinst (0-100)")},
        "split": services.QUADRANT_SPLIT,
    }
    return render_template(
        "steering/matrix.html",
        points=points,
        unplaced=unplaced,
        chart=chart,
        quadrant_labels=labels,
        errors=errors,
        **_common(args),
    )

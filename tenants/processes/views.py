"""The process register's pages under /<tenant>/processer."""

from __future__ import annotations

import uuid
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import EXCLUDE, ValidationError

from autoproces.platform.errors import Invalid, normalise_messages
from autoproces.platform.identity.auth import tenant_blueprint

from . import services
from .models import PHASE_LABELS, STATUS_LABELS, VISIBILITY_LABELS
from .schemas import IntakeFormSchema, ProcessQuerySchema

FIELD_LABELS = {
    "title": _l("Titel"),
    "summary": _l("Resumé"),
    "description": _l("Beskrivelse"),
    "visibility": _l("Synlighed"),
}

bp = tenant_blueprint("processes", __name__, url_prefix="", template_folder="templates")


@bp.get("/")
def home() -> Any:
    return redirect(url_for("processes.list_processes"))


@bp.get("/processer")
def list_processes() -> Any:
    try:
        # A GET form sends its empty fields too ("phase="): empty means "any".
        given = {k: v for k, v in request.args.items() if v.strip()}
        args = ProcessQuerySchema().load(given, unknown=EXCLUDE)
        errors: dict[str, list[str]] = {}
    except ValidationError as e:
        errors = normalise_messages(e.normalized_messages())
        args = {}
    page = services.list_processes(current_user, **args)
    return render_template(
        "processes/list.html",
        page=page,
        args=args,
        errors=errors,
        phase_labels=PHASE_LABELS,
        status_labels=STATUS_LABELS,
    )


@bp.route("/processer/ny", methods=["GET", "POST"])
def new_process() -> Any:
    form: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        form = request.form.to_dict()
        try:
            data = IntakeFormSchema().load(form)
            process = services.create_process(current_user, data)
        except ValidationError as e:
            errors = normalise_messages(e.normalized_messages())
        except Invalid as e:
            errors = e.errors
        else:
            flash(
                _(
                    "Tak! Din idé er modtaget. Automatiseringsteamet vurderer den, "
                    "og du kan følge den her."
                ),
                "success",
            )
            return redirect(url_for("processes.show_process", process_id=process.id))
    status = 422 if errors else 200
    return render_template(
        "processes/new.html",
        form=form,
        errors=errors,
        visibility_labels=VISIBILITY_LABELS,
        field_labels=FIELD_LABELS,
    ), status


@bp.get("/processer/<uuid:process_id>")
def show_process(process_id: uuid.UUID) -> Any:
    process = services.get_process(current_user, process_id)
    return render_template("processes/show.html", process=process)

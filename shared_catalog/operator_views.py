"""The catalogue's pages in the operator console (/operator/katalog/…): every entry's
metadata (never the process behind it), and hiding an entry with a reason or showing it
again (moderation.py)."""

from __future__ import annotations

import uuid
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from autoproces.platform.errors import Invalid
from autoproces.platform.operator.views import current_operator, field, operator_blueprint
from autoproces.platform.pagination import page_number

from . import moderation

bp = operator_blueprint(
    "catalogue_operator", __name__, url_prefix="/katalog", template_folder="templates"
)

FIELD_LABELS = {"reason": _l("Årsag")}


@bp.get("/")
def entries() -> Any:
    return render_template(
        "catalogue/operator/entries.html",
        page=moderation.list_entries(page_number(request.args.get("side"))),
    )


@bp.get("/<uuid:entry_id>")
def entry(entry_id: uuid.UUID) -> Any:
    return _entry_page(entry_id, "", {})


def _entry_page(entry_id: uuid.UUID, reason: str, errors: dict[str, list[str]]) -> Any:
    return render_template(
        "catalogue/operator/entry.html",
        meta=moderation.get_entry(entry_id),
        reason=reason,
        errors=errors,
        field_labels=FIELD_LABELS,
    ), (422 if errors else 200)


@bp.post("/<uuid:entry_id>/skjul")
def hide(entry_id: uuid.UUID) -> Any:
    reason = field("reason")
    try:
        meta = moderation.hide(current_operator(), entry_id, reason)
    except Invalid as e:
        return _entry_page(entry_id, reason, e.errors)
    flash(_("“%(title)s” er skjult.", title=meta.title), "success")
    return redirect(url_for(".entry", entry_id=entry_id))


@bp.post("/<uuid:entry_id>/vis")
def unhide(entry_id: uuid.UUID) -> Any:
    meta = moderation.unhide(current_operator(), entry_id)
    flash(_("“%(title)s” er synlig igen.", title=meta.title), "success")
    return redirect(url_for(".entry", entry_id=entry_id))

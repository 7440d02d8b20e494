"""The reuse pages and forms (/<tenant>/katalog/…): copy an entry into our register, "Vi vil
også gerne", "Kontakt kommunen", the publisher's inbox, and dismissing a copy's notice."""

from __future__ import annotations

import uuid
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from autoproces.platform.errors import Invalid
from autoproces.platform.identity.auth import tenant_blueprint
from autoproces.platform.permissions import Action
from autoproces.platform.security import limiter, per_user
from autoproces.tenants.processes.policy import get_process

from . import reuse
from .models import CatalogueEntry

# One budget per person for the page and the API together.
contact_limited = limiter.shared_limit(
    reuse.contact_limit, scope="catalogue-contact", key_func=per_user, methods=["POST"]
)

bp = tenant_blueprint(
    "catalogue_reuse", __name__, url_prefix="/katalog", template_folder="templates"
)


@bp.app_template_global("catalogue_reuse_for")
def catalogue_reuse_for(entry: CatalogueEntry) -> dict[str, Any]:
    """What the entry page's reuse actions show the signed-in reader."""
    own = reuse.is_own(current_user, entry)
    return {
        "interest": reuse.interest_of(current_user, entry.id),
        "own": own,
        "interested": reuse.interested(current_user, entry.id) if own else [],
        "may_copy": current_user.can(Action.REPORT) and not entry.withdrawn_at,
        "may_inbox": own and current_user.can(Action.PUBLISH),
        "may_contact": not entry.mirrored,
    }


@bp.app_template_global("catalogue_copy_notice")
def catalogue_copy_notice(process: Any) -> reuse.Notice | None:
    if not current_user.is_authenticated:
        return None
    return reuse.notice_for(current_user, process)


@bp.post("/<uuid:entry_id>/kopier")
def copy(entry_id: uuid.UUID) -> Any:
    process = reuse.copy_entry(current_user, entry_id)
    flash(
        _("Katalogposten er kopieret til jeres register som idé nr. %(n)d.", n=process.number),
        "success",
    )
    return redirect(url_for("processes.show_process", process_id=process.id))


@bp.post("/<uuid:entry_id>/interesse")
def interest(entry_id: uuid.UUID) -> Any:
    if request.form.get("withdraw") == "1":
        reuse.withdraw_interest(current_user, entry_id)
        flash(_("Jeres interesse er trukket tilbage."), "success")
    else:
        reuse.signal_interest(current_user, entry_id, request.form.get("wants_to_help") == "1")
        flash(_("Kommunen, der delte processen, kan se, at I også gerne vil."), "success")
    return redirect(url_for("catalogue.show_entry", entry_id=entry_id) + "#genbrug")


@bp.route("/<uuid:entry_id>/kontakt", methods=["GET", "POST"])
@contact_limited
def contact(entry_id: uuid.UUID) -> Any:
    # Refused before the form is shown (our own entry, a mirrored one), not after typing.
    entry = reuse.may_contact(current_user, entry_id)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            reuse.contact(current_user, entry.id, request.form.get("body", ""))
        except Invalid as e:
            errors = e.errors
        else:
            flash(_("Beskeden er sendt til kommunens automatiseringsteam."), "success")
            return redirect(url_for("catalogue.show_entry", entry_id=entry.id))
    return render_template(
        "catalogue/reuse_contact.html",
        entry=entry,
        body=request.form.get("body", ""),
        errors=errors,
        max_length=reuse.MAX_MESSAGE,
    ), (422 if errors else 200)


@bp.get("/indbakke")
def inbox() -> Any:
    return render_template("catalogue/inbox.html", messages=reuse.inbox(current_user))


@bp.post("/kopi/<uuid:process_id>/set")
def dismiss(process_id: uuid.UUID) -> Any:
    reuse.dismiss_notice(current_user, get_process(current_user, process_id))
    return redirect(url_for("processes.show_process", process_id=process_id))

"""Attachments on the process pages (/<tenant>/processer/<id>/bilag/…).

Forms post and redirect back to the process page; an upload that is refused re-renders
the process page with the error (422), and nothing is kept."""

from __future__ import annotations

import uuid
from typing import Any

from flask import flash, g, make_response, redirect, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user

from autoproces.platform.errors import Invalid
from autoproces.platform.identity.auth import tenant_blueprint
from autoproces.platform.security import limiter, per_user, upload_limit

from .. import policy
from ..views import show_process
from . import services as attachments
from .api import file_response, read_uploads

bp = tenant_blueprint("attachments", __name__, url_prefix="/processer")


@bp.app_template_global("attachments_for_page")
def attachments_for_page(process: Any) -> dict[str, Any]:
    """What the process page shows of its attachments (the process is already visible);
    with no process (the intake form), only what the file picker needs."""
    items = attachments.attachments_for(process) if process is not None else []
    return {
        "items": items,
        "may_delete": {a.id for a in items if attachments.may_delete(current_user, a)},
        "may_share": attachments.may_share(current_user),
        "extensions": ", ".join(f".{e}" for e in attachments.ALLOWED_EXTENSIONS),
        "accept": ",".join(f".{e}" for e in attachments.ALLOWED_EXTENSIONS),
    }


@bp.app_template_global("file_size")
def file_size(size: int) -> str:
    """A file size as people read it: 340 kB, 1,2 MB (in the page's language)."""
    if size < 1000 * 1000:
        return _("%(n)s kB", n=format_decimal(max(1, round(size / 1000))))
    return _("%(n)s MB", n=format_decimal(round(size / 1000 / 1000, 1)))


def _back(process_id: uuid.UUID) -> Any:
    return redirect(url_for("processes.show_process", process_id=process_id, _anchor="bilag"))


@bp.post("/<uuid:process_id>/bilag")
@limiter.limit(upload_limit, key_func=per_user)
def upload(process_id: uuid.UUID) -> Any:
    process = policy.get_process(current_user, process_id)
    try:
        added = attachments.add_attachments(
            current_user,
            process,
            read_uploads(request.files.getlist("file")),
            shareable=request.form.get("shareable") == "1",
            description=request.form.get("attachment_description", ""),
        )
    except Invalid as e:
        g.attachment_errors, g.attachment_form = e.errors, request.form.to_dict()
        response = make_response(show_process(process_id=process_id))
        response.status_code = 422
        return response
    if len(added) == 1:
        flash(_("Bilaget %(name)s er gemt.", name=added[0].filename), "success")
    else:
        flash(_("%(count)d bilag er gemt.", count=len(added)), "success")
    return _back(process_id)


@bp.get("/<uuid:process_id>/bilag/<uuid:attachment_id>")
def download(process_id: uuid.UUID, attachment_id: uuid.UUID) -> Any:
    attachment = attachments.get_attachment(current_user, process_id, attachment_id)
    return file_response(attachment)


@bp.post("/<uuid:process_id>/bilag/<uuid:attachment_id>/deling")
def share(process_id: uuid.UUID, attachment_id: uuid.UUID) -> Any:
    chosen = request.form.get("shareable") == "1"
    attachment = attachments.update_attachment(
        current_user, process_id, attachment_id, {"shareable": chosen}
    )
    if chosen:
        flash(
            _("%(name)s deles, når processen offentliggøres.", name=attachment.filename), "success"
        )
    else:
        flash(_("%(name)s deles ikke længere.", name=attachment.filename), "success")
    return _back(process_id)


@bp.post("/<uuid:process_id>/bilag/<uuid:attachment_id>/slet")
def delete(process_id: uuid.UUID, attachment_id: uuid.UUID) -> Any:
    attachment = attachments.delete_attachment(current_user, process_id, attachment_id)
    flash(_("Bilaget %(name)s er slettet.", name=attachment.filename), "success")
    return _back(process_id)

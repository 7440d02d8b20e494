"""The administrator's export page (`/<slug>/admin/eksport`) and the archive's one-time
download; the operator's twin lives in the console (operator/views.py), sharing
`download_response` and the status labels."""

from __future__ import annotations

from typing import IO, Any
from urllib.parse import quote

from flask import Response, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.http import dump_options_header

from ..errors import Invalid
from ..identity.auth import require, tenant_blueprint
from ..permissions import Action
from ..tenancy import current_tenant
from . import services
from .models import ExportStatus
from .services import ZIP_MIME

bp = tenant_blueprint("tenant_export", __name__, url_prefix="/admin/eksport")

STATUS_LABELS = {
    ExportStatus.PENDING.value: _l("Venter"),
    ExportStatus.RUNNING.value: _l("I gang"),
    ExportStatus.READY.value: _l("Klar"),
    ExportStatus.DOWNLOADED.value: _l("Hentet"),
    ExportStatus.FAILED.value: _l("Fejlet"),
    ExportStatus.EXPIRED.value: _l("Udløbet"),
}


@bp.before_request
def _administrators_only() -> None:
    if current_user.is_authenticated:
        require(current_user, Action.ADMINISTER)


def download_response(archive: IO[bytes], name: str) -> Response:
    """The archive as a download (never shown in the app's origin)."""
    archive.seek(0, 2)
    size = archive.tell()
    archive.seek(0)

    def chunks() -> Any:
        with archive:
            while chunk := archive.read(64 * 1024):
                yield chunk

    response = Response(chunks(), mimetype=ZIP_MIME, direct_passthrough=True)
    response.content_length = size
    response.headers["Content-Disposition"] = dump_options_header(
        "attachment", {"filename": name, "filename*": "UTF-8''" + quote(name, safe="")}
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("")
def index() -> Any:
    return _page({}), 200


def _download_url(export: Any) -> str:
    return url_for("tenant_export.download", export_id=export.id)


def _page(errors: dict[str, Any]) -> str:
    return render_template(
        "export/index.html",
        exports=services.exports_of(current_tenant(), user=current_user),
        status_labels=STATUS_LABELS,
        download_url=_download_url,
        expiry_days=services.EXPIRY_DAYS,
        errors=errors,
    )


@bp.post("")
def request_export() -> Any:
    tenant = current_tenant()
    try:
        services.request_export(tenant, user=current_user._get_current_object())
    except Invalid as e:
        return _page(e.errors), 409
    flash(_("Eksporten er bestilt. Du får en e-mail, når den er klar."), "success")
    return redirect(url_for("tenant_export.index"))


@bp.get("/<export_id>/hent")
def download(export_id: str) -> Any:
    archive, name = services.take_download(
        current_tenant(), export_id, user=current_user._get_current_object()
    )
    return download_response(archive, name)

"""Attachments in the REST API: /api/v1/processes/{id}/attachments."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

from flask import Response, g, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, Schema, fields
from werkzeug.http import dump_options_header

from autoproces.platform.errors import Invalid
from autoproces.platform.identity.auth import api_blueprint
from autoproces.platform.security import limiter, per_user, upload_limit

from .. import policy
from ..schemas import UserRefSchema, text
from . import services as attachments

BOOLEAN_ERRORS = {"invalid": _l("Skal være sand eller falsk.")}

bp = api_blueprint(
    "attachments_api",
    __name__,
    "/processes",
    description="Files attached to processes (at most 20 MB each, allowed file types only)",
)


class AttachmentOutSchema(Schema):
    id = fields.UUID()
    process_id = fields.UUID()
    filename = fields.String()
    content_type = fields.String(
        metadata={"description": "Found from the file's bytes when it was uploaded"}
    )
    size_bytes = fields.Integer()
    sha256 = fields.String()
    description = fields.String()
    shareable = fields.Boolean(
        metadata={"description": "Goes along when the process is published to the catalogue"}
    )
    uploaded_by = fields.Nested(UserRefSchema, attribute="uploader", allow_none=True)
    created_at = fields.DateTime()


class AttachmentFormSchema(Schema):
    """The form fields beside the file(s) of an upload."""

    class Meta:
        unknown = EXCLUDE

    shareable = fields.Boolean(load_default=False, error_messages=BOOLEAN_ERRORS)
    description = text(attachments.MAX_DESCRIPTION, load_default="")


class AttachmentUploadSchema(AttachmentFormSchema):
    """The whole multipart body, as the documentation shows it: OpenAPI has one request
    body per operation, so the form fields are documented here and read from the form
    by AttachmentFormSchema."""

    # Not required here: the view names a missing file in the API's usual way (422, `file`).
    file = fields.Raw(
        metadata={
            "type": "string",
            "format": "binary",
            "description": "A file; repeat the field for several",
        },
    )


class AttachmentPatchSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    shareable = fields.Boolean(error_messages=BOOLEAN_ERRORS)
    description = text(attachments.MAX_DESCRIPTION)


@bp.get("/<uuid:process_id>/attachments")
@bp.response(200, AttachmentOutSchema(many=True))
def list_attachments(process_id: uuid.UUID) -> Any:
    """List a process's attachments.

    Name, type, size, checksum, description and whether each goes along when the process is
    published. 404 when the caller may not see the process.
    """
    return attachments.list_attachments(g.api_user, process_id)


@bp.post("/<uuid:process_id>/attachments")
@limiter.limit(upload_limit, key_func=per_user)
@bp.arguments(AttachmentUploadSchema, location="files", content_type="multipart/form-data")
@bp.response(201, AttachmentOutSchema(many=True))
def add_attachments(_files: dict[str, Any], process_id: uuid.UUID) -> Any:
    """Upload attachments.

    Upload one or more files as multipart/form-data (field `file`, repeatable). Every file must
    be one of the allowed types, with bytes that match its name, and at most 20 MB; one bad
    file refuses them all (422 naming `file`). `shareable` needs the right to edit.
    """
    form = bp.ARGUMENTS_PARSER.parse(AttachmentFormSchema, request, location="form")
    process = policy.get_process(g.api_user, process_id)
    uploads = read_uploads(request.files.getlist("file"))
    if not uploads:
        raise Invalid(_("Filen kunne ikke gemmes."), {"file": [_("Vælg en fil.")]})
    return attachments.add_attachments(
        g.api_user, process, uploads, form["shareable"], form["description"]
    ), 201


def read_uploads(files: list[Any]) -> list[attachments.Upload]:
    """Read each upload, at most one byte past the limit (enough to know it is too big)."""
    return [
        attachments.Upload(f.filename or "", f.read(attachments.MAX_BYTES + 1))
        for f in files
        if f is not None and (f.filename or f.content_length)
    ]


@bp.get("/<uuid:process_id>/attachments/<uuid:attachment_id>")
@bp.response(200, AttachmentOutSchema)
def get_attachment(process_id: uuid.UUID, attachment_id: uuid.UUID) -> Any:
    """Read an attachment's details.

    Its metadata; the bytes are at `…/content`.
    """
    return attachments.get_attachment(g.api_user, process_id, attachment_id)


@bp.get("/<uuid:process_id>/attachments/<uuid:attachment_id>/content")
def download_attachment(process_id: uuid.UUID, attachment_id: uuid.UUID) -> Any:
    """Download an attachment.

    The file's bytes, always as a download, with the content type found from the bytes at
    upload.
    """
    attachment = attachments.get_attachment(g.api_user, process_id, attachment_id)
    return file_response(attachment)


def file_response(attachment: attachments.Attachment) -> Response:
    """The stored file, always as a download: nothing uploaded runs in the app's origin."""
    chunks = attachments.open_attachment(attachment)
    # The chunks need no request context: the request (and its transaction) ends first.
    response = Response(chunks, mimetype=attachment.content_type, direct_passthrough=True)
    response.content_length = attachment.size_bytes
    name = attachment.filename
    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_")
    # RFC 6266: a plain fallback plus the UTF-8 name (æ, ø, å survive).
    response.headers["Content-Disposition"] = dump_options_header(
        "attachment", {"filename": ascii_name, "filename*": "UTF-8''" + quote(name, safe="")}
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.patch("/<uuid:process_id>/attachments/<uuid:attachment_id>")
@bp.arguments(AttachmentPatchSchema)
@bp.response(200, AttachmentOutSchema)
def update_attachment(data: dict[str, Any], process_id: uuid.UUID, attachment_id: uuid.UUID) -> Any:
    """Change an attachment.

    Change `shareable` (the automation team) or `description` (uploader or team).
    """
    return attachments.update_attachment(g.api_user, process_id, attachment_id, data)


@bp.delete("/<uuid:process_id>/attachments/<uuid:attachment_id>")
@bp.response(204)
def delete_attachment(process_id: uuid.UUID, attachment_id: uuid.UUID) -> None:
    """Delete an attachment.

    The uploader or the automation team deletes an attachment (and its file).
    """
    attachments.delete_attachment(g.api_user, process_id, attachment_id)

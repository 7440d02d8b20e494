"""The catalogue's API shapes (marshmallow)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, validate
from marshmallow import fields as ma

from .models import SIZE_BANDS
from .services import MAX_NOTE, MAX_PHRASE, MAX_PHRASES


class PreviewInSchema(Schema):
    extra_redactions = ma.Dict(
        keys=ma.String(validate=validate.Length(max=60)),
        values=ma.List(
            ma.String(validate=validate.Length(min=1, max=MAX_PHRASE)),
            validate=validate.Length(max=MAX_PHRASES),
        ),
        load_default=dict,
        metadata={"description": "Field name -> words or passages to redact as well."},
    )
    restore = ma.List(
        ma.String(validate=validate.Length(max=80)),
        validate=validate.Length(max=500),
        load_default=list,
        metadata={"description": "Keys of automatic redactions to show after all."},
    )
    restore_confirmed = ma.Boolean(
        load_default=False,
        metadata={"description": "Required when `restore` is not empty."},
    )


class PublishInSchema(PreviewInSchema):
    fingerprint = ma.String(required=True, validate=validate.Length(equal=64))
    note = ma.String(load_default="", validate=validate.Length(max=MAX_NOTE))
    anonymous = ma.Boolean(load_default=False)
    size_band = ma.String(
        required=True,
        validate=validate.OneOf(tuple(SIZE_BANDS), error=_l("Ugyldig værdi. Tilladt: {choices}.")),
    )
    attachment_ids = ma.List(ma.UUID(), load_default=list, validate=validate.Length(max=50))


class RedactionSchema(Schema):
    key = ma.String()
    kind = ma.String()
    label = ma.String()
    text = ma.String()
    placeholder = ma.String()
    restored = ma.Boolean()


class PreviewFieldSchema(Schema):
    name = ma.String()
    label = ma.String()
    text = ma.String(attribute="published")
    redactions = ma.List(ma.Nested(RedactionSchema))


class FileRefSchema(Schema):
    id = ma.UUID()
    filename = ma.String()
    content_type = ma.String()
    size_bytes = ma.Integer()
    description = ma.String()


class PreviewOutSchema(Schema):
    fingerprint = ma.String()
    fields = ma.List(ma.Nested(PreviewFieldSchema))
    attachments = ma.List(ma.Nested(FileRefSchema))
    errors = ma.Dict(keys=ma.String(), values=ma.List(ma.String()))


class FieldTextSchema(Schema):
    name = ma.String()
    label = ma.String()
    text = ma.String()


def _pairs(rows: list[tuple[str, Any, str]]) -> list[dict[str, str]]:
    return [{"name": n, "label": str(label), "text": t} for n, label, t in rows]


class VersionSummarySchema(Schema):
    number = ma.Integer()
    published_at = ma.DateTime()
    note = ma.String()


class VersionOutSchema(VersionSummarySchema):
    publisher = ma.String(attribute="publisher_name", allow_none=True)
    anonymous = ma.Boolean()
    size_band = ma.String()
    size_band_label = ma.String()
    fields = ma.Method("_fields", metadata={"description": "The anonymised copied fields."})
    facts = ma.Dict()
    diff = ma.Method("_diff", metadata={"description": "Changes from the previous version."})
    attachments = ma.List(ma.Nested(FileRefSchema))

    def _fields(self, version: Any) -> list[dict[str, str]]:
        from .services import version_fields

        return _pairs(version_fields(version))

    def _diff(self, version: Any) -> list[dict[str, str]]:
        from .services import version_diff

        return _pairs(version_diff(version))


class EntryOutSchema(Schema):
    id = ma.UUID()
    current_version = ma.Integer()
    created_at = ma.DateTime()
    updated_at = ma.DateTime()
    withdrawn_at = ma.DateTime(allow_none=True)
    hidden_at = ma.DateTime(
        allow_none=True,
        metadata={"description": "Hidden by the operator: only the publisher still sees it."},
    )
    hidden_reason = ma.String(allow_none=True)
    mirrored = ma.Boolean(
        metadata={"description": "Mirrored read-only from another instance's feed."}
    )
    origin_url = ma.String(
        allow_none=True, metadata={"description": "A mirrored entry's page at its origin."}
    )
    version = ma.Nested(VersionOutSchema, attribute="current")

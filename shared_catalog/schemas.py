"""The catalogue's API shapes (marshmallow)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, validate
from marshmallow import fields as ma

from autoproces.platform.pagination import PageArgsSchema
from autoproces.tenants.processes.models import Phase

from .models import SIZE_BANDS
from .search import SORTS
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
    attachment_ids = ma.List(
        ma.UUID(
            error_messages={"invalid_uuid": _l("Ukendt bilag."), "invalid": _l("Ukendt bilag.")}
        ),
        load_default=list,
        validate=validate.Length(max=50),
    )


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


# --- Search (GET /api/v1/catalogue and the list page's URL) --------------------------------


def _filter_text(max_len: int = 200, **kwargs: Any) -> ma.String:
    return ma.String(validate=validate.Length(max=max_len, error=_l("Højst {max} tegn.")), **kwargs)


class CatalogueQuerySchema(PageArgsSchema):
    """The catalogue's search: words, one value per facet, the order and the page."""

    q = _filter_text()
    domain = _filter_text(metadata={"description": "A fagområde's name, as copied."})
    kle = ma.String(
        validate=validate.Regexp(r"^[0-9]{2}$", error=_l("Skriv en KLE-hovedgruppe, fx 02.")),
        metadata={"description": "A KLE main group (two digits)."},
    )
    phase = ma.String(
        validate=validate.OneOf(
            [p.value for p in Phase], error=_l("Ugyldig værdi. Tilladt: {choices}.")
        ),
        metadata={"description": "The phase the process was in when published."},
    )
    technology = _filter_text()
    vendor = _filter_text()
    publisher = _filter_text(metadata={"description": "A municipality (never an anonymous one)."})
    size_band = ma.String(
        validate=validate.OneOf(list(SIZE_BANDS), error=_l("Ugyldig værdi. Tilladt: {choices}."))
    )
    benefit = ma.Integer(
        validate=validate.Range(min=0, max=3, error=_l("Skal være mellem {min} og {max}.")),
        error_messages={"invalid": _l("Skal være et helt tal.")},
        metadata={"description": "The realised benefit rating (0-3)."},
    )
    sort = ma.String(
        load_default="relevance",
        validate=validate.OneOf(SORTS, error=_l("Ugyldig værdi. Tilladt: {choices}.")),
    )


class HitVersionSchema(VersionOutSchema):
    class Meta:
        exclude = ("attachments",)


class SearchHitSchema(EntryOutSchema):
    version = ma.Nested(
        HitVersionSchema,
        attribute="current",
        metadata={"description": "The current version; its files are on the entry's own URL."},
    )
    snippet = ma.String(
        allow_none=True,
        metadata={"description": "The matched words in context, HTML-escaped, in <mark>."},
    )


class FacetValueSchema(Schema):
    value = ma.String()
    label = ma.String()
    count = ma.Integer()
    selected = ma.Boolean()


class CataloguePageSchema(Schema):
    items = ma.List(ma.Nested(SearchHitSchema))
    total = ma.Integer()
    page = ma.Integer()
    per_page = ma.Integer()
    pages = ma.Integer()
    facets = ma.Dict(
        keys=ma.String(),
        values=ma.List(ma.Nested(FacetValueSchema)),
        metadata={"description": "Per facet, its values with the number of entries found."},
    )

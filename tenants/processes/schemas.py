"""Marshmallow schemas shared by the API and the HTML forms."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, Schema, fields, validate

from .models import Phase, Status, Visibility

REQUIRED = {"required": _l("Feltet skal udfyldes."), "null": _l("Feltet skal udfyldes.")}


class Text(fields.String):
    """A string with surrounding white space removed; blank counts as missing when required."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        result = super()._deserialize(value, attr, data, **kwargs).strip()
        if "\x00" in result:
            raise self.make_error("invalid")
        if not result and self.required:
            raise self.make_error("required")
        return result


def text(max_length: int | None = None, required: bool = False, **kwargs: Any) -> Text:
    validators = []
    if max_length:
        validators.append(validate.Length(max=max_length, error=_l("Højst {max} tegn.")))
    return Text(
        required=required,
        validate=validators,
        error_messages={**REQUIRED, "invalid": _l("Skal være tekst.")},
        **kwargs,
    )


def choice(enum: type, **kwargs: Any) -> fields.String:
    values = [e.value for e in enum]
    return fields.String(
        validate=validate.OneOf(values, error=_l("Ugyldig værdi. Tilladt: {choices}.")),
        error_messages={**REQUIRED, "invalid": _l("Skal være tekst.")},
        **kwargs,
    )


class ProcessInSchema(Schema):
    """What a client may write. Unknown fields are refused (422 naming them)."""

    title = text(120, required=True)
    summary = text(300, required=True)
    description = text()
    phase = choice(Phase)
    status = choice(Status)
    visibility = choice(Visibility)
    internal_notes = text()


class IntakeFormSchema(ProcessInSchema):
    """The intake form ("Indberet en idé"): only what an employee knows.

    An HTML form may carry more than its fields (a CSRF token, a button's name);
    those are dropped, not refused.
    """

    class Meta:
        fields = ("title", "summary", "description", "visibility")
        unknown = EXCLUDE


class UserRefSchema(Schema):
    id = fields.UUID()
    name = fields.String()


class ProcessOutSchema(Schema):
    id = fields.UUID()
    title = fields.String()
    summary = fields.String()
    description = fields.String()
    phase = fields.String()
    status = fields.String()
    visibility = fields.String()
    internal_notes = fields.String()
    reporter = fields.Nested(UserRefSchema, allow_none=True)
    version = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class ProcessQuerySchema(Schema):
    q = fields.String(validate=validate.Length(max=200))
    phase = choice(Phase)
    status = choice(Status)
    page = fields.Integer(
        load_default=1, validate=validate.Range(min=1, error=_l("Skal være mindst {min}."))
    )
    per_page = fields.Integer(
        load_default=25,
        validate=validate.Range(min=1, max=100, error=_l("Skal være mellem {min} og {max}.")),
    )


class ProcessPageSchema(Schema):
    items = fields.List(fields.Nested(ProcessOutSchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    pages = fields.Integer()

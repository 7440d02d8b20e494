"""Marshmallow schemas of the taxonomy API."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

MAX_QUERY = 100


class KleQuerySchema(Schema):
    q = fields.String(
        load_default="",
        validate=validate.Length(max=MAX_QUERY, error=_l("Højst {max} tegn.")),
        metadata={"description": "A code prefix (32.1) and/or words of the title (børn)."},
    )
    limit = fields.Integer(
        load_default=20,
        validate=validate.Range(min=1, max=100, error=_l("Skal være mellem {min} og {max}.")),
    )


class KleEntrySchema(Schema):
    code = fields.String()
    title = fields.String()
    level = fields.Integer(metadata={"description": "1 main group, 2 group, 3 topic"})
    parent_code = fields.String(allow_none=True)

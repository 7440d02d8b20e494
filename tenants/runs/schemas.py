"""The API's representation of a recorded period (input is checked row by row in services,
so every error names its position and field, like the CSV's lines)."""

from __future__ import annotations

from marshmallow import Schema, fields


class RunOutSchema(Schema):
    id = fields.UUID()
    process_id = fields.UUID()
    period_start = fields.Date(data_key="from")
    period_end = fields.Date(data_key="to")
    runs = fields.Integer()
    hours_saved = fields.Decimal(as_string=True)
    source = fields.String()
    created_at = fields.DateTime()


class RealisedOutSchema(Schema):
    hours_per_year = fields.Decimal(as_string=True, allow_none=True)
    last_upload = fields.DateTime(allow_none=True)
    runs = fields.List(fields.Nested(RunOutSchema))


class ImportOutSchema(Schema):
    created = fields.Integer()
    replaced = fields.Integer()

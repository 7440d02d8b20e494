"""The dashboard's query and its figures in the API (GET /api/v1/dashboard)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields

from autoproces.tenants.processes.schemas import DomainRefSchema


class DashboardQuerySchema(Schema):
    domain = fields.UUID(
        metadata={"description": "Only processes in this fagområde"},
        error_messages={
            "invalid": _l("Ukendt fagområde."),
            "invalid_uuid": _l("Ukendt fagområde."),
        },
    )


class NamedCountSchema(Schema):
    name = fields.String()
    count = fields.Integer()


class BenefitSchema(Schema):
    processes = fields.Integer(metadata={"description": "Processes in drift"})
    with_realised = fields.Integer(metadata={"description": "Of these, with realised hours"})
    expected_hours = fields.Float(metadata={"description": "Expected hours per year"})
    realised_hours = fields.Float(metadata={"description": "Realised hours per year"})
    expected_dkk = fields.Float(metadata={"description": "Expected hours × cost per hour"})
    realised_dkk = fields.Float(metadata={"description": "Realised hours × cost per hour"})


class DomainBenefitSchema(BenefitSchema):
    domain = fields.Nested(DomainRefSchema)


class QuarterSchema(Schema):
    label = fields.String(metadata={"description": "e.g. 2026 K1"})
    start = fields.Date()
    entered = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "Processes that entered each phase in the quarter"},
    )


class WaitingIdeaSchema(Schema):
    id = fields.UUID()
    number = fields.Integer()
    title = fields.String()
    created_at = fields.DateTime()
    days = fields.Integer(metadata={"description": "Days since it was reported"})


def _pairs(pairs: list[tuple[str, int]]) -> list[dict[str, Any]]:
    return [{"name": n, "count": c} for n, c in pairs]


class DashboardSchema(Schema):
    domain = fields.Nested(DomainRefSchema, allow_none=True)
    total = fields.Integer()
    by_phase = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_status = fields.Dict(keys=fields.String(), values=fields.Integer())
    quarters = fields.List(fields.Nested(QuarterSchema), metadata={"description": "Last eight"})
    benefit = fields.Nested(BenefitSchema, metadata={"description": "Processes in drift"})
    benefit_by_domain = fields.List(fields.Nested(DomainBenefitSchema))
    cost_per_hour_dkk = fields.Float()
    technologies = fields.Function(lambda d: _pairs(d.technologies), metadata={"type": "array"})
    vendors = fields.Function(lambda d: _pairs(d.vendors), metadata={"type": "array"})
    waiting_total = fields.Integer(metadata={"description": "Ideas not assessed after 30 days"})
    waiting = fields.List(fields.Nested(WaitingIdeaSchema), metadata={"description": "Oldest"})
    waiting_since = fields.Date(metadata={"description": "Ideas reported before this day"})

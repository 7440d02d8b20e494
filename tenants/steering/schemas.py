"""The backlog's arguments and representations (API and pages)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from autoproces.tenants.processes.schemas import PrioritySchema, ProcessQuerySchema, uuid_field

from .services import ORDERS


class BacklogQuerySchema(ProcessQuerySchema):
    """The register list's filters and the backlog's order (the list's `sort` is not used)."""

    class Meta:
        exclude = ("sort",)

    order = fields.String(
        load_default="steering",
        validate=validate.OneOf(ORDERS, error=_l("Ugyldig værdi. Tilladt: {choices}.")),
        metadata={"description": "steering: the steering group's order; score: by score"},
    )


class BacklogItemSchema(Schema):
    id = fields.UUID(attribute="process.id")
    number = fields.Integer(attribute="process.number")
    title = fields.String(attribute="process.title")
    phase = fields.String(attribute="process.phase")
    status = fields.String(attribute="process.status")
    priority_rank = fields.Integer(
        attribute="process.priority_rank",
        allow_none=True,
        metadata={"description": "The steering group's rank (null: not ranked yet)"},
    )
    position = fields.Integer(
        metadata={"description": "The place in the steering group's order among candidates"}
    )
    score_rank = fields.Integer(metadata={"description": "The place by score among candidates"})
    priority = fields.Nested(PrioritySchema, attribute="score")
    flags = fields.List(
        fields.String(), metadata={"description": "gdpr_art22 (automated decision), ai_act_high"}
    )


class BacklogPageSchema(Schema):
    items = fields.List(fields.Nested(BacklogItemSchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    pages = fields.Integer()


class MoveSchema(Schema):
    """A new place in the steering group's order: exactly one of `priority_rank` (1 is
    first; past the end means last), `move` (one step) or `before`/`after` a candidate."""

    priority_rank = fields.Integer(
        validate=validate.Range(min=1, max=1_000_000, error=_l("Skal være mellem {min} og {max}.")),
        error_messages={
            "invalid": _l("Skal være et helt tal."),
            "null": _l("Skal være et helt tal."),
        },
        strict=True,
    )
    move = fields.String(
        validate=validate.OneOf(("up", "down"), error=_l("Ugyldig værdi. Tilladt: {choices}."))
    )
    before = uuid_field(_l("Ukendt proces i prioriteringen."))
    after = uuid_field(_l("Ukendt proces i prioriteringen."))

    @validates_schema
    def _exactly_one(self, data: dict[str, Any], **_: Any) -> None:
        if len(data) != 1:
            raise ValidationError(
                str(_l("Angiv præcis én af priority_rank, move, before og after.")),
                "priority_rank",
            )


def move_arguments(data: dict[str, Any]) -> dict[str, Any]:
    """MoveSchema's data as services.move's keywords."""
    names = {"priority_rank": "to", "move": "step", "before": "before", "after": "after"}
    return {names[k]: v for k, v in data.items()}

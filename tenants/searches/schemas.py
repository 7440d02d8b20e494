"""Saved searches in the API and the forms: what a client writes and what it reads."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields

from autoproces.platform.textinput import text

from .models import NAME_MAX

BOOLEAN = {
    "invalid": _l("Skal være sand eller falsk."),
    "null": _l("Skal være sand eller falsk."),
}
QUERY = {
    "invalid": _l('Skal være et objekt med listens filtre, fx {"phase": "operation"}.'),
    "null": _l('Skal være et objekt med listens filtre, fx {"phase": "operation"}.'),
}


class SavedSearchInSchema(Schema):
    """A new saved search: a name, the register list's filters (`GET /api/v1/processes`'s
    query arguments but `page` and `per_page`) and whether to send the daily e-mail."""

    # marshmallow's own message is English; ours names the field in Danish (or English).
    error_messages = {"unknown": _l("Ukendt felt."), "type": _l("Skal være et JSON-objekt.")}

    name = text(NAME_MAX, required=True, metadata={"description": "Unique per user, any case"})
    query = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(),
        load_default=dict,
        error_messages=QUERY,
        metadata={
            "description": "The list's filters as query arguments, e.g."
            ' {"phase": "operation", "q": "faktura"}; checked like GET /api/v1/processes'
        },
    )
    notify = fields.Boolean(
        load_default=False,
        error_messages=BOOLEAN,
        metadata={"description": "A daily e-mail listing the new processes that match"},
    )


class SavedSearchPatchSchema(SavedSearchInSchema):
    """Any of the name, the filters (replaced whole) and the daily e-mail."""

    name = text(NAME_MAX)
    query = fields.Dict(keys=fields.String(), values=fields.Raw(), error_messages=QUERY)
    notify = fields.Boolean(error_messages=BOOLEAN)


class SavedSearchOutSchema(Schema):
    id = fields.UUID()
    name = fields.String()
    query = fields.Dict(keys=fields.String(), values=fields.String())
    notify = fields.Boolean()
    description = fields.String(metadata={"description": "The filters, in words"})
    list_url = fields.String(metadata={"description": "The register's list with these filters"})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()

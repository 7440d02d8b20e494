"""Reusing catalogue entries in the REST API: copy, interest and contact
(/api/v1/catalogue/{id}/…), through the same services as the pages."""

from __future__ import annotations

import uuid
from typing import Any

from flask import g
from marshmallow import Schema
from marshmallow import fields as ma

from autoproces.platform.identity.auth import api_blueprint

from . import reuse
from .reuse import ContactInSchema
from .reuse_views import contact_limited

bp = api_blueprint(
    "catalogue_reuse_api", __name__, "/catalogue", description="Reusing catalogue entries"
)


class CopyOutSchema(Schema):
    id = ma.UUID(metadata={"description": "The new process in the caller's register."})
    number = ma.Integer(metadata={"description": "Its number in the caller's municipality."})
    copied_from_entry_id = ma.UUID()
    copied_from_version = ma.Integer()


class InterestInSchema(Schema):
    wants_to_help = ma.Boolean(
        load_default=False,
        metadata={"description": "We would like to help develop or finance it."},
    )


class InterestOutSchema(Schema):
    entry_id = ma.UUID()
    wants_to_help = ma.Boolean()
    created_at = ma.DateTime()


@bp.post("/<uuid:entry_id>/copy")
@bp.response(201, CopyOutSchema)
def copy(entry_id: uuid.UUID) -> Any:
    """Copy an entry into the caller's register.

    Makes a new idea (phase Idé, status Ikke vurderet, visible in the municipality) from the
    entry's current version with its lineage (entry and version), the caller as reporter
    and the entry's files. The entry's reuse count goes up once per municipality. 403 for
    the publisher's own entry, 422 for a withdrawn one.
    """
    return reuse.copy_entry(g.api_user, entry_id)


@bp.post("/<uuid:entry_id>/interest")
@bp.arguments(InterestInSchema)
@bp.response(200, InterestOutSchema)
def signal_interest(data: dict[str, Any], entry_id: uuid.UUID) -> Any:
    """Signal interest ("Vi vil også gerne").

    Once per municipality; calling again updates `wants_to_help`. The count is public, the
    list of municipalities only the publisher sees. 403 for the publisher's own entry, 422
    for a new interest in a withdrawn one.
    """
    return reuse.signal_interest(g.api_user, entry_id, data["wants_to_help"])


@bp.delete("/<uuid:entry_id>/interest")
@bp.response(204)
def withdraw_interest(entry_id: uuid.UUID) -> None:
    """Withdraw the municipality's interest.

    Takes back the municipality's "Vi vil også gerne" (nothing happens when there was none).
    404 for an entry the caller cannot see.
    """
    reuse.withdraw_interest(g.api_user, entry_id)


@bp.post("/<uuid:entry_id>/contact")
@contact_limited
@bp.arguments(ContactInSchema)
@bp.response(202)
def contact(data: dict[str, Any], entry_id: uuid.UUID) -> None:
    """Write to the publishing municipality.

    The message goes to the publisher's automation team by e-mail and into its inbox, with
    the caller's name, municipality and e-mail. The publisher's identity is never returned.
    Rate limited per user (429). 403 for the publisher's own entry, 404 for one mirrored
    from another installation (its publisher is not here).
    """
    reuse.contact(g.api_user, entry_id, data["body"])

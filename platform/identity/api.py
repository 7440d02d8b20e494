"""Identity in the API: who am I."""

from __future__ import annotations

from typing import Any

from flask import g
from marshmallow import Schema, fields

from ..tenancy import current_tenant
from .auth import api_blueprint

bp = api_blueprint("me", __name__, "/me", description="The caller: user, tenant and roles")


class TenantRefSchema(Schema):
    id = fields.UUID()
    slug = fields.String()
    name = fields.String()
    municipality_code = fields.String(allow_none=True)


class MeSchema(Schema):
    id = fields.UUID()
    name = fields.String()
    email = fields.String()
    roles = fields.List(fields.String())
    kind = fields.String(metadata={"description": "person, or service (a service account)"})
    tenant = fields.Nested(TenantRefSchema)


@bp.get("")
@bp.response(200, MeSchema)
def me() -> Any:
    """Who the token acts for.

    The token's user (name, e-mail, roles) and the municipality every other call acts in.
    """
    user = g.api_user
    return {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "roles": user.roles,
        "kind": user.kind,
        "tenant": current_tenant(),
    }

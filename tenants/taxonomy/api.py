"""KLE in the REST API (/api/v1/taxonomy): the look-up behind a KLE picker."""

from __future__ import annotations

from typing import Any

from flask import g

from autoproces.platform.identity.auth import api_blueprint, require
from autoproces.platform.permissions import Action

from . import services
from .schemas import KleEntrySchema, KleQuerySchema

bp = api_blueprint("taxonomy_api", __name__, "/taxonomy", description="KLE and FORM reference data")


@bp.get("/kle")
@bp.arguments(KleQuerySchema, location="query")
@bp.response(200, KleEntrySchema(many=True))
def search_kle(args: dict[str, Any]) -> Any:
    """Search the KLE taxonomy.

    KLE groups and topics matching a code prefix or title words, code matches first.
    """
    require(g.api_user, Action.READ)
    return services.search_kle(args["q"], args["limit"])

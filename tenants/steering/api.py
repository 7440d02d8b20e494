"""The backlog in the REST API (/api/v1/backlog)."""

from __future__ import annotations

import uuid
from typing import Any

from flask import g

from autoproces.platform.identity.auth import api_blueprint

from . import services
from .schemas import (
    BacklogItemSchema,
    BacklogPageSchema,
    BacklogQuerySchema,
    MoveSchema,
    move_arguments,
)

bp = api_blueprint(
    "backlog_api", __name__, "/backlog", description="The steering group's ranked backlog"
)


@bp.get("")
@bp.arguments(BacklogQuerySchema, location="query")
@bp.response(200, BacklogPageSchema)
def list_backlog(args: dict[str, Any]) -> Any:
    """List the backlog.

    The candidates (not in drift or decommissioned, not rejected or no longer relevant),
    with the register list's filters, in the steering group's order or by score, each with
    its score, factors, confidence, place by score and the steering group's rank. Needs the
    right to prioritise (managers and the automation team; 403 otherwise).
    """
    page = services.backlog(g.api_user, **args)
    return {
        "items": page.items,
        "total": page.total,
        "page": page.page,
        "per_page": page.per_page,
        "pages": page.pages,
    }


@bp.patch("/<uuid:process_id>")
@bp.arguments(MoveSchema)
@bp.response(200, BacklogItemSchema)
def move(data: dict[str, Any], process_id: uuid.UUID) -> Any:
    """Move a candidate in the steering group's order.

    Exactly one of `priority_rank` (the new place, 1 is first), `move` ("up"/"down") or
    `before`/`after` another candidate's id. The order is renumbered 1, 2, 3… up to the
    furthest place touched; every process whose rank changed gets a history entry. Needs
    the right to prioritise (403); 404 for a process the caller cannot see; 422 for one
    that is not a candidate.
    """
    services.move(g.api_user, process_id, **move_arguments(data))
    return services.item(g.api_user, process_id)

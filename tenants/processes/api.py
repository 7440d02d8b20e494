"""The process register in the REST API (/api/v1/processes)."""

from __future__ import annotations

import uuid
from typing import Any

from flask import g

from autoproces.platform.identity.auth import api_blueprint

from . import services
from .schemas import ProcessInSchema, ProcessOutSchema, ProcessPageSchema, ProcessQuerySchema

bp = api_blueprint(
    "processes_api", __name__, "/processes", description="The municipality's process register"
)


@bp.get("")
@bp.arguments(ProcessQuerySchema, location="query")
@bp.response(200, ProcessPageSchema)
def list_processes(args: dict[str, Any]) -> Any:
    page = services.list_processes(g.api_user, **args)
    return {
        "items": page.items,
        "total": page.total,
        "page": page.page,
        "per_page": page.per_page,
        "pages": page.pages,
    }


@bp.post("")
@bp.arguments(ProcessInSchema)
@bp.response(201, ProcessOutSchema)
def create_process(data: dict[str, Any]) -> Any:
    return services.create_process(g.api_user, data)


@bp.get("/<uuid:process_id>")
@bp.response(200, ProcessOutSchema)
def get_process(process_id: uuid.UUID) -> Any:
    return services.get_process(g.api_user, process_id)

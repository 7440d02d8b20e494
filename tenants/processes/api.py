"""The process register in the REST API (/api/v1/processes)."""

from __future__ import annotations

import uuid
from typing import Any

from flask import g

from autoproces.platform.identity.auth import api_blueprint

from . import services
from .schemas import (
    ChangeSchema,
    DomainRefSchema,
    ProcessInSchema,
    ProcessOutSchema,
    ProcessPageSchema,
    ProcessPatchSchema,
    ProcessQuerySchema,
)

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


@bp.patch("/<uuid:process_id>")
@bp.arguments(ProcessPatchSchema)
@bp.response(200, ProcessOutSchema)
def update_process(data: dict[str, Any], process_id: uuid.UUID) -> Any:
    """Change some fields. `version` must be the version the change was made against
    (409 otherwise); moving to a later phase checks what the phase needs (422)."""
    return services.update_process(g.api_user, process_id, data)


@bp.delete("/<uuid:process_id>")
@bp.response(204)
def delete_process(process_id: uuid.UUID) -> None:
    services.delete_process(g.api_user, process_id)


@bp.get("/<uuid:process_id>/history")
@bp.response(200, ChangeSchema(many=True))
def process_history(process_id: uuid.UUID) -> Any:
    """Every change, newest first: who, when, which field, old and new value."""
    return services.history(g.api_user, process_id)


domains_bp = api_blueprint(
    "domains_api", __name__, "/domains", description="The municipality's fagområder"
)


@domains_bp.get("")
@domains_bp.response(200, DomainRefSchema(many=True))
def list_domains() -> Any:
    return services.list_domains(g.api_user.tenant_id)

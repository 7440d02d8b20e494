"""The process register in the REST API (/api/v1/processes)."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response, g, jsonify, request, stream_with_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate

from autoproces.platform.errors import json_error
from autoproces.platform.identity.auth import api_blueprint, require
from autoproces.platform.permissions import Action
from autoproces.platform.tenancy import current_tenant

from . import exchange, queries, services
from .history import history
from .policy import get_process as load_process
from .schemas import (
    ChangeSchema,
    DomainRefSchema,
    OverviewSchema,
    ProcessInSchema,
    ProcessOutSchema,
    ProcessPageSchema,
    ProcessPatchSchema,
    ProcessQuerySchema,
)


class ExportQuerySchema(ProcessQuerySchema):
    """The list's filters, and the file format."""

    class Meta:
        exclude = ("page", "per_page")

    format = fields.String(
        load_default="xlsx",
        validate=validate.OneOf(("xlsx", "csv"), error=_l("Ugyldig værdi. Tilladt: {choices}.")),
    )


bp = api_blueprint(
    "processes_api", __name__, "/processes", description="The municipality's process register"
)


@bp.get("")
@bp.arguments(ProcessQuerySchema, location="query")
@bp.response(200, ProcessPageSchema)
def list_processes(args: dict[str, Any]) -> Any:
    """Search and list processes.

    The processes the caller may see, filtered (words, fagområde, phase, status, KLE prefix,
    technology, vendor, mine, following), sorted and paged.
    """
    page = queries.list_processes(g.api_user, **args)
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
    """Report a process.

    Creates a process in phase Idé with status Ikke vurderet, reported by the caller. Title and
    summary are required; unknown fields are refused with a 422 naming them.
    """
    return services.create_process(g.api_user, data)


@bp.get("/export")
@bp.arguments(ExportQuerySchema, location="query")
def export_processes(args: dict[str, Any]) -> Any:
    """Export processes as a spreadsheet.

    The filtered list (only what the caller may see) as an Excel sheet or CSV (UTF-8 with BOM,
    `;`-separated), one row per process, with Danish headers.
    """
    return export_response(g.api_user, args)


def export_response(user: Any, args: dict[str, Any]) -> Response:
    """The download, shared by the API and the list page."""
    args = dict(args)
    kind = args.pop("format", "xlsx")
    tenant = current_tenant()
    name = exchange.filename(tenant.slug if tenant else "kommune", kind)
    rows = exchange.export_rows(user, args)
    if kind == "csv":
        # Generators run lazily: take the first row (the visibility check) now, not mid-stream.
        header = next(rows)
        body = stream_with_context(exchange.write_csv(_chain(header, rows)))
        response = Response(body, mimetype="text/csv")
        response.headers["Content-Type"] = exchange.CSV_MIME
    else:
        response = Response(exchange.write_xlsx(rows), mimetype=exchange.XLSX_MIME)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _chain(first: list[Any], rest: Any) -> Any:
    yield first
    yield from rest


@bp.post("/import")
def import_processes() -> Any:
    """Import processes from a spreadsheet.

    Create or update processes from an Excel sheet in the export's layout (multipart field
    `file`). All or none: 200 with the counts, or 422 with every error as `{row, column,
    message}` and nothing written. Needs the right to edit.
    """
    require(g.api_user, Action.EDIT)
    upload = request.files.get("file")
    if upload is None:
        return json_error(400, _("Vælg en fil (feltet file)."))
    data = upload.read(exchange.MAX_BYTES + 1)
    result = exchange.import_xlsx(g.api_user, data)
    if not result.ok:
        response = json_error(422, _("Arket blev ikke indlæst. Intet er gemt."))
        body = response.get_json()
        body["errors"] = [e.as_dict() for e in result.errors]
        return jsonify(body), 422
    return {"created": result.created, "updated": result.updated, "unchanged": result.unchanged}


@bp.get("/<uuid:process_id>")
@bp.response(200, ProcessOutSchema)
def get_process(process_id: uuid.UUID) -> Any:
    """Read a process.

    Every field, the people, and the computed figures (expected hours, FTE, value,
    suitability). 404 when the caller may not see it.
    """
    return load_process(g.api_user, process_id)


# Its own path: /processes/{number} beside /processes/{process_id} would be one path twice
# in OpenAPI (templated paths that differ only in their names are not allowed).
@bp.get("/by-number/<int:number>")
@bp.response(200, ProcessOutSchema)
def get_process_by_number(number: int) -> Any:
    """The process by its short number in the municipality.

    `number` is the short number shown as "Idé nr. 42" on the pages, unique per municipality;
    404 when no process the caller may see has it.
    """
    return load_process(g.api_user, queries.process_id_by_number(g.api_user, number))


@bp.patch("/<uuid:process_id>")
@bp.arguments(ProcessPatchSchema)
@bp.response(200, ProcessOutSchema)
def update_process(data: dict[str, Any], process_id: uuid.UUID) -> Any:
    """Change a process.

    Change some fields. `version` must be the version the change was made against (409
    otherwise); moving to a later phase checks what the phase needs (422).
    """
    process = load_process(g.api_user, process_id, need="edit")
    return services.update_process(g.api_user, process, data)


@bp.delete("/<uuid:process_id>")
@bp.response(204)
def delete_process(process_id: uuid.UUID) -> None:
    """Delete a process.

    With its comments, attachments and history. Needs the right to delete it (403 otherwise).
    """
    services.delete_process(g.api_user, load_process(g.api_user, process_id, need="delete"))


@bp.get("/<uuid:process_id>/history")
@bp.response(200, ChangeSchema(many=True))
def process_history(process_id: uuid.UUID) -> Any:
    """Read a process's history.

    Every change, newest first: who, when, which field, old and new value.
    """
    return history(g.api_user, load_process(g.api_user, process_id))


domains_bp = api_blueprint(
    "domains_api", __name__, "/domains", description="The municipality's fagområder"
)


@domains_bp.get("")
@domains_bp.response(200, DomainRefSchema(many=True))
def list_domains() -> Any:
    """List the fagområder.

    The municipality's own list of fagområder, for `domain_ids` and the `domain` filter.
    """
    return queries.list_domains(g.api_user.tenant_id)


overview_bp = api_blueprint(
    "overview_api", __name__, "/overview", description="Processes per fagområde"
)


@overview_bp.get("")
@overview_bp.response(200, OverviewSchema(many=True))
def overview() -> Any:
    """Overview per fagområde.

    For each fagområde: counts by phase and status, and expected hours per year.
    """
    return queries.overview(g.api_user)

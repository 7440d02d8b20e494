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
from . import settings as register_settings
from .history import history
from .policy import get_process as load_process
from .schemas import (
    ChangeSchema,
    DomainPatchSchema,
    DomainRefSchema,
    DomainSchema,
    OverviewSchema,
    ProcessInSchema,
    ProcessOutSchema,
    ProcessPageSchema,
    ProcessPatchSchema,
    ProcessQuerySchema,
    SettingsOutSchema,
    SettingsSchema,
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


settings_bp = api_blueprint(
    "settings_api",
    __name__,
    "/settings",
    description="The municipality's figures for the formulas and the priority weights",
)


@settings_bp.get("")
@settings_bp.response(200, SettingsOutSchema)
def get_settings() -> Any:
    """Read the municipality's settings.

    Hours per FTE and cost per hour for the formulas, and the priority score's four
    weights. For the municipality's administrator."""
    return register_settings.get_settings(g.api_user)


@settings_bp.patch("")
@settings_bp.arguments(SettingsSchema)
@settings_bp.response(200, SettingsOutSchema)
def update_settings(data: dict[str, Any]) -> Any:
    """Change the municipality's settings.

    Give only what changes; at least one weight stays above 0. Every change is in the
    municipality's audit log. For its administrator."""
    return register_settings.update_settings(g.api_user, data)


@domains_bp.post("")
@domains_bp.arguments(DomainSchema)
@domains_bp.response(201, DomainSchema)
def add_domain(data: dict[str, Any]) -> Any:
    """Add a fagområde.

    It comes last in the order; a name the list already has (in any case) is refused (422).
    For the municipality's administrator."""
    return register_settings.add_domain(g.api_user, data["name"])


@domains_bp.patch("/<uuid:domain_id>")
@domains_bp.arguments(DomainPatchSchema)
@domains_bp.response(200, DomainSchema)
def change_domain(data: dict[str, Any], domain_id: uuid.UUID) -> Any:
    """Change a fagområde.

    Rename it, (de)activate it, or move it (`move`: up/down, or a 0-based `position`).
    A deactivated one cannot be chosen for new processes. For the administrator."""
    return register_settings.change_domain(g.api_user, domain_id, data)


@domains_bp.delete("/<uuid:domain_id>")
@domains_bp.response(204)
def delete_domain(domain_id: uuid.UUID) -> None:
    """Delete a fagområde.

    Only one no process uses: otherwise 409 (deactivate it instead). For the
    municipality's administrator."""
    register_settings.delete_domain(g.api_user, domain_id)

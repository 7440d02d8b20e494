"""The catalogue in the REST API: publishing a process (/api/v1/processes/{id}/publish…) and
reading entries (/api/v1/catalogue/…), through the same services as the pages."""

from __future__ import annotations

import uuid
from typing import Any

from flask import g
from flask_babel import gettext as _

from autoproces.platform.errors import Invalid
from autoproces.platform.identity.auth import api_blueprint
from autoproces.tenants.processes.policy import get_process

from . import search, services
from .schemas import (
    CataloguePageSchema,
    CatalogueQuerySchema,
    EntryOutSchema,
    PreviewInSchema,
    PreviewOutSchema,
    PublishInSchema,
    VersionOutSchema,
    VersionSummarySchema,
)

publish_bp = api_blueprint(
    "catalogue_publish_api", __name__, "/processes", description="Publishing to the catalogue"
)
bp = api_blueprint("catalogue_api", __name__, "/catalogue", description="The shared catalogue")


def _choices(data: dict[str, Any]) -> services.Choices:
    return services.Choices(
        extra=data["extra_redactions"],
        restore=set(data["restore"]),
        restore_confirmed=data["restore_confirmed"],
    )


@publish_bp.post("/<uuid:process_id>/publish/preview")
@publish_bp.arguments(PreviewInSchema)
@publish_bp.response(200, PreviewOutSchema)
def preview(data: dict[str, Any], process_id: uuid.UUID) -> Any:
    """Preview a publish.

    What every other municipality would see: each copied field anonymised on the server,
    with its redactions (automatic ones by kind, the caller's `extra_redactions`, and the
    `restore`d ones when `restore_confirmed`). Publish with the `fingerprint` it returns.
    Needs the right to publish (the automation team).
    """
    process = get_process(g.api_user, process_id)
    result = services.build_preview(g.api_user, process, _choices(data))
    if result.errors:
        raise Invalid(_("Ret valgene til forhåndsvisningen."), result.errors)
    return result


@publish_bp.post("/<uuid:process_id>/publish")
@publish_bp.arguments(PublishInSchema)
@publish_bp.response(201, EntryOutSchema)
def publish(data: dict[str, Any], process_id: uuid.UUID) -> Any:
    """Publish a process to the catalogue.

    Stores exactly what the preview with `fingerprint` showed, as the next version of the
    process's entry (the first publish makes the entry). 409 when the process or the choices
    changed since that preview: preview again.
    """
    process = get_process(g.api_user, process_id)
    publication = services.Publication(
        fingerprint=data["fingerprint"],
        note=data["note"],
        anonymous=data["anonymous"],
        size_band=data["size_band"],
        attachment_ids=set(data["attachment_ids"]),
    )
    return services.publish(g.api_user, process, _choices(data), publication)


@bp.get("")
@bp.arguments(CatalogueQuerySchema, location="query")
@bp.response(200, CataloguePageSchema)
def search_catalogue(args: dict[str, Any]) -> Any:
    """Search the catalogue.

    Every municipality's current, not withdrawn entries: Danish full-text search over title,
    summary, description, the work today, solution and lessons learned (each word also as a
    prefix), one value per facet (`domain`, `kle`, `phase`, `technology`, `vendor`,
    `publisher`, `size_band`, `benefit`), sorted (`relevance`, `newest`, `reused`,
    `interest`) and paged. Each item carries its `snippet` (HTML-escaped, matches in
    `<mark>`); `facets` counts each facet's values over all entries found.
    """
    result = search.search(g.api_user, **args)
    items = []
    for hit in result.page.items:
        hit.entry.snippet = str(hit.snippet) if hit.snippet is not None else None
        items.append(hit.entry)
    return {
        "items": items,
        "total": result.page.total,
        "page": result.page.page,
        "per_page": result.page.per_page,
        "pages": result.page.pages,
        "facets": {name: [vars(v) for v in values] for name, values in result.facets.items()},
    }


@bp.get("/<uuid:entry_id>")
@bp.response(200, EntryOutSchema)
def get_entry(entry_id: uuid.UUID) -> Any:
    """Read an entry.

    The entry with its current version. Withdrawn entries stay readable (`withdrawn_at`).
    """
    return services.get_entry(g.api_user, entry_id)


@bp.get("/<uuid:entry_id>/versions")
@bp.response(200, VersionSummarySchema(many=True))
def list_versions(entry_id: uuid.UUID) -> Any:
    """List an entry's versions.

    Every version of the entry, newest first: its number, when it was published and the
    publisher's note. Old versions stay readable.
    """
    return services.list_versions(g.api_user, entry_id)


@bp.get("/<uuid:entry_id>/versions/<int:number>")
@bp.response(200, VersionOutSchema)
def get_version(entry_id: uuid.UUID, number: int) -> Any:
    """Read one version of an entry.

    The version's anonymised fields, its attribution and files, and field by field what
    changed from the previous version (`diff`).
    """
    return services.get_version(g.api_user, entry_id, number)


@bp.post("/<uuid:entry_id>/withdraw")
@bp.response(200, EntryOutSchema)
def withdraw(entry_id: uuid.UUID) -> Any:
    """Withdraw an entry.

    Only the publishing municipality's automation team; the entry leaves the list and stays
    readable, marked withdrawn. 404 for anyone else.
    """
    return services.withdraw(g.api_user, entry_id)

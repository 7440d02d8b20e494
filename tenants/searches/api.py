"""The caller's saved searches in the REST API (/api/v1/saved-searches)."""

from __future__ import annotations

import uuid
from typing import Any

from flask import g

from autoproces.platform.identity.auth import api_blueprint
from autoproces.platform.pagination import PageArgsSchema
from autoproces.platform.urls import external_url
from autoproces.tenants.processes.schemas import ProcessPageSchema

from . import services
from .models import SavedSearch
from .schemas import SavedSearchInSchema, SavedSearchOutSchema, SavedSearchPatchSchema

bp = api_blueprint(
    "saved_searches_api",
    __name__,
    "/saved-searches",
    description="The caller's own saved searches of the register's list",
)


def _out(search: SavedSearch, names: dict[str, str] | None = None) -> dict[str, Any]:
    from autoproces.platform.tenancy import current_tenant

    tenant = current_tenant()
    return {
        "id": search.id,
        "name": search.name,
        "query": search.query,
        "notify": search.notify,
        "description": services.describe(search.query, names),
        "list_url": external_url(
            "processes.list_processes", tenant_slug=tenant.slug, **search.query
        ),
        "created_at": search.created_at,
        "updated_at": search.updated_at,
    }


@bp.get("")
@bp.response(200, SavedSearchOutSchema(many=True))
def list_searches() -> Any:
    """List my saved searches.

    The caller's own saved searches, by name (another user's are never listed). At most
    50 per user.
    """
    names = services.domain_names()
    return [_out(s, names) for s in services.list_searches(g.api_user)]


@bp.post("")
@bp.arguments(SavedSearchInSchema)
@bp.response(201, SavedSearchOutSchema)
def create_search(data: dict[str, Any]) -> Any:
    """Save a search.

    A name (unique per user whatever its case; 409 otherwise), the register list's filters
    as `GET /api/v1/processes` takes them (`q`, `domain`, `phase`, `status`, `kle`,
    `technology`, `vendor`, `mine`, `following`, `sort`…, not `page`/`per_page`; each is
    checked and a bad one is a 422 naming it under `query`) and `notify` for a daily e-mail
    of new matches. 409 past 50 saved searches.
    """
    return _out(services.create_search(g.api_user, **data))


@bp.get("/<uuid:search_id>")
@bp.response(200, SavedSearchOutSchema)
def get_search(search_id: uuid.UUID) -> Any:
    """Get a saved search.

    One of the caller's own saved searches; 404 for an unknown id or another user's.
    """
    return _out(services.get_search(g.api_user, search_id))


@bp.patch("/<uuid:search_id>")
@bp.arguments(SavedSearchPatchSchema)
@bp.response(200, SavedSearchOutSchema)
def update_search(data: dict[str, Any], search_id: uuid.UUID) -> Any:
    """Change a saved search.

    Any of `name` (409 when the caller has another search of that name), `query` (replaced
    whole, checked like when saved) and `notify`. Turning `notify` on lists only processes
    created from then on. 404 for another user's search.
    """
    search = services.get_search(g.api_user, search_id)
    return _out(services.update_search(g.api_user, search, **data))


@bp.delete("/<uuid:search_id>")
@bp.response(204)
def delete_search(search_id: uuid.UUID) -> Any:
    """Delete a saved search.

    Only the search goes; 404 for an unknown id or another user's.
    """
    services.delete_search(g.api_user, services.get_search(g.api_user, search_id))
    return ""


@bp.get("/<uuid:search_id>/processes")
@bp.arguments(PageArgsSchema, location="query")
@bp.response(200, ProcessPageSchema)
def run_search(args: dict[str, Any], search_id: uuid.UUID) -> Any:
    """Run a saved search.

    The processes the saved search finds now, as the caller may see them, in its order and
    paged like `GET /api/v1/processes` (`page`, `per_page`). 422 naming the stored filter
    when the register no longer accepts it.
    """
    search = services.get_search(g.api_user, search_id)
    page = services.run_search(g.api_user, search, page=args["page"], per_page=args["per_page"])
    return {
        "items": page.items,
        "total": page.total,
        "page": page.page,
        "per_page": page.per_page,
        "pages": page.pages,
    }

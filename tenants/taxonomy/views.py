"""The KLE picker of the process form: htmx fragments, and a look-up page without JavaScript.

/<tenant>/kle/soeg?q=…        the picker's options (a fragment for htmx)
/<tenant>/kle/valgt?kle_code=… the chosen topic's "02.34.02 Byggetilladelse" (a fragment)
/<tenant>/kle/?q=…            the same search as a page, where the form's search goes
                              when the browser runs no JavaScript

KLE is reference data shared by every municipality; the tenant in the URL only decides
who may look (a logged-in user of that municipality).
"""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask_login import current_user

from autoproces.platform.identity.auth import require, tenant_blueprint
from autoproces.platform.permissions import Action

from . import services
from .models import KleEntry
from .schemas import MAX_QUERY

bp = tenant_blueprint("taxonomy", __name__, url_prefix="/kle", template_folder="templates")

PICKER_LIMIT = 20  # options in the picker; more means "type more"
PAGE_LIMIT = 100


@bp.app_template_global()
def kle_topic(code: str | None) -> KleEntry | None:
    """For templates: the KLE topic a (possibly mistyped) code names, to show its title."""
    return services.kle_topic(code)


def _search(limit: int) -> tuple[str, list[tuple[KleEntry, str | None]], bool]:
    """The query (shortened rather than refused), up to `limit` topics, and whether more match."""
    q = request.args.get("q", "")[:MAX_QUERY].strip()
    results = services.search_kle_topics(q, limit + 1)
    return q, results[:limit], len(results) > limit


@bp.get("/soeg")
def search_kle() -> Any:
    require(current_user, Action.READ)
    q, results, more = _search(PICKER_LIMIT)
    return render_template("taxonomy/_kle_results.html", q=q, results=results, more=more)


@bp.get("/valgt")
def chosen_kle() -> Any:
    require(current_user, Action.READ)
    # As the process form reads it (processes/form.py): "02,34,02" is 02.34.02.
    code = request.args.get("kle_code", "")[:MAX_QUERY].strip().replace(",", ".")
    entry = services.kle_topic(code)
    unknown = entry is None and services.KLE_TOPIC.fullmatch(code) is not None
    return render_template("taxonomy/_kle_chosen.html", entry=entry, unknown=unknown)


@bp.get("/")
def lookup_kle() -> Any:
    require(current_user, Action.READ)
    q, results, more = _search(PAGE_LIMIT)
    return render_template("taxonomy/kle_lookup.html", q=q, results=results, more=more)

"""Platform pages outside any tenant: the front page and the language switch."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, redirect, render_template, request, session, url_for

from .i18n import LOCALES
from .tenancy import current_tenant, list_active_tenants

bp = Blueprint("platform", __name__)


LAST_TENANT_COOKIE = "autoproces_last_tenant"


@bp.get("/favicon.ico")
def favicon() -> Any:
    """Browsers ask for /favicon.ico whatever the page links: answer with the app's icon."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)


@bp.get("/")
def index() -> Any:
    q = request.args.get("q", "").strip()[:100]
    tenants = list_active_tenants()
    last = next((t for t in tenants if t.slug == request.cookies.get(LAST_TENANT_COOKIE)), None)
    if q:
        needle = q.casefold()
        tenants = [
            t
            for t in tenants
            if needle in t.name.casefold()
            or needle in t.slug
            or (t.municipality_code and needle == t.municipality_code)
        ]
    return render_template("index.html", tenants=tenants, q=q, last_tenant=last)


def remember_tenant(response: Response) -> Response:
    """Remember the municipality a person last used, for the front page."""
    tenant = current_tenant()
    if tenant is not None and response.status_code < 400:
        if request.cookies.get(LAST_TENANT_COOKIE) != tenant.slug:
            response.set_cookie(
                LAST_TENANT_COOKIE,
                tenant.slug,
                max_age=365 * 24 * 3600,
                httponly=True,
                samesite="Lax",
                secure=request.is_secure,
            )
    return response


@bp.post("/lang")
def set_language() -> Any:
    lang = request.form.get("lang", "")
    if lang in LOCALES:
        session["lang"] = lang
    target = request.form.get("next", "")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/"):
        target = url_for("platform.index")
    return redirect(target)

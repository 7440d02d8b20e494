"""Platform pages outside any tenant: the front page and the language switch."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request, session, url_for

from .i18n import LOCALES
from .tenancy import list_active_tenants

bp = Blueprint("platform", __name__)


@bp.get("/")
def index() -> Any:
    return render_template("index.html", tenants=list_active_tenants())


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

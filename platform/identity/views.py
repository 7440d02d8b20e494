"""Login pages: the development login in demo mode; SSO arrives with federated login."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import login_user, logout_user
from werkzeug.exceptions import BadRequest

from ..permissions import ROLE_LABELS
from ..tenancy import current_tenant
from .auth import tenant_blueprint
from .services import get_user, list_users

bp = tenant_blueprint("identity", __name__, login=False)


def safe_next(target: str | None) -> str | None:
    """Only local paths inside this tenant: never an open redirect."""
    tenant = current_tenant()
    if not target or tenant is None:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith(f"/{tenant.slug}/"):
        return None
    return target


@bp.get("/login")
def login() -> Any:
    tenant = current_tenant()
    next_url = safe_next(request.args.get("next"))
    if current_app.config["AUTOPROCES_DEMO"]:
        users = [u for u in list_users(tenant) if u.active]
        return render_template(
            "identity/dev_login.html", users=users, next_url=next_url, role_labels=ROLE_LABELS
        )
    return render_template("identity/login_unavailable.html"), 503


@bp.post("/dev-login")
def dev_login() -> Any:
    # The development login exists only in demo mode; elsewhere the route is not there.
    if not current_app.config["AUTOPROCES_DEMO"]:
        return render_template(
            "errors/error.html", status=404, title=_("Siden findes ikke"), message=""
        ), 404
    tenant = current_tenant()
    try:
        user = get_user(tenant, uuid.UUID(request.form.get("user_id", "")))
    except ValueError:
        raise BadRequest() from None
    if not user.active:
        raise BadRequest()
    session.clear()  # a new session on login: nothing from before carries over
    login_user(user)
    flash(_("Du er logget ind som %(name)s.", name=user.name), "success")
    return redirect(safe_next(request.form.get("next")) or url_for("processes.list_processes"))


@bp.post("/logout")
def logout() -> Any:
    logout_user()
    session.clear()
    flash(_("Du er logget ud."), "info")
    return redirect(url_for("identity.login"))

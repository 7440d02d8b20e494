"""Who is asking: sessions for pages, bearer tokens for the API.

Both end with the tenant active for the request (`g.tenant`, and `app.tenant_id`
in the database transaction) and `current_user` a user of that tenant.
"""

from __future__ import annotations

import uuid
from typing import Any

import flask_smorest
from flask import Blueprint, abort, current_app, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import LoginManager, current_user
from flask_smorest import abort as api_abort

from ..db import db
from ..errors import Forbidden
from ..permissions import Action
from ..security import csrf, signed_in_too_long_ago
from ..tenancy import activate_tenant_from_slug, current_tenant
from .models import User
from .services import TokenRejected, authenticate_token

login_manager = LoginManager()
# "basic": an IP change (a phone moving between networks) must not log users out.
login_manager.session_protection = "basic"


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    if g.get("api_user") is not None:
        return g.api_user
    tenant = current_tenant()
    if tenant is None:
        return None
    tenant_part, user_part, epoch_part = ([*user_id.split(":", 2), "", ""])[:3]
    # A session belongs to one tenant: in another municipality it is worth nothing.
    if tenant_part != str(tenant.id):
        return None
    try:
        uid, epoch = uuid.UUID(user_part), int(epoch_part)
    except ValueError:
        return None  # also a session from before epochs existed: sign in again
    user = db.session.get(User, (tenant.id, uid))
    # A copy of a cookie from before logout, deactivation or a role change has an older
    # epoch: refused, on every request. Service accounts never hold a session.
    if user is None or not user.active or user.is_service or user.session_epoch != epoch:
        return None
    if signed_in_too_long_ago():
        return None
    return user


def require(user: Any, action: Action) -> None:
    """Stop unless `user` may do `action` (raises Forbidden, shown as 403)."""
    if not getattr(user, "is_authenticated", False) or not user.can(action):
        raise Forbidden()
    tenant = current_tenant()
    if tenant is not None and user.tenant_id != tenant.id:
        raise Forbidden()  # a user acts only in their own municipality


def tenant_blueprint(
    name: str, import_name: str, url_prefix: str = "", login: bool = True, **kwargs: Any
) -> Blueprint:
    """A blueprint of pages under `/<tenant_slug>/…`, acting for that tenant.

    Unknown slugs give 404 and suspended tenants 403 before any view runs; with
    `login`, anonymous visitors go to the tenant's login page first.
    """
    bp = Blueprint(name, import_name, url_prefix="/<tenant_slug>" + url_prefix, **kwargs)

    @bp.url_value_preprocessor
    def _pull_tenant(endpoint: str | None, values: dict[str, Any] | None) -> None:
        if values is not None and "tenant_slug" in values:
            activate_tenant_from_slug(values.pop("tenant_slug"))

    if login:

        @bp.before_request
        def _require_login() -> Any:
            if g.get("tenant") is None:
                abort(404)
            if not current_user.is_authenticated:
                return redirect(url_for("identity.login", next=request.full_path.rstrip("?")))
            return None

    return bp


def api_blueprint(name: str, import_name: str, url_prefix: str, **kwargs: Any) -> Any:
    """A flask-smorest blueprint under /api/v1 whose every call needs a bearer token."""
    bp = flask_smorest.Blueprint(name, import_name, url_prefix="/api/v1" + url_prefix, **kwargs)
    bp.before_request(authenticate_api_request)
    csrf.exempt(bp)  # bearer tokens, not cookies: no cross-site forgery to guard against
    return bp


def authenticate_api_request() -> None:
    header = request.headers.get("Authorization", "")
    scheme, _sep, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        api_abort(401, message=_("Kaldet kræver en API-nøgle (Authorization: Bearer …)."))
    try:
        user = authenticate_token(secret.strip())
    except TokenRejected:
        api_abort(401, message=_("API-nøglen er ikke gyldig."))
    g.api_user = user
    # Make flask_login.current_user the token's user for the services.
    g._login_user = user


def init_app(app: Any) -> None:
    login_manager.init_app(app)
    login_manager.login_view = None

    @login_manager.unauthorized_handler
    def _unauthorized() -> Any:
        if request.path.startswith("/api/"):
            api_abort(401)
        if current_tenant() is not None:
            return redirect(url_for("identity.login", next=request.full_path.rstrip("?")))
        abort(401)

    # url_for fills in the active tenant for any endpoint under /<tenant_slug>/.
    @app.url_defaults
    def _tenant_slug_default(endpoint: str, values: dict[str, Any]) -> None:
        tenant = current_tenant()
        if (
            tenant is not None
            and "tenant_slug" not in values
            and current_app.url_map.is_endpoint_expecting(endpoint, "tenant_slug")
        ):
            values["tenant_slug"] = tenant.slug

"""The application factory."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, g, request
from flask_babel import format_date, format_decimal, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_smorest import Api

from . import api as api_conventions
from . import errors, health, i18n, logs, metrics, security, storage, textinput, views
from .components import home_url, load_components, panels_for
from .config import Settings
from .crypto import demo_key
from .db import db, engine_options
from .export import views as export_views
from .identity import account as identity_account
from .identity import admin as identity_admin
from .identity import api as identity_api
from .identity import auth
from .identity import saml_views as identity_saml_views
from .identity import views as identity_views
from .operator import views as operator_views
from .permissions import ROLE_LABELS, Action, Role
from .tenancy import current_tenant

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    # Everything a page loads is served by the app itself: no CDNs, no inline scripts.
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
    ),
}

# A year; no includeSubDomains: the platform cannot speak for its parent domain's other hosts.
HSTS = "max-age=31536000"


def role_names(roles: list[str]) -> str:
    return ", ".join(
        str(ROLE_LABELS[Role(r)]) if r in Role.__members__.values() else r for r in roles
    )


def create_app(env: Mapping[str, str] | None = None, **overrides: Any) -> Flask:
    """Build the app from environment variables (`env`, default os.environ).

    Raises ConfigError with a one-line message when required settings are missing.
    """
    settings = Settings.from_env(env)
    settings.require_runnable()
    app = Flask(__name__, instance_path=str(settings.instance_path))
    database_url = settings.database_url
    migration_url = settings.migration_database_url
    if database_url is None:
        from .embedded import ensure_embedded

        urls = ensure_embedded(settings.instance_path, settings.app_role)
        database_url, migration_url = urls.app_url, migration_url or urls.owner_url
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SQLALCHEMY_DATABASE_URI=database_url,
        SQLALCHEMY_ENGINE_OPTIONS=engine_options(settings, database_url),
        MIGRATION_DATABASE_URL=migration_url,
        AUTOPROCES_DEMO=settings.demo,
        AUTOPROCES_SETTINGS=settings,
        ENCRYPTION_KEYS=settings.encryption_keys
        or (demo_key(settings.instance_path) if settings.demo else ""),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=not settings.demo,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=not settings.demo,
        MAX_CONTENT_LENGTH=25 * 1024 * 1024,
        JSON_SORT_KEYS=False,
        API_TITLE="Autoproces API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={
            "info": {
                "description": (
                    "The REST API of Autoproces: the municipality's process register, its "
                    "comments, attachments and taxonomy. Every call needs a bearer token "
                    "(Administration → API-nøgler) and acts for that token's user in that "
                    "user's municipality. Errors have one shape: `code`, `status`, `message` "
                    "and, for bad input, `errors` naming each field. Messages are the "
                    "platform's own texts, in Danish, or English with `Accept-Language: en`."
                )
            },
            # The paths carry /api/v1: the API is served from the app's own origin.
            "servers": [{"url": "/", "description": "This Autoproces server"}],
            "security": [{"bearerAuth": []}],
            "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
        },
    )
    app.config.update(overrides)

    textinput.init_app(app)  # one rule for incoming text (platform/textinput.py)
    db.init_app(app)
    security.init_app(app, settings)
    storage.init_app(app, settings)
    i18n.init_app(app)
    auth.init_app(app)
    api = Api(app)
    errors.register_error_handlers(app)  # after Api: pages get HTML, /api/ gets JSON

    app.register_blueprint(views.bp)
    app.register_blueprint(health.bp)
    logs.init_app(app)  # a request id and one log line per request
    metrics.init_app(app)  # /metrics and what it counts
    app.register_blueprint(api_conventions.docs_bp)
    app.register_blueprint(identity_views.bp)
    identity_saml_views.init_app(app)
    app.register_blueprint(identity_admin.bp)
    app.register_blueprint(identity_admin.help_bp)
    app.register_blueprint(identity_account.bp)
    app.register_blueprint(export_views.bp)
    app.register_blueprint(operator_views.bp)
    api.register_blueprint(identity_api.bp)
    components = load_components()
    app.extensions["autoproces.components"] = components
    for component in components:
        component.init_app(app, api)
    operator_views.check_component_pages(app, components)
    # An item may name the action it needs: (endpoint, label[, action]).
    nav_items = [(*item, None)[:3] for c in components for item in c.nav_items]
    nav_items.append(("tenant_admin.index", _l("Administration"), Action.ADMINISTER))

    def visible_nav() -> list[tuple[str, Any]]:
        if not (current_tenant() and current_user.is_authenticated):
            return []
        return [
            (e, label) for e, label, need in nav_items if need is None or current_user.can(need)
        ]

    app.jinja_env.globals.update(
        get_locale=get_locale,
        format_date=format_date,
        format_datetime=i18n.format_when,  # one date-time format on every page
        format_decimal=format_decimal,
        role_names=role_names,
        tenant_home_url=home_url,  # a tenant's start page, contributed by a component
        panels=lambda slot: panels_for(components, slot),  # components' panels on a page
        admin_links=[link for c in components for link in c.admin_links],
    )

    @app.context_processor
    def _layout() -> dict[str, Any]:
        return {
            "tenant": current_tenant(),
            "nav_items": visible_nav(),
            "demo_mode": settings.demo,
        }

    @app.after_request
    def _finish(response: Response) -> Response:
        # One request, one transaction: kept on success, rolled back on any error. A commit
        # the database did not confirm is no success: the outage's 503, never a 2xx. Nothing
        # after the commit may read the database (the commit expires every loaded row).
        if response.status_code < 400:
            try:
                views.remember_tenant(response)
                db.session.commit()
            except errors.DATABASE_UNAVAILABLE as e:
                response = errors.database_unavailable(e)
        else:
            errors.rollback_quietly()
        for key, value in SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        if request.is_secure:  # behind a TLS proxy, is_secure needs AUTOPROCES_TRUSTED_PROXIES
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        if g.get("tenant") is not None or request.path.startswith("/api/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    app.wsgi_app = api_conventions.NoCookies(app.wsgi_app)  # type: ignore[method-assign]
    return app

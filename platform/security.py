"""Cross-cutting protection: CSRF on every form, rate limits, sessions behind proxies."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from flask import Flask, current_app, request, session
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def login_limit() -> str:
    from flask import current_app

    return current_app.config["LOGIN_RATE_LIMIT"]


def token_limit() -> str:
    from flask import current_app

    return current_app.config["TOKEN_RATE_LIMIT"]


def upload_limit() -> str:
    from flask import current_app

    return current_app.config["UPLOAD_RATE_LIMIT"]


def per_user() -> str:
    """A signed-in user's own budget: a municipality's staff often share one public address."""
    from flask import g
    from flask_login import current_user

    user = g.get("api_user") or (current_user if current_user.is_authenticated else None)
    if user is None:
        return get_remote_address()
    return f"user:{user.tenant_id}:{user.id}"


def init_app(app: Flask, settings: Any) -> None:
    app.config.setdefault("LOGIN_RATE_LIMIT", "30/minute")
    app.config.setdefault("UPLOAD_RATE_LIMIT", "200/hour")
    app.config.setdefault("TOKEN_RATE_LIMIT", "10/minute")
    app.config.setdefault("RATELIMIT_STORAGE_URI", settings.ratelimit_storage_uri)
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    # A shared store (Redis) that goes away must not take logins down with it: count in
    # memory until it is back, and log it, rather than answer 500.
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # tied to the session instead
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(minutes=settings.idle_timeout_minutes)
    app.config["SESSION_MAX_AGE"] = timedelta(hours=settings.session_max_hours)
    # Every request renews the signed cookie, so the lifetime is an idle timeout.
    app.config["SESSION_REFRESH_EACH_REQUEST"] = True
    csrf.init_app(app)
    limiter.init_app(app)
    if settings.trusted_proxies:
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)

    @app.errorhandler(CSRFError)
    def _csrf_error(e: CSRFError) -> Any:
        from flask_babel import gettext as _

        from .errors import html_error, json_error

        if request.path.startswith("/api/"):
            return json_error(400, e.description)
        return html_error(
            400, _("Formularen er udløbet eller ugyldig. Gå tilbage, genindlæs siden og prøv igen.")
        )

    @app.errorhandler(429)
    def _too_many(e: Any) -> Any:
        from flask_babel import gettext as _

        from .errors import html_error, json_error

        if request.path.startswith("/api/"):
            return json_error(429, "Too many requests; try again in a minute.")
        return html_error(429, _("Der er for mange forsøg lige nu. Vent et minut, og prøv igen."))


SIGNED_IN_AT = "signed_in_at"


def mark_signed_in() -> None:
    """Stamp the session with its sign-in time; `signed_in_too_long_ago` reads it."""
    session[SIGNED_IN_AT] = int(time.time())


def signed_in_too_long_ago() -> bool:
    """Past the absolute lifetime (SESSION_MAX_AGE), or with no sign-in time at all: the idle
    timeout alone would let a copied cookie that is used every hour live for ever."""
    started = session.get(SIGNED_IN_AT)
    if not isinstance(started, int):
        return True
    age = time.time() - started
    return not 0 <= age <= current_app.config["SESSION_MAX_AGE"].total_seconds()

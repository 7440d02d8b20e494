"""Login and logout pages of a municipality: its own identity provider (OIDC), and the
development login in demo mode."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import (
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from werkzeug.exceptions import BadRequest

from ..components import home_url
from ..crypto import EncryptionUnavailable
from ..db import db
from ..permissions import ROLE_LABELS
from ..security import limiter, login_limit, mark_signed_in
from ..tenancy import current_tenant
from ..urls import external_url
from . import oidc, saml
from .auth import tenant_blueprint
from .models import KOMBIT, OIDC, SAML, User
from .services import LoginRefused, end_sessions, get_idp, get_user, idp_client, people, sso_user

bp = tenant_blueprint("identity", __name__, login=False)
PENDING_KEY = "oidc_pending"
END_SESSION_KEY = "oidc_end_session"  # also SAML's LogoutRequest
SAML_SESSION_KEY = saml.SESSION_KEY


def safe_next(target: str | None) -> str | None:
    """Only local paths inside this tenant: never an open redirect."""
    tenant = current_tenant()
    if not target or tenant is None:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith(f"/{tenant.slug}/"):
        return None
    # A dot segment (also as %2e, which browsers resolve too) or a backslash would lead
    # out of the tenant's paths: `/alpha/..//evil.example` resolves to `//evil.example`.
    segments = unquote(parts.path).split("/")
    if "\\" in unquote(target) or "." in segments or ".." in segments:
        return None
    return target


def _callback_url() -> str:
    return external_url("identity.callback")


def start_session(user: User, id_token: str | None = None) -> None:
    """A fresh session for `user`: nothing from before the login carries over."""
    pending = session.get(PENDING_KEY)
    session.clear()
    if pending:
        session[PENDING_KEY] = pending
    session.permanent = True  # the idle timeout (PERMANENT_SESSION_LIFETIME) applies
    login_user(user)
    mark_signed_in()
    if id_token:
        session["id_token"] = id_token


@bp.get("/login")
@limiter.limit(login_limit)
def login() -> Any:
    tenant = current_tenant()
    next_url = safe_next(request.args.get("next"))
    if current_user.is_authenticated and next_url:
        return redirect(next_url)
    idp = get_idp(tenant)
    if current_app.config["AUTOPROCES_DEMO"] and request.args.get("sso") != "1":
        users = [u for u in people(tenant) if u.active]
        return render_template(
            "identity/dev_login.html",
            users=users,
            next_url=next_url,
            role_labels=ROLE_LABELS,
            has_idp=idp is not None,
        )
    if idp is None:
        return render_template("identity/login_unavailable.html"), 503
    if idp.protocol in (SAML, KOMBIT):
        from .saml_views import begin_login

        return begin_login(tenant, idp, next_url or home_url())
    url = oidc.begin(
        idp_client(idp),
        _callback_url(),
        PENDING_KEY,
        {"tenant": str(tenant.id), "next": next_url or home_url()},
    )
    return redirect(url)


@bp.get("/auth/callback")
@limiter.limit(login_limit)
def callback() -> Any:
    tenant = current_tenant()
    idp = get_idp(tenant)
    if idp is None or idp.protocol != OIDC:
        raise oidc.CallbackRejected("no OpenID provider configured")
    claims, id_token, context = oidc.complete(
        idp_client(idp), _callback_url(), PENDING_KEY, request.args.to_dict()
    )
    if context.get("tenant") != str(tenant.id):
        raise oidc.CallbackRejected("the login was started for another municipality")
    user = sso_user(tenant, idp, claims)
    db.session.flush()
    start_session(user, id_token)
    return redirect(safe_next(context.get("next")) or home_url())


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
    if not user.active or user.is_service:
        raise BadRequest()
    start_session(user)
    flash(_("Du er logget ind som %(name)s.", name=user.name), "success")
    return redirect(safe_next(request.form.get("next")) or home_url())


@bp.post("/logout")
def logout() -> Any:
    """End the session here (every copy of its cookie too), then at the provider.

    The page's CSP (`form-action 'self'`) also covers redirects after a form's POST, so the
    provider's end-session address is never the answer to this POST: a 303 to our own page,
    which then goes on to the provider by an ordinary navigation (meta refresh and a link).
    """
    id_token = session.get("id_token")
    saml_session = session.get(SAML_SESSION_KEY)
    was_logged_in = current_user.is_authenticated
    if was_logged_in:
        end_sessions(current_user._get_current_object())
    logout_user()
    session.clear()
    idp = get_idp(current_tenant()) if was_logged_in else None
    if idp is not None and idp.protocol in (SAML, KOMBIT):
        from .saml_views import logout_target

        target = logout_target(saml_session, current_tenant()) if saml_session else None
        if target:
            session[END_SESSION_KEY] = target
            return redirect(url_for("identity.provider_logout"), 303)
        return redirect(url_for("identity.logged_out"), 303)
    return oidc.leave_provider(
        idp_client(idp) if idp is not None else None,
        id_token,
        END_SESSION_KEY,
        "identity.provider_logout",
        "identity.logged_out",
    )


@bp.get("/log-ud-hos-udbyder")
def provider_logout() -> Any:
    """The hop to the provider's end-session endpoint (a navigation the CSP allows)."""
    target = session.pop(END_SESSION_KEY, None)
    if not target:
        return redirect(url_for("identity.logged_out"))
    return render_template("identity/provider_logout.html", target=target)


@bp.get("/logget-ud")
def logged_out() -> Any:
    return render_template("identity/logged_out.html")


@bp.errorhandler(oidc.ProviderUnavailable)
def _provider_unavailable(e: oidc.ProviderUnavailable) -> Any:
    current_app.logger.warning("OIDC provider unavailable for %s: %s", current_tenant().slug, e)
    return render_template(
        "identity/login_error.html",
        title=_("Log-in er ikke tilgængelig lige nu"),
        message=_("Kommunens log-in-løsning svarer ikke. Prøv igen om lidt."),
    ), 503


@bp.errorhandler(oidc.CallbackRejected)
def _callback_rejected(e: oidc.CallbackRejected) -> Any:
    current_app.logger.warning("OIDC callback rejected for %s: %s", current_tenant().slug, e)
    return render_template(
        "identity/login_error.html",
        title=_("Log-in kunne ikke gennemføres"),
        message=_("Log-in-forsøget er udløbet eller ugyldigt. Start forfra."),
        retry=True,
    ), 400


@bp.errorhandler(LoginRefused)
def _login_refused(e: LoginRefused) -> Any:
    return render_template(
        "identity/login_error.html", title=_("Du har ikke adgang"), message=str(e)
    ), 403


@bp.errorhandler(EncryptionUnavailable)
def _no_key(e: EncryptionUnavailable) -> Any:
    current_app.logger.error("Cannot read the identity provider's secret: %s", e)
    return render_template(
        "identity/login_error.html",
        title=_("Log-in er ikke tilgængelig lige nu"),
        message=_("Log-in er ikke sat korrekt op. Kontakt kommunens administrator."),
    ), 503

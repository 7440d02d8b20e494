"""SAML sign-in pages: the platform's KOMBIT connection under /saml/ (one service provider
for every municipality; the assertion's CVR number picks the municipality) and a
municipality's own SAML provider under /<slug>/saml/. Each serves its SP metadata, its
assertion consumer service and its single logout service."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import logout_user

from ..components import home_url
from ..db import db
from ..security import csrf, limiter, login_limit
from ..tenancy import Tenant, activate_tenant, current_tenant, tenant_by_cvr, tenant_by_slug
from ..urls import base_url, external_url
from . import saml
from .auth import tenant_blueprint
from .models import KOMBIT, SAML, TenantIdp, User
from .services import LoginRefused, end_sessions, get_idp, saml_user

platform_bp = Blueprint("saml", __name__, url_prefix="/saml")
bp = tenant_blueprint("tenant_saml", __name__, url_prefix="/saml", login=False)
SESSION_KEY = saml.SESSION_KEY


@lru_cache(maxsize=8)
def _read_metadata(path: str, mtime: float) -> str:
    return Path(path).read_text()


def kombit_sp(idp_metadata: str = "", min_loa: str = "Substantial") -> saml.Connection:
    """The platform's one KOMBIT SP: its entity ID (configurable), ACS and SLO."""
    settings = current_app.config["AUTOPROCES_SETTINGS"]
    return saml.Connection(
        key=KOMBIT,
        entity_id=settings.saml_entity_id or external_url("saml.metadata"),
        acs_url=external_url("saml.acs"),
        slo_url=external_url("saml.slo"),
        idp_metadata=idp_metadata,
        kombit=True,
        min_loa=min_loa,
    )


def kombit_connection(min_loa: str = "Substantial") -> saml.Connection:
    path = current_app.config["AUTOPROCES_SETTINGS"].kombit_metadata_file
    if not path or not Path(path).is_file():
        raise saml.SamlUnavailable("AUTOPROCES_KOMBIT_METADATA_FILE is not set or missing")
    return kombit_sp(_read_metadata(str(path), Path(path).stat().st_mtime), min_loa)


def kombit_role_prefix() -> str:
    settings = current_app.config["AUTOPROCES_SETTINGS"]
    if settings.kombit_role_prefix:
        return settings.kombit_role_prefix
    return f"http://{urlsplit(base_url()).hostname}/roles/usersystemrole/"


def tenant_sp(tenant: Tenant, idp_metadata: str = "", **kw: Any) -> saml.Connection:
    """The municipality's own SP: its addresses are its entity ID, ACS and SLO."""
    return saml.Connection(
        key=str(tenant.id),
        entity_id=external_url("tenant_saml.metadata", tenant_slug=tenant.slug),
        acs_url=external_url("tenant_saml.acs", tenant_slug=tenant.slug),
        slo_url=external_url("tenant_saml.slo", tenant_slug=tenant.slug),
        idp_metadata=idp_metadata,
        **kw,
    )


def tenant_connection(tenant: Tenant, idp: TenantIdp) -> saml.Connection:
    if idp.protocol != SAML or not idp.saml_metadata:
        raise saml.SamlUnavailable("the municipality has no SAML provider")
    return tenant_sp(
        tenant,
        idp.saml_metadata,
        extra_certs=tuple(idp.saml_certificates or ()),
        min_loa=idp.min_loa,
    )


def connection_for(tenant: Tenant, idp: TenantIdp) -> saml.Connection:
    return (
        kombit_connection(idp.min_loa) if idp.protocol == KOMBIT else tenant_connection(tenant, idp)
    )


def begin_login(tenant: Tenant, idp: TenantIdp, next_url: str | None) -> Any:
    """The login page's answer for a SAML municipality: off to the provider."""
    location, pending = saml.begin(
        connection_for(tenant, idp), {"tenant": str(tenant.id), "next": next_url or ""}
    )
    response = redirect(location)
    saml.set_pending_cookie(response, pending)
    return response


def _signed_in(user: User, assertion: saml.Assertion, request_id: str, conn_key: str) -> Any:
    from .views import safe_next, start_session

    db.session.flush()
    start_session(user)
    session[SESSION_KEY] = {
        "conn": conn_key,
        "tenant": str(user.tenant_id),
        "user": str(user.id),
        "name_id": assertion.name_id,
        "session_index": assertion.session_index,
    }
    started_here = assertion.context.get("tenant") == str(user.tenant_id)
    target = (safe_next(assertion.context.get("next")) if started_here else None) or home_url()
    response = redirect(target, 303)
    pending = saml.pending_logins()
    pending.pop(request_id, None)
    saml.set_pending_cookie(response, pending)
    return response


# --- The platform's KOMBIT connection ----------------------------------------------------


@platform_bp.get("/metadata")
def metadata() -> Any:
    # Served before the Context Handler's metadata is configured: KOMBIT registers it first.
    return _metadata_response(kombit_sp())


@platform_bp.get("/login")
@limiter.limit(login_limit)
def login() -> Any:
    """KOMBIT sign-in with no municipality in view: the CVR number will say which."""
    location, pending = saml.begin(kombit_connection(), {"next": ""})
    response = redirect(location)
    saml.set_pending_cookie(response, pending)
    return response


@platform_bp.post("/acs")
@csrf.exempt  # the provider's cross-site POST; the signed assertion is the proof
@limiter.limit(login_limit)
def acs() -> Any:
    conn = kombit_connection()
    assertion, request_id = saml.complete(conn, request.form.get("SAMLResponse", ""))
    cvr = saml.assertion_cvr(assertion)
    tenant = tenant_by_cvr(cvr)
    if tenant is None:
        raise LoginRefused(
            _("Kommunen med CVR-nummer %(cvr)s bruger ikke Autoproces.", cvr=cvr or "–")
        )
    if not tenant.is_active:
        raise LoginRefused(_("%(tenant)s er lukket for log-in lige nu.", tenant=tenant.name))
    activate_tenant(tenant)
    idp = get_idp(tenant)
    if idp is None or idp.protocol != KOMBIT:
        raise LoginRefused(
            _("%(tenant)s logger ikke ind gennem KOMBIT i Autoproces.", tenant=tenant.name)
        )
    user = saml_user(tenant, idp, assertion, kombit_role_prefix())
    return _signed_in(user, assertion, request_id, KOMBIT)


@platform_bp.get("/slo")
def slo() -> Any:
    return _single_logout(kombit_connection(), request.args.get("RelayState", ""))


# --- A municipality's own SAML provider ---------------------------------------------------


def _own_connection() -> saml.Connection:
    tenant = current_tenant()
    idp = get_idp(tenant)
    if idp is None or idp.protocol != SAML:
        raise saml.SamlUnavailable("the municipality has no SAML provider")
    return tenant_connection(tenant, idp)


@bp.get("/metadata", endpoint="metadata")
def tenant_metadata() -> Any:
    # Served before a provider is chosen: the IT department registers it first.
    return _metadata_response(tenant_sp(current_tenant()))


@bp.post("/acs", endpoint="acs")
@csrf.exempt
@limiter.limit(login_limit)
def tenant_acs() -> Any:
    tenant = current_tenant()
    conn = _own_connection()
    assertion, request_id = saml.complete(conn, request.form.get("SAMLResponse", ""))
    user = saml_user(tenant, get_idp(tenant), assertion)
    return _signed_in(user, assertion, request_id, conn.key)


@bp.get("/slo", endpoint="slo")
def tenant_slo() -> Any:
    return _single_logout(_own_connection(), current_tenant().slug)


# --- Shared ---------------------------------------------------------------------------


def _metadata_response(conn: saml.Connection) -> Any:
    return Response(saml.sp_metadata(conn), mimetype="application/samlmetadata+xml")


def logout_target(saved: dict[str, Any], tenant: Tenant) -> str | None:
    """Where the provider ends its session too (a signed LogoutRequest), or None."""
    try:
        idp = get_idp(tenant)
        if idp is None:
            return None
        conn = connection_for(tenant, idp)
        # The LogoutResponse comes back to our SLO: RelayState names the municipality.
        return saml.logout_url(
            conn, saved.get("name_id") or {}, saved.get("session_index"), tenant.slug
        )
    except Exception as e:  # the session here has ended anyway: never a 500 at logout
        current_app.logger.warning("No SAML logout at the provider: %s", e)
        return None


def _end_saved_session(saved: dict[str, Any]) -> None:
    """End the browser's session the provider's LogoutRequest names (at /saml/slo no
    municipality is in the URL: the session says which)."""
    import uuid

    try:
        tenant = db.session.get(Tenant, uuid.UUID(saved.get("tenant", "")))
        user_id = uuid.UUID(saved.get("user", ""))
    except ValueError:
        tenant = None
    if tenant is not None:
        activate_tenant(tenant)
        user = db.session.get(User, (tenant.id, user_id))
        if user is not None:
            end_sessions(user)
    logout_user()
    session.clear()


def _single_logout(conn: saml.Connection, slug: str) -> Any:
    """The provider's LogoutResponse to our request, or its own LogoutRequest."""
    if "SAMLResponse" in request.args:
        saml.logout_response_ok(conn, request.args.to_dict())
    elif "SAMLRequest" in request.args:
        name_id, location = saml.idp_logout_request(conn, request.args.to_dict())
        saved = session.get(SESSION_KEY) or {}
        if saved.get("conn") == conn.key and (saved.get("name_id") or {}).get("text") == name_id:
            _end_saved_session(saved)
        return redirect(location)
    else:
        raise saml.SamlRejected("neither a logout request nor a response")
    tenant = tenant_by_slug(slug) if slug else None
    if tenant is not None and tenant.is_active:
        return redirect(url_for("identity.logged_out", tenant_slug=tenant.slug))
    return render_template(
        "identity/login_error.html",
        title=_("Du er logget ud"),
        message=_("Du er logget ud af Autoproces og af log-in-løsningen."),
    )


def _error_page(title: str, message: str, status: int) -> Any:
    tenant = current_tenant()
    retry_url = url_for("identity.login", tenant_slug=tenant.slug) if tenant else None
    return render_template(
        "identity/login_error.html",
        title=title,
        message=message,
        retry=status == 400 and retry_url is not None,
        retry_url=retry_url,
    ), status


def _rejected(e: saml.SamlRejected) -> Any:
    current_app.logger.warning("SAML answer rejected: %s", e)
    return _error_page(
        _("Log-in kunne ikke gennemføres"),
        _("Svaret fra log-in-løsningen er ugyldigt, udløbet eller allerede brugt. Start forfra."),
        400,
    )


def _unavailable(e: saml.SamlUnavailable) -> Any:
    current_app.logger.error("SAML sign-in unavailable: %s", e)
    return _error_page(
        _("Log-in er ikke tilgængelig lige nu"),
        _("Log-in er ikke sat korrekt op. Kontakt kommunens administrator."),
        503,
    )


def _refused(e: LoginRefused) -> Any:
    return _error_page(_("Du har ikke adgang"), str(e), 403)


def init_app(app: Any) -> None:
    app.register_blueprint(platform_bp)
    app.register_blueprint(bp)
    app.register_error_handler(saml.SamlRejected, _rejected)
    app.register_error_handler(saml.SamlUnavailable, _unavailable)
    app.register_error_handler(LoginRefused, _refused)

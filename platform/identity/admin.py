"""The municipality administrator's pages: identity provider, role mapping, users, API tokens."""

from __future__ import annotations

import uuid
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..errors import Invalid
from ..permissions import ACTION_LABELS, PERMISSIONS, ROLE_LABELS, Action, Role
from ..security import limiter, token_limit
from ..tenancy import current_tenant
from . import oidc
from .auth import require, tenant_blueprint
from .services import (
    create_token,
    get_idp,
    get_user,
    idp_form_values,
    list_tokens,
    list_users,
    parse_role_mapping,
    revoke_token,
    save_idp,
    set_user_active,
    set_user_roles,
)

bp = tenant_blueprint("tenant_admin", __name__, url_prefix="/admin")
help_bp = tenant_blueprint("help", __name__, url_prefix="/hjaelp")

ROLES_SOURCE_LABELS = {
    "mapping": _l("Fra log-in-løsningen"),
    "default": _l("Standardrolle"),
    "manual": _l("Sat af administrator"),
}


@bp.before_request
def _administrators_only() -> None:
    if current_user.is_authenticated:
        require(current_user, Action.ADMINISTER)


@bp.get("/")
def index() -> Any:
    return render_template("admin/index.html")


def connection_report(issuer: str) -> dict[str, Any]:
    """What "Test forbindelse" found at the issuer's discovery document."""
    try:
        doc = oidc.discover(issuer.strip(), use_cache=False)
    except oidc.ProviderUnavailable as e:
        return {"ok": False, "error": str(e)}
    return {
        "ok": True,
        "issuer": doc["issuer"],
        "authorization_endpoint": doc["authorization_endpoint"],
        "token_endpoint": doc["token_endpoint"],
        "userinfo_endpoint": doc.get("userinfo_endpoint"),
        "end_session_endpoint": doc.get("end_session_endpoint"),
        "pkce": "S256" in doc.get("code_challenge_methods_supported", []),
        "scopes": doc.get("scopes_supported", []),
        "claims": doc.get("claims_supported", []),
    }


@bp.route("/log-in", methods=["GET", "POST"])
def identity_provider() -> Any:
    tenant = current_tenant()
    idp = get_idp(tenant)
    form = idp_form_values(idp)
    errors: dict[str, list[str]] = {}
    report = None
    status = 200
    if request.method == "POST":
        form = {k: v for k, v in request.form.items() if k != "csrf_token"}
        if request.form.get("action") == "test":
            issuer = form.get("issuer", "").strip() or (idp.issuer if idp else "")
            report = (
                connection_report(issuer)
                if issuer
                else {"ok": False, "error": _("Skriv udstederens adresse først.")}
            )
        else:
            try:
                save_idp(
                    tenant,
                    issuer=form.get("issuer", ""),
                    client_id=form.get("client_id", ""),
                    client_secret=form.get("client_secret") or None,
                    scopes=form.get("scopes", ""),
                    role_claim=form.get("role_claim", ""),
                    role_mapping=parse_role_mapping(form.get("role_mapping", "")),
                    default_role=form.get("default_role") or None,
                    allowed_domains=form.get("allowed_domains", "").replace(",", "\n").split(),
                )
            except Invalid as e:
                errors, status = e.errors, 422
            else:
                flash(_("Log-in-indstillingerne er gemt."), "success")
                return redirect(url_for("tenant_admin.identity_provider"))
    form.pop("client_secret", None)  # a secret is never shown again
    return render_template(
        "admin/identity_provider.html",
        idp=idp,
        form=form,
        errors=errors,
        report=report,
        role_labels=ROLE_LABELS,
        callback_url=url_for("identity.callback", _external=True),
        logged_out_url=url_for("identity.logged_out", _external=True),
    ), status


@bp.get("/brugere")
def users() -> Any:
    return render_template(
        "admin/users.html",
        users=list_users(current_tenant()),
        role_labels=ROLE_LABELS,
        source_labels=ROLES_SOURCE_LABELS,
    )


@bp.post("/brugere/<uuid:user_id>/aktiv")
def set_active(user_id: uuid.UUID) -> Any:
    active = request.form.get("active") == "1"
    if user_id == current_user.id and not active:
        flash(_("Du kan ikke deaktivere dig selv."), "info")
        return redirect(url_for("tenant_admin.users"))
    user = set_user_active(current_tenant(), user_id, active)
    if active:
        flash(_("%(name)s er aktiveret.", name=user.name), "success")
    else:
        flash(_("%(name)s er deaktiveret.", name=user.name), "success")
    return redirect(url_for("tenant_admin.users"))


@bp.post("/brugere/<uuid:user_id>/roller")
def set_roles(user_id: uuid.UUID) -> Any:
    user = set_user_roles(current_tenant(), user_id, request.form.getlist("roles"))
    flash(_("Rollerne for %(name)s er gemt.", name=user.name), "success")
    return redirect(url_for("tenant_admin.users"))


@bp.errorhandler(Invalid)
def _invalid(e: Invalid) -> Any:
    return render_template(
        "errors/error.html",
        status=422,
        title=_("Oplysningerne kunne ikke gemmes"),
        message=e.message,
    ), 422


@bp.get("/noegler")
def tokens() -> Any:
    return _tokens_page()


def _tokens_page(secret: str | None = None, status: int = 200) -> Any:
    tenant = current_tenant()
    users_by_id = {u.id: u for u in list_users(tenant)}
    return render_template(
        "admin/tokens.html",
        tokens=list_tokens(tenant),
        users=[u for u in users_by_id.values() if u.active],
        users_by_id=users_by_id,
        secret=secret,
    ), status


@bp.post("/noegler")
@limiter.limit(token_limit)
def create_api_token() -> Any:
    tenant = current_tenant()
    try:
        owner = get_user(tenant, uuid.UUID(request.form.get("user_id", str(current_user.id))))
    except ValueError:
        owner = current_user
    if not owner.active:
        raise Invalid(_("Brugeren er deaktiveret."))
    _token, secret = create_token(owner, request.form.get("name", ""))
    # Shown once, on this response; never stored or shown again.
    return _tokens_page(secret=secret, status=201)


@bp.post("/noegler/<uuid:token_id>/tilbagekald")
def revoke_api_token(token_id: uuid.UUID) -> Any:
    revoke_token(current_tenant(), token_id)
    flash(_("Nøglen er tilbagekaldt."), "success")
    return redirect(url_for("tenant_admin.tokens"))


@help_bp.get("/roller")
def roles() -> Any:
    return render_template(
        "admin/roles_help.html",
        roles=list(Role),
        actions=list(Action),
        permissions=PERMISSIONS,
        role_labels=ROLE_LABELS,
        action_labels=ACTION_LABELS,
    )

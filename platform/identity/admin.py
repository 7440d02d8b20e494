"""The municipality administrator's pages: identity provider, role mapping, users, API tokens."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .. import audit
from ..components import audit_labels
from ..crypto import EncryptionUnavailable, decrypt, encrypt
from ..errors import Invalid
from ..pagination import page_number
from ..permissions import ACTION_LABELS, PERMISSIONS, ROLE_LABELS, Action, Role
from ..security import limiter, token_limit
from ..tenancy import current_tenant
from ..urls import external_url
from . import oidc
from .auth import require, tenant_blueprint
from .invitations import invite, list_invitations, revoke_invitation
from .labels import (
    AUDIT_ACTION_LABELS,
    IDP_FIELD_LABELS,
    INVITATION_FIELD_LABELS,
    INVITATION_STATUS_LABELS,
    ROLES_SOURCE_LABELS,
    actor_label,
    describe,
)
from .models import KOMBIT, OIDC, SAML, User
from .services import (
    create_service_account,
    find_users,
    get_idp,
    get_user,
    idp_form_values,
    issue_token,
    list_tokens,
    list_users,
    parse_role_mapping,
    revoke_token,
    save_idp,
    save_kombit,
    save_saml_idp,
    set_user_active,
    set_user_roles,
    split_certificates,
)

bp = tenant_blueprint("tenant_admin", __name__, url_prefix="/admin")
help_bp = tenant_blueprint("help", __name__, url_prefix="/hjaelp")

TOKEN_FIELD_LABELS = {
    "name": _l("Hvad bruges nøglen til?"),
    "user_id": _l("Nøglen handler som"),
    "service_name": _l("Tjenestekontoens navn"),
    "service_roles": _l("Tjenestekontoens roller"),
}


@bp.before_request
def _administrators_only() -> None:
    if current_user.is_authenticated:
        require(current_user, Action.ADMINISTER)


def _actor() -> User:
    return current_user._get_current_object()


def _page_number() -> int:
    return page_number(request.args.get("side"))


@bp.get("/")
def index() -> Any:
    return render_template("admin/index.html")


def _failure_text(e: oidc.ProviderUnavailable, issuer: str) -> str:
    """What went wrong at the discovery document, in plain Danish."""
    if e.reason == "timeout":
        return _(
            "%(issuer)s svarede ikke inden for få sekunder. Prøv igen, eller tjek adressen.",
            issuer=issuer,
        )
    if e.reason == "http_status" and e.detail == "404":
        return _(
            "Der er ingen OpenID-konfiguration på %(issuer)s (siden findes ikke). "
            "Tjek, at adressen er udstederens, fx med /v2.0 til sidst for Microsoft Entra ID.",
            issuer=issuer,
        )
    if e.reason == "http_status":
        return _("%(issuer)s svarede med fejl %(status)s.", issuer=issuer, status=e.detail)
    if e.reason == "not_json":
        return _("Svaret fra %(issuer)s er ikke en OpenID-konfiguration.", issuer=issuer)
    if e.reason == "wrong_issuer":
        return _(
            "Konfigurationen oplyser en anden udsteder: %(found)s. Skriv den adresse i feltet.",
            found=e.detail or "–",
        )
    if e.reason == "missing":
        return _("Konfigurationen mangler %(key)s.", key=e.detail)
    return _("%(issuer)s kan ikke nås. Tjek adressen, og at serveren må nå den.", issuer=issuer)


def connection_report(issuer: str) -> dict[str, Any]:
    """What "Test forbindelse" found at the issuer's discovery document."""
    issuer = issuer.strip()
    try:
        doc = oidc.discover(issuer, use_cache=False)
    except oidc.ProviderUnavailable as e:
        return {"ok": False, "error": _failure_text(e, issuer)}
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


def _typed_secret(tenant_id: Any) -> str | None:
    """The secret typed now, or the one typed before a test or an error and carried in the
    form encrypted (the page never shows it); None keeps the stored one."""
    typed = request.form.get("client_secret", "")
    if typed.strip():
        return typed.strip()
    pending = request.form.get("pending_secret", "")
    if pending:
        try:
            bound_to, _sep, secret = decrypt(pending).partition(":")
        except EncryptionUnavailable:
            return None
        if bound_to == str(tenant_id) and secret:
            return secret
    return None


@bp.route("/log-in", methods=["GET", "POST"])
def identity_provider() -> Any:
    tenant = current_tenant()
    idp = get_idp(tenant)
    form = idp_form_values(idp)
    errors: dict[str, list[str]] = {}
    report = None
    status = 200
    pending_secret = ""
    if request.method == "POST":
        form = {k: v for k, v in request.form.items() if k not in ("csrf_token", "pending_secret")}
        secret = _typed_secret(tenant.id)
        if request.form.get("action") == "test":
            issuer = form.get("issuer", "").strip() or (idp.issuer if idp else "")
            report = (
                connection_report(issuer)
                if issuer
                else {"ok": False, "error": _("Skriv udstederens adresse først.")}
            )
        else:
            mapping_errors: dict[str, list[str]] = {}
            try:
                mapping = parse_role_mapping(form.get("role_mapping", ""))
            except Invalid as e:
                mapping, mapping_errors = {}, e.errors
            try:
                _save_provider(tenant, form, secret, mapping)
                if mapping_errors:  # the 422 rolls back what was saved
                    raise Invalid(_("Indstillingerne kunne ikke gemmes."), {})
            except Invalid as e:
                errors, status = {**e.errors, **mapping_errors} or {"form": [e.message]}, 422
            else:
                flash(_("Log-in-indstillingerne er gemt."), "success")
                return redirect(url_for("tenant_admin.identity_provider"))
        if secret is not None:
            try:
                pending_secret = encrypt(f"{tenant.id}:{secret}")
            except EncryptionUnavailable:
                pending_secret = ""
    form.pop("client_secret", None)  # a secret is never shown again
    form.pop("saml_metadata", None)  # stored as uploaded; the page names its entity ID
    return render_template(
        "admin/identity_provider.html",
        saml_info=saml_connection_info(tenant),
        idp=idp,
        form=form,
        errors=errors,
        field_labels=IDP_FIELD_LABELS,
        report=report,
        pending_secret=pending_secret,
        role_labels=ROLE_LABELS,
        callback_url=external_url("identity.callback"),
        logged_out_url=external_url("identity.logged_out"),
    ), status


MAX_METADATA_BYTES = 2 * 1024 * 1024


def uploaded_metadata(form: dict[str, str]) -> str | None:
    """The metadata file of the request (field saml_metadata_file), else the pasted text."""
    upload = request.files.get("saml_metadata_file")
    if upload is not None and upload.filename:
        data = upload.read(MAX_METADATA_BYTES + 1)
        try:
            return data.decode("utf-8") if len(data) <= MAX_METADATA_BYTES else "<too-large/>"
        except UnicodeDecodeError:
            return "<not-utf-8/>"  # named as unusable metadata by the service
    return form.get("saml_metadata", "").strip() or None


def _save_provider(
    tenant: Any, form: dict[str, str], secret: str | None, mapping: dict[str, str]
) -> None:
    """The form's provider, by the protocol chosen on it."""
    common = {
        "role_mapping": mapping,
        "default_role": form.get("default_role") or None,
        "allowed_domains": form.get("allowed_domains", "").replace(",", "\n").split(),
        "actor": _actor(),
    }
    protocol = form.get("protocol") or OIDC
    if protocol == SAML:
        save_saml_idp(
            tenant,
            metadata=uploaded_metadata(form),
            metadata_url=form.get("saml_metadata_url", ""),
            certificates=split_certificates(form.get("saml_certificates", "")),
            role_claim=form.get("role_claim", ""),
            min_loa=form.get("min_loa", ""),
            **common,
        )
    elif protocol == KOMBIT:
        save_kombit(tenant, min_loa=form.get("min_loa", ""), **common)
    elif protocol == OIDC:
        save_idp(
            tenant,
            issuer=form.get("issuer", ""),
            client_id=form.get("client_id", ""),
            client_secret=secret,
            scopes=form.get("scopes", ""),
            role_claim=form.get("role_claim", ""),
            **common,
        )
    else:
        message = _("Vælg en log-in-løsning.")
        raise Invalid(message, {"protocol": [message]})


def saml_connection_info(tenant: Any) -> dict[str, Any]:
    """What the municipality's IT department registers at its provider or at KOMBIT."""
    from .saml_views import kombit_role_prefix

    settings = current_app.config["AUTOPROCES_SETTINGS"]
    prefix = kombit_role_prefix()
    return {
        "own_metadata_url": external_url("tenant_saml.metadata", tenant_slug=tenant.slug),
        "own_acs_url": external_url("tenant_saml.acs", tenant_slug=tenant.slug),
        "own_slo_url": external_url("tenant_saml.slo", tenant_slug=tenant.slug),
        "kombit_entity_id": settings.saml_entity_id or external_url("saml.metadata"),
        "kombit_metadata_url": external_url("saml.metadata"),
        "kombit_roles": [(f"{prefix}{role.value}/1", ROLE_LABELS[role]) for role in Role],
        "cvr": tenant.cvr,
    }


def _users_page(
    errors: dict[str, list[str]] | None = None, error_user: Any = None, status: int = 200
) -> Any:
    q = request.values.get("q", "").strip()[:200]
    return render_template(
        "admin/users.html",
        page=find_users(current_tenant(), q, _page_number()),
        q=q,
        errors=errors or {},
        error_user=error_user,
        role_labels=ROLE_LABELS,
        source_labels=ROLES_SOURCE_LABELS,
    ), status


@bp.get("/brugere")
def users() -> Any:
    return _users_page()


def _back_to_users() -> Any:
    # Back to the page and search the administrator came from.
    args = {k: v for k in ("q", "side") if (v := request.values.get(k))}
    return redirect(url_for("tenant_admin.users", **args))


@bp.post("/brugere/<uuid:user_id>/aktiv")
def set_active(user_id: uuid.UUID) -> Any:
    active = request.form.get("active") == "1"
    if user_id == current_user.id and not active:
        flash(_("Du kan ikke deaktivere dig selv."), "info")
        return _back_to_users()
    user = set_user_active(current_tenant(), user_id, active, actor=_actor())
    if active:
        flash(_("%(name)s er aktiveret.", name=user.name), "success")
    else:
        flash(_("%(name)s er deaktiveret.", name=user.name), "success")
    return _back_to_users()


@bp.post("/brugere/<uuid:user_id>/roller")
def set_roles(user_id: uuid.UUID) -> Any:
    try:
        user = set_user_roles(
            current_tenant(), user_id, request.form.getlist("roles"), actor=_actor()
        )
    except Invalid as e:
        # Shown on the users page, at the user's row and in the summary.
        return _users_page(e.errors, user_id, 422)
    flash(_("Rollerne for %(name)s er gemt.", name=user.name), "success")
    return _back_to_users()


def _invitations_page(
    errors: dict[str, list[str]] | None = None,
    form: dict[str, Any] | None = None,
    status: int = 200,
) -> Any:
    return render_template(
        "admin/invitations.html",
        invitations=list_invitations(current_tenant()),
        now=datetime.now(UTC),
        errors=errors or {},
        form=form or {},
        field_labels=INVITATION_FIELD_LABELS,
        status_labels=INVITATION_STATUS_LABELS,
        role_labels=ROLE_LABELS,
        actor_label=actor_label,
    ), status


@bp.get("/invitationer")
def invitations() -> Any:
    return _invitations_page()


@bp.post("/invitationer")
def create_invitation() -> Any:
    form = {"email": request.form.get("email", ""), "roles": request.form.getlist("roles")}
    try:
        invitation = invite(current_tenant(), form["email"], form["roles"], actor=_actor())
    except Invalid as e:
        return _invitations_page(e.errors, form, 422)
    flash(_("Invitationen er sendt til %(email)s.", email=invitation.email), "success")
    return redirect(url_for("tenant_admin.invitations"))


@bp.post("/invitationer/<uuid:invitation_id>/tilbagekald")
def revoke_user_invitation(invitation_id: uuid.UUID) -> Any:
    try:
        invitation = revoke_invitation(current_tenant(), invitation_id, actor=_actor())
    except Invalid as e:
        return _invitations_page(e.errors, status=422)
    flash(_("Invitationen til %(email)s er tilbagekaldt.", email=invitation.email), "success")
    return redirect(url_for("tenant_admin.invitations"))


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


def _tokens_page(
    secret: str | None = None,
    status: int = 200,
    errors: dict[str, list[str]] | None = None,
    form: dict[str, Any] | None = None,
) -> Any:
    tenant = current_tenant()
    users_by_id = {u.id: u for u in list_users(tenant)}
    services_accounts = [u for u in users_by_id.values() if u.is_service and u.active]
    return render_template(
        "admin/tokens.html",
        tokens=list_tokens(tenant),
        owners=[current_user, *services_accounts],
        users_by_id=users_by_id,
        secret=secret,
        errors=errors or {},
        form=form or {},
        field_labels=TOKEN_FIELD_LABELS,
        role_labels=ROLE_LABELS,
    ), status


@bp.post("/noegler")
@limiter.limit(token_limit)
def create_api_token() -> Any:
    tenant = current_tenant()
    form = {"name": request.form.get("name", ""), "user_id": request.form.get("user_id", "")}
    try:
        owner = get_user(tenant, uuid.UUID(form["user_id"])) if form["user_id"] else _actor()
    except ValueError:
        message = _("Vælg, hvem nøglen handler som.")
        return _tokens_page(status=422, errors={"user_id": [message]}, form=form)
    _token, secret = issue_token(_actor(), owner, form["name"])
    # Shown once, on this response; never stored or shown again.
    return _tokens_page(secret=secret, status=201)


@bp.post("/tjenestekonti")
def create_service() -> Any:
    form = {"service_name": request.form.get("service_name", "")}
    try:
        account = create_service_account(
            current_tenant(),
            form["service_name"],
            request.form.getlist("service_roles") or [Role.EMPLOYEE.value],
            _actor(),
        )
    except Invalid as e:
        return _tokens_page(status=422, errors=e.errors, form=form)
    flash(_("Tjenestekontoen %(name)s er oprettet.", name=account.name), "success")
    return redirect(url_for("tenant_admin.tokens"))


@bp.post("/noegler/<uuid:token_id>/tilbagekald")
def revoke_api_token(token_id: uuid.UUID) -> Any:
    revoke_token(current_tenant(), token_id, actor=_actor())
    flash(_("Nøglen er tilbagekaldt."), "success")
    return redirect(url_for("tenant_admin.tokens"))


@bp.get("/log")
def audit_log() -> Any:
    return render_template(
        "admin/audit.html",
        page=audit.entries(current_tenant().id, _page_number()),
        action_labels={**AUDIT_ACTION_LABELS, **audit_labels()},
        actor_label=actor_label,
        describe=describe,
    )


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

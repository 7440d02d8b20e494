"""The operator console at /operator/: OS2's administration of tenants, through metadata and
aggregates only.

The operator's session is its own: `session["operator_id"]`, never Flask-Login's
`current_user`, so a signed-in operator opens no tenant page or API, and a tenant user's
session opens nothing here. Views are thin: parse, call a service, render.

Components add pages with `operator_blueprint` (behind the same sign-in, in the console's
frame) and name them in `Component.operator_pages`, which the console's menu shows.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..components import Component, audit_labels
from ..crypto import EncryptionUnavailable
from ..db import db
from ..errors import Invalid
from ..export import services as export_services
from ..export.views import STATUS_LABELS as EXPORT_STATUS_LABELS
from ..export.views import download_response
from ..i18n import format_when
from ..identity import oidc
from ..identity.admin import uploaded_metadata
from ..identity.labels import IDP_FIELD_LABELS, INVITATION_FIELD_LABELS
from ..identity.services import idp_form_values
from ..offboarding import services as offboarding_services
from ..pagination import page_number
from ..permissions import ROLE_LABELS
from ..security import limiter, login_limit, mark_signed_in, signed_in_too_long_ago
from ..tenancy import Tenant, TenantStatus, known_municipalities, suggested_slug
from ..urls import external_url
from . import services
from .models import Operator

EXPORT_REQUESTED = "tenant.export_requested"
EXPORT_DOWNLOADED = "tenant.export_downloaded"

bp = Blueprint("operator", __name__, url_prefix="/operator", template_folder="templates")

SESSION_KEY = "operator_id"
EPOCH_KEY = "operator_epoch"
END_SESSION_KEY = "operator_end_session"
ID_TOKEN_KEY = "operator_id_token"
PENDING_KEY = "operator_oidc_pending"

ACTION_LABELS = {
    services.LOGIN: _l("Logget ind"),
    services.LOGIN_FAILED: _l("Log-in afvist"),
    services.LOGOUT: _l("Logget ud"),
    services.TENANT_CREATE: _l("Kommune oprettet"),
    services.TENANT_UPDATE: _l("Stamdata ændret"),
    services.TENANT_IDP: _l("Log-in-løsning ændret"),
    services.TENANT_SUSPEND: _l("Kommune suspenderet"),
    services.TENANT_ACTIVATE: _l("Kommune genaktiveret"),
    services.OPERATOR_CREATE: _l("Operatør oprettet"),
    services.OPERATOR_DEACTIVATE: _l("Operatør deaktiveret"),
    services.OPERATOR_ACTIVATE: _l("Operatør genaktiveret"),
    services.TENANT_INVITE: _l("Bruger inviteret"),
    EXPORT_REQUESTED: _l("Eksport bestilt"),
    EXPORT_DOWNLOADED: _l("Eksport hentet"),
    offboarding_services.SCHEDULED: _l("Sletning planlagt"),
    offboarding_services.CANCELLED: _l("Sletning annulleret"),
    offboarding_services.DELETED: _l("Kommunen slettet"),
    offboarding_services.FILES_DELETED: _l("Kommunens filer slettet"),
}
CATALOGUE_CHOICE_LABELS = {
    "anonymise": _l('Bliver stående som "en kommune" (uden kommunens navn)'),
    "withdraw": _l("Trækkes tilbage fra kataloget"),
}
OFFBOARDING_FIELD_LABELS = {
    "days": _l("Dage til sletning"),
    "catalogue": _l("Kommunens katalogindgange"),
    "reason": _l("Årsag"),
    "confirm": _l("Bekræft med adressenavnet"),
}
STATUS_LABELS = {
    TenantStatus.ACTIVE.value: _l("Aktiv"),
    TenantStatus.SUSPENDED.value: _l("Suspenderet"),
}
TENANT_FIELD_LABELS = {
    "slug": _l("Adressenavn"),
    "name": _l("Navn"),
    "municipality_code": _l("Kommunekode"),
    "cvr": _l("CVR-nummer"),
    "first_admin_email": _l("Første administrator"),
}
SUSPEND_FIELD_LABELS = {"reason": _l("Årsag")}
LOGIN_FIELD_LABELS = {
    "email": _l("E-mailadresse"),
    "password": _l("Adgangskode"),
    "code": _l("Engangskode"),
}
DETAIL_LABELS = {
    **TENANT_FIELD_LABELS,
    **IDP_FIELD_LABELS,
    "method": _l("Metode"),
    "reason": _l("Årsag"),
    "status": _l("Status"),
    "created": _l("Oprettet"),
    "client_secret_changed": _l("Ny klienthemmelighed"),
    "note": _l("Begrundelse"),
    "email": _l("E-mailadresse"),
    "operator": _l("Operatør"),
    "roles": _l("Roller"),
    "delete_after": _l("Slettes efter"),
    "catalogue": _l("Katalogindgange"),
    "administrators_told": _l("Administratorer underrettet"),
    "rows": _l("Rækker slettet"),
    "files": _l("Filer slettet"),
}
DETAIL_VALUES = {
    "password": _l("adgangskode og engangskode"),
    "oidc": _l("platformens log-in-løsning"),
    "unknown_account": _l("ukendt konto"),
    "wrong_password": _l("forkert adgangskode"),
    "wrong_code": _l("forkert engangskode"),
    "code_reused": _l("engangskoden var allerede brugt"),
    "deactivated": _l("kontoen er deaktiveret"),
    "missing_role": _l("mangler operatørrollen"),
    "no_email": _l("ingen gyldig e-mailadresse"),
    "email_taken": _l("e-mailadressen tilhører en anden operatør"),
    **STATUS_LABELS,
}


# --- The operator's session -----------------------------------------------------------


def current_operator() -> Operator | None:
    """The signed-in, active operator of this request, if any."""
    if "operator" not in g:
        operator = services.get_operator(session.get(SESSION_KEY))
        # A copy of the cookie from before logout or deactivation has an older epoch.
        valid = (
            operator is not None
            and operator.active
            and session.get(EPOCH_KEY) == (operator.session_epoch or 0)
            and not signed_in_too_long_ago()
        )
        g.operator = operator if valid else None
    return g.operator


def _refuse_unless_operator() -> Response | None:
    """Only a signed-in, active operator passes; others go to the login page. A deactivated
    operator's session is ended at its next request."""
    if current_operator() is not None:
        return None
    if session.get(SESSION_KEY):
        session.pop(SESSION_KEY, None)
        session.pop(ID_TOKEN_KEY, None)
    return redirect(url_for("operator.login", next=request.full_path.rstrip("?")))


def operator_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Console views: only for a signed-in, active operator."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return _refuse_unless_operator() or view(*args, **kwargs)

    return wrapper


# Marks the blueprints made by `operator_blueprint` (the app checks `operator_pages` by it).
CONSOLE_BLUEPRINT = "autoproces_operator_console"


def operator_blueprint(name: str, import_name: str, url_prefix: str, **kwargs: Any) -> Blueprint:
    """A component's pages in the operator console, under `/operator` + `url_prefix`: every
    view needs a signed-in operator, nothing is cached, and templates that extend
    `operator/layout.html` get the console's frame."""
    page_bp = Blueprint(name, import_name, url_prefix="/operator" + url_prefix, **kwargs)
    page_bp.before_request(_refuse_unless_operator)
    page_bp.after_request(_no_store)
    page_bp.context_processor(_console_context)
    setattr(page_bp, CONSOLE_BLUEPRINT, True)
    return page_bp


def check_component_pages(app: Flask, components: list[Component]) -> None:
    """Every page a component names for the console's menu is behind the operator's
    sign-in: its endpoint belongs to a blueprint made by `operator_blueprint`."""
    for component in components:
        for endpoint, _label in component.operator_pages:
            owner = app.blueprints.get(endpoint.rpartition(".")[0])
            if owner is None or not getattr(owner, CONSOLE_BLUEPRINT, False):
                raise RuntimeError(
                    f"{component.name}: operator page {endpoint} is not on an operator_blueprint"
                )


def safe_next(target: str | None) -> str | None:
    """Only local paths inside the console: never an open redirect."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/operator/") or "\\" in target:
        return None
    return target


def start_session(operator: Operator, id_token: str | None = None) -> None:
    """A fresh session: nothing from before the login (a tenant user's session too) stays."""
    session.clear()
    session.permanent = True  # the idle timeout applies
    session[SESSION_KEY] = str(operator.id)
    session[EPOCH_KEY] = operator.session_epoch or 0
    mark_signed_in()
    if id_token:
        session[ID_TOKEN_KEY] = id_token
    g.operator = operator


def field(name: str, source: Any = None) -> str:
    """A text field of the request, without NUL characters (which PostgreSQL refuses)."""
    source = request.form if source is None else source
    return str(source.get(name, "")).replace("\x00", "")


def _callback_url() -> str:
    return external_url("operator.callback")


@bp.after_request
def _no_store(response: Response) -> Response:
    response.headers.setdefault("Cache-Control", "no-store")
    return response


# The console's own menu; the components' pages follow.
CONSOLE_NAV = (("operator.index", _l("Kommuner")), ("operator.audit", _l("Handlingslog")))


@bp.context_processor
def _console_context() -> dict[str, Any]:
    components = current_app.extensions["autoproces.components"]
    return {
        "operator": current_operator(),
        "status_labels": STATUS_LABELS,
        "action_labels": {**ACTION_LABELS, **audit_labels()},
        "console_nav": [*CONSOLE_NAV, *(page for c in components for page in c.operator_pages)],
    }


# --- Signing in and out ---------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
def login() -> Any:
    next_url = safe_next(field("next", request.values))
    if request.method == "GET" and current_operator() is not None:
        return redirect(next_url or url_for("operator.index"))
    client = services.oidc_client()
    if client is not None:
        if request.method == "POST":
            abort(404)  # with the platform's provider, there are no local passwords
        url = oidc.begin(client, _callback_url(), PENDING_KEY, {"next": next_url or ""})
        return redirect(url)
    if request.method == "GET":
        return render_template("operator/login.html", form={}, errors={}, next_url=next_url)
    form = {"email": field("email").strip()}
    password, code = field("password"), field("code")
    errors: dict[str, list[str]] = {}
    for name, value in (("email", form["email"]), ("password", password), ("code", code)):
        if not value.strip():
            errors[name] = [_("Feltet skal udfyldes.")]
    if not errors:
        try:
            operator = services.authenticate_local(form["email"], password, code)
        except services.LoginFailed as e:
            current_app.logger.warning("Operator login failed for %r: %s", form["email"], e)
            services.audit(
                e.operator,
                services.LOGIN_FAILED,
                email=form["email"],
                details={"method": "password", "reason": e.reason},
            )
            db.session.commit()  # kept, although the response (422) rolls back the rest
            errors["login"] = [
                _("E-mailadressen, adgangskoden eller engangskoden er forkert."),
            ]
        else:
            services.audit(operator, services.LOGIN, details={"method": "password"})
            start_session(operator)
            return redirect(next_url or url_for("operator.index"))
    return render_template(
        "operator/login.html",
        form=form,
        errors=errors,
        next_url=next_url,
        field_labels=LOGIN_FIELD_LABELS,
    ), 422


DEMO_OPERATOR_EMAIL = "demo-operatoer@os2.dk"


@bp.post("/dev-login")
def dev_login() -> Any:
    """The demo's operator login (no password, no TOTP); it exists only in demo mode."""
    if not current_app.config["AUTOPROCES_DEMO"]:
        abort(404)
    operator = services.operator_by_email(DEMO_OPERATOR_EMAIL)
    if operator is None or not operator.active:
        abort(404)
    services.audit(operator, services.LOGIN, details={"method": "demo"})
    start_session(operator)
    return redirect(url_for("operator.index"))


@bp.get("/auth/callback")
@limiter.limit(login_limit)
def callback() -> Any:
    client = services.oidc_client()
    if client is None:
        abort(404)
    claims, id_token, context = oidc.complete(
        client, _callback_url(), PENDING_KEY, request.args.to_dict()
    )
    settings = current_app.config["AUTOPROCES_SETTINGS"]
    try:
        operator = services.oidc_operator(
            client.issuer, claims, settings.operator_oidc_role_claim, settings.operator_oidc_role
        )
    except services.OperatorRefused as e:
        db.session.rollback()
        current_app.logger.warning("Operator login refused (%s) for %r", e.reason, e.email)
        services.audit(
            None,
            services.LOGIN_FAILED,
            email=e.email,
            details={"method": "oidc", "reason": e.reason},
        )
        db.session.commit()
        return render_template(
            "operator/message.html", title=_("Du har ikke adgang"), message=e.message, retry=True
        ), 403
    services.audit(operator, services.LOGIN, details={"method": "oidc"})
    start_session(operator, id_token)
    return redirect(safe_next(context.get("next")) or url_for("operator.index"))


@bp.post("/logout")
def logout() -> Any:
    """End the console session (every copy of its cookie too), then at the platform's
    provider: by a 303 to our own page, because the CSP's form-action 'self' also covers
    redirects after this form's POST (see identity.views.logout)."""
    operator = current_operator()
    id_token = session.get(ID_TOKEN_KEY)
    if operator is not None:
        services.end_sessions(operator)
        services.audit(operator, services.LOGOUT)
    session.clear()
    g.operator = None
    return oidc.leave_provider(
        services.oidc_client() if operator is not None else None,
        id_token,
        END_SESSION_KEY,
        "operator.provider_logout",
        "operator.logged_out",
    )


@bp.get("/log-ud-hos-udbyder")
def provider_logout() -> Any:
    target = session.pop(END_SESSION_KEY, None)
    if not target:
        return redirect(url_for("operator.logged_out"))
    return render_template("operator/provider_logout.html", target=target)


@bp.get("/logget-ud")
def logged_out() -> Any:
    return render_template(
        "operator/message.html",
        title=_("Du er logget ud"),
        message=_("Tak for nu. Luk browseren, hvis du bruger en delt computer."),
        retry=True,
    )


@bp.errorhandler(oidc.ProviderUnavailable)
def _provider_unavailable(e: oidc.ProviderUnavailable) -> Any:
    current_app.logger.warning("Operator OIDC provider unavailable: %s", e)
    return render_template(
        "operator/message.html",
        title=_("Log-in er ikke tilgængelig lige nu"),
        message=_("Platformens log-in-løsning svarer ikke. Prøv igen om lidt."),
    ), 503


@bp.errorhandler(oidc.CallbackRejected)
def _callback_rejected(e: oidc.CallbackRejected) -> Any:
    current_app.logger.warning("Operator OIDC callback rejected: %s", e)
    return render_template(
        "operator/message.html",
        title=_("Log-in kunne ikke gennemføres"),
        message=_("Log-in-forsøget er udløbet eller ugyldigt. Start forfra."),
        retry=True,
    ), 400


@bp.errorhandler(EncryptionUnavailable)
def _no_key(e: EncryptionUnavailable) -> Any:
    current_app.logger.error("Operator console cannot use the encryption key: %s", e)
    return render_template(
        "operator/message.html",
        title=_("Tjenesten er ikke tilgængelig lige nu"),
        message=_("Platformens krypteringsnøgle mangler eller passer ikke. Kontakt driften."),
    ), 503


# --- The console ----------------------------------------------------------------------


@bp.get("/")
@operator_required
def index() -> Any:
    return render_template(
        "operator/index.html", rows=services.list_tenants(), usage_figures=services.usage_figures()
    )


def _seed_choices() -> list[dict[str, str]]:
    """The seed data's municipalities that are not on the platform yet, by name."""
    taken = {t.municipality_code for t in services.all_tenants()}
    return sorted(
        (m for code, m in known_municipalities().items() if code not in taken),
        key=lambda m: m["name"],
    )


def _picked_municipality(chosen: str) -> dict[str, str]:
    """The form filled from Denmark's municipality `chosen` (its code): name, code, CVR."""
    known = known_municipalities().get(chosen)
    if known is None:
        return {}
    return {
        "slug": suggested_slug(known["name"]),
        "name": known["name"],
        "municipality_code": known["code"],
        "cvr": known["cvr"],
    }


def _tenant_form(municipality: Tenant | None) -> Any:
    """Creating (`municipality` None) and editing a municipality: one form, which has the
    address name only when creating (it cannot change later)."""
    errors: dict[str, list[str]] = {}
    names = [key for key in TENANT_FIELD_LABELS if municipality is None or key != "slug"]
    chosen = field("kommune", request.args).strip() if municipality is None else ""
    if request.method == "POST":
        form = {key: field(key) for key in names}
        try:
            if municipality is None:
                saved = services.create_tenant_as(current_operator(), form)
                flash(_("%(name)s er oprettet.", name=saved.name), "success")
            else:
                saved = services.update_tenant_as(current_operator(), municipality.slug, form)
                flash(_("Oplysningerne om %(name)s er gemt.", name=saved.name), "success")
        except Invalid as e:
            errors = e.errors
        else:
            return redirect(url_for("operator.tenant", slug=saved.slug))
    elif municipality is not None:
        form = {key: getattr(municipality, key) or "" for key in names}
    else:
        form = _picked_municipality(chosen) if chosen else {}
    return render_template(
        "operator/tenant_form.html",
        form=form,
        errors=errors,
        field_labels=TENANT_FIELD_LABELS,
        municipality=municipality,
        choices=_seed_choices() if municipality is None else [],
        chosen=chosen,
    ), (422 if errors else 200)


@bp.route("/kommuner/ny", methods=["GET", "POST"])
@operator_required
def new_tenant() -> Any:
    return _tenant_form(None)


@bp.route("/kommuner/<slug>/rediger", methods=["GET", "POST"])
@operator_required
def edit_tenant(slug: str) -> Any:
    return _tenant_form(services.get_tenant(slug))


@bp.get("/kommuner/<slug>")
@operator_required
def tenant(slug: str) -> Any:
    municipality = services.get_tenant(slug)
    usage = services.tenant_usage(municipality.id).get(municipality.id, services.Usage())
    with services.acting_for(municipality):
        exports = export_services.exports_of(municipality, operator=current_operator())
    return render_template(
        "operator/tenant.html",
        municipality=municipality,
        exports=exports,
        export_status_labels=EXPORT_STATUS_LABELS,
        export_expiry_days=export_services.EXPIRY_DAYS,
        export_download_url=lambda e: url_for(
            "operator.download_export", slug=municipality.slug, export_id=e.id
        ),
        offboarding=offboarding_services.open_offboarding(municipality),
        catalogue_choice_labels=CATALOGUE_CHOICE_LABELS,
        usage=usage,
        usage_figures=services.usage_figures(),
        idp=services.tenant_idp(municipality),
        recent=services.audit_log(municipality.slug, per_page=10).items,
        role_labels=ROLE_LABELS,
    )


@bp.route("/kommuner/<slug>/log-in", methods=["GET", "POST"])
@operator_required
def tenant_idp(slug: str) -> Any:
    municipality = services.get_tenant(slug)
    idp = services.tenant_idp(municipality)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        # The secret is never echoed back into the form, not even after an error.
        form = {key: field(key) for key in IDP_FIELD_LABELS if key != "client_secret"}
        metadata = uploaded_metadata(form)
        form.pop("saml_metadata", None)  # never echoed back: the page names the entity ID
        try:
            services.save_tenant_idp(
                current_operator(),
                slug,
                {**form, "client_secret": field("client_secret"), "saml_metadata": metadata or ""},
            )
        except Invalid as e:
            errors = e.errors or {"form": [e.message]}
        else:
            flash(_("Log-in-løsningen for %(name)s er gemt.", name=municipality.name), "success")
            return redirect(url_for("operator.tenant", slug=municipality.slug))
    else:
        form = idp_form_values(idp)
        form.pop("saml_metadata", None)
    return render_template(
        "operator/idp_form.html",
        municipality=municipality,
        idp=idp,
        form=form,
        errors=errors,
        field_labels=IDP_FIELD_LABELS,
        role_labels=ROLE_LABELS,
        callback_hint=external_url("identity.callback", tenant_slug=municipality.slug),
        saml_metadata_hint=external_url("tenant_saml.metadata", tenant_slug=municipality.slug),
    ), (422 if errors else 200)


@bp.route("/kommuner/<slug>/suspender", methods=["GET", "POST"])
@operator_required
def suspend_tenant(slug: str) -> Any:
    """Suspending asks first: a page that says what happens and asks for the reason."""
    municipality = services.get_tenant(slug)
    errors: dict[str, list[str]] = {}
    reason = ""
    if request.method == "POST":
        reason = field("reason")
        try:
            services.set_status_as(current_operator(), slug, TenantStatus.SUSPENDED, reason)
        except Invalid as e:
            errors = e.errors
        else:
            flash(_("%(name)s er suspenderet.", name=municipality.name), "success")
            return redirect(url_for("operator.tenant", slug=municipality.slug))
    return render_template(
        "operator/suspend.html",
        municipality=municipality,
        reason=reason,
        errors=errors,
        field_labels=SUSPEND_FIELD_LABELS,
    ), (422 if errors else 200)


@bp.route("/kommuner/<slug>/inviter", methods=["GET", "POST"])
@operator_required
def invite_user(slug: str) -> Any:
    """Invite a person by e-mail with roles; they get them at their first sign-in."""
    municipality = services.get_tenant(slug)
    errors: dict[str, list[str]] = {}
    form: dict[str, Any] = {}
    if request.method == "POST":
        form = {"email": field("email"), "roles": request.form.getlist("roles")}
        try:
            email = services.invite_as(current_operator(), slug, form["email"], form["roles"])
        except Invalid as e:
            errors = e.errors
        else:
            flash(_("Invitationen er sendt til %(email)s.", email=email), "success")
            return redirect(url_for("operator.tenant", slug=municipality.slug))
    return render_template(
        "operator/invite.html",
        municipality=municipality,
        form=form,
        errors=errors,
        field_labels=INVITATION_FIELD_LABELS,
        role_labels=ROLE_LABELS,
    ), (422 if errors else 200)


@bp.post("/kommuner/<slug>/eksport")
@operator_required
def request_export(slug: str) -> Any:
    """An export of everything the municipality has, for this operator to download once."""
    municipality = services.get_tenant(slug)
    operator = current_operator()
    try:
        with services.acting_for(municipality):
            export_services.request_export(municipality, operator=operator)
            services.audit(operator, EXPORT_REQUESTED, municipality)
    except Invalid as e:
        flash(e.message, "error")
        return redirect(url_for("operator.tenant", slug=municipality.slug)), 303
    flash(_("Eksporten er bestilt. Du får en e-mail, når den er klar."), "success")
    return redirect(url_for("operator.tenant", slug=municipality.slug))


@bp.get("/kommuner/<slug>/eksport/<export_id>/hent")
@operator_required
def download_export(slug: str, export_id: str) -> Any:
    municipality = services.get_tenant(slug)
    operator = current_operator()
    with services.acting_for(municipality):
        archive, name = export_services.take_download(municipality, export_id, operator=operator)
    services.audit(operator, EXPORT_DOWNLOADED, municipality)
    return download_response(archive, name)


@bp.route("/kommuner/<slug>/slet", methods=["GET", "POST"])
@operator_required
def offboard_tenant(slug: str) -> Any:
    """Scheduling the deletion asks first: what happens, when, and to the catalogue."""
    municipality = services.get_tenant(slug)
    settings = current_app.config["AUTOPROCES_SETTINGS"]
    errors: dict[str, list[str]] = {}
    form: dict[str, str] = {"days": str(settings.offboarding_days)}
    if request.method == "POST":
        form = {key: field(key) for key in OFFBOARDING_FIELD_LABELS}
        try:
            planned = offboarding_services.schedule(current_operator(), slug, form)
        except Invalid as e:
            errors = e.errors
        else:
            flash(
                _(
                    "%(name)s slettes %(when)s.",
                    name=municipality.name,
                    when=format_when(planned.delete_after),
                ),
                "success",
            )
            return redirect(url_for("operator.tenant", slug=municipality.slug))
    return render_template(
        "operator/offboard.html",
        municipality=municipality,
        form=form,
        errors=errors,
        field_labels=OFFBOARDING_FIELD_LABELS,
        catalogue_choice_labels=CATALOGUE_CHOICE_LABELS,
        offboarding=offboarding_services.open_offboarding(municipality),
    ), (422 if errors else 200)


@bp.post("/kommuner/<slug>/slet/annuller")
@operator_required
def cancel_offboarding(slug: str) -> Any:
    municipality = services.get_tenant(slug)
    try:
        offboarding_services.cancel(current_operator(), slug)
    except Invalid as e:
        flash(e.message, "error")
    else:
        flash(_("Sletningen af %(name)s er annulleret.", name=municipality.name), "success")
    return redirect(url_for("operator.tenant", slug=municipality.slug))


@bp.post("/kommuner/<slug>/aktiver")
@operator_required
def activate_tenant(slug: str) -> Any:
    municipality = services.set_status_as(current_operator(), slug, TenantStatus.ACTIVE)
    flash(_("%(name)s er genaktiveret.", name=municipality.name), "success")
    return redirect(url_for("operator.tenant", slug=municipality.slug))


# Details whose values are codes, shown with a Danish label.
CODED_DETAILS = frozenset({"method", "reason", "status"})


def describe(details: dict[str, Any]) -> list[tuple[str, str]]:
    """An audit entry's details as (label, text) pairs for people."""

    def show(value: Any, coded: bool = False) -> str:
        if value is None or value == "" or value == [] or value == {}:
            return "–"
        if isinstance(value, bool):
            return _("ja") if value else _("nej")
        if isinstance(value, dict):
            if set(value) == {"from", "to"}:
                return f"{show(value['from'], coded)} → {show(value['to'], coded)}"
            return ", ".join(f"{k} = {show(v)}" for k, v in value.items())
        if isinstance(value, list):
            return ", ".join(show(v) for v in value)
        if coded and isinstance(value, str) and value in DETAIL_VALUES:
            return str(DETAIL_VALUES[value])
        return str(value)

    labels = {**DETAIL_LABELS, **audit_labels()}
    pairs: list[tuple[str, str]] = []
    for key, value in details.items():
        if key == "changes" and isinstance(value, dict):
            pairs.extend((str(labels.get(k, k)), show(v)) for k, v in value.items())
        else:
            pairs.append((str(labels.get(key, key)), show(value, key in CODED_DETAILS)))
    return pairs


@bp.get("/log")
@operator_required
def audit() -> Any:
    slug = field("kommune", request.args).strip()
    return render_template(
        "operator/audit.html",
        page=services.audit_log(slug or None, page_number(request.args.get("side"))),
        slug=slug,
        rows=services.list_tenants(),
        describe=describe,
    )

"""The operator's domain operations: operator accounts and their sign-in, and the console's
work on tenants. The only code that writes operators and operator_audit.

The operator sees tenant metadata and aggregates only (DESIGN.md, Tenancy): usage comes from
the platform's SQL function `operator_tenant_usage()` (users, last activity) and the functions
the components declare (`Component.usage`), never from the tenants' own rows. Every change is
written to `operator_audit` in the same transaction as the change itself, without secrets.
"""

from __future__ import annotations

import hmac
import re
import secrets
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import pyotp
from flask import current_app, g
from flask_babel import gettext as _
from sqlalchemy import func, or_, select, text, update
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.security import check_password_hash, generate_password_hash

from .. import audit as tenant_audit
from ..audit import AuditLog
from ..crypto import EncryptionUnavailable, decrypt, encrypt
from ..db import db, use_tenant
from ..errors import Invalid, NotFound
from ..identity.invitations import invite
from ..identity.models import TenantIdp
from ..identity.oidc import OidcClient
from ..identity.services import EMAIL_RE, get_idp, parse_role_mapping, save_idp
from ..pagination import Page, paginate
from ..tenancy import (
    RESERVED_SLUGS,
    SLUG_RE,
    Tenant,
    TenantStatus,
    activate_tenant,
    create_tenant,
    duplicate_tenant_fields,
    set_tenant_status,
    tenant_by_slug,
    update_tenant,
    validate_tenant_fields,
)
from .models import Operator, OperatorAudit

TOTP_ISSUER = "Autoproces"
MIN_PASSWORD_LENGTH = 12
AUDIT_PER_PAGE = 50

# Audit actions (the `action` column); the console shows them with Danish labels.
LOGIN = "login"
LOGIN_FAILED = "login_failed"
LOGOUT = "logout"
TENANT_CREATE = "tenant.create"
TENANT_UPDATE = "tenant.update"
TENANT_IDP = "tenant.idp"
TENANT_SUSPEND = "tenant.suspend"
TENANT_ACTIVATE = "tenant.activate"
OPERATOR_CREATE = "operator.create"
OPERATOR_DEACTIVATE = "operator.deactivate"
OPERATOR_ACTIVATE = "operator.activate"
TENANT_INVITE = "tenant.invite"


class LoginFailed(Exception):
    """A password and TOTP login that did not succeed. `reason` goes to the audit log only;
    the person signing in gets one message whatever went wrong."""

    def __init__(self, reason: str, operator: Operator | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.operator = operator


class OperatorRefused(Exception):
    """The platform's provider vouched for the person, but they are not let in (403)."""

    def __init__(self, message: str, reason: str, email: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason
        self.email = email


# --- Operators ------------------------------------------------------------------------


def oidc_client() -> OidcClient | None:
    """The platform's own OIDC provider for operators, when one is configured."""
    settings = current_app.config["AUTOPROCES_SETTINGS"]
    if not settings.operator_oidc_issuer or not settings.operator_oidc_client_id:
        return None
    # By default, providers hand out role claims for a scope of the same name (Keycloak's
    # and oidc-provider's `roles`), so that scope is asked for too; OPERATOR_OIDC_SCOPES
    # overrides it (Entra ID, for one, has no such scope).
    if settings.operator_oidc_scopes:
        scopes = settings.operator_oidc_scopes.split()
    else:
        scopes = ["openid", "profile", "email"]
        role_claim = settings.operator_oidc_role_claim
        if re.fullmatch(r"[A-Za-z0-9_.:-]{1,100}", role_claim) and role_claim not in scopes:
            scopes.append(role_claim)
    return OidcClient(
        settings.operator_oidc_issuer,
        settings.operator_oidc_client_id,
        settings.operator_oidc_client_secret,
        " ".join(scopes),
    )


def get_operator(operator_id: uuid.UUID | str | None) -> Operator | None:
    try:
        uid = uuid.UUID(str(operator_id))
    except ValueError:
        return None
    return db.session.get(Operator, uid)


def operator_by_email(email: str) -> Operator | None:
    return db.session.scalar(
        select(Operator).where(func.lower(Operator.email) == email.strip().lower())
    )


def list_operators() -> list[Operator]:
    return list(db.session.scalars(select(Operator).order_by(func.lower(Operator.email))))


@dataclass(frozen=True)
class NewOperator:
    operator: Operator
    password: str
    totp_secret: str
    totp_uri: str


def create_local_operator(email: str, name: str = "", password: str | None = None) -> NewOperator:
    """An operator who signs in with a password and a TOTP code (no platform provider).

    The password (generated unless given) and the TOTP seed are returned once; only the
    password's hash and the encrypted seed are stored. Messages are English (the CLI).
    """
    email, name = email.strip().lower(), name.strip()
    errors: dict[str, list[str]] = {}
    if not EMAIL_RE.match(email) or len(email) > 254:
        errors["email"] = ["not a valid e-mail address"]
    elif operator_by_email(email) is not None:
        errors["email"] = [f"an operator with {email} exists already"]
    if len(name) > 200:
        errors["name"] = ["the name is at most 200 characters"]
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        errors["password"] = [f"use at least {MIN_PASSWORD_LENGTH} characters"]
    if errors:
        raise Invalid("The operator could not be created.", errors)
    password = password if password is not None else secrets.token_urlsafe(18)
    totp_secret = pyotp.random_base32()
    try:
        totp_encrypted = encrypt(totp_secret)
    except EncryptionUnavailable as e:
        raise Invalid("The operator could not be created.", {"encryption": [str(e)]}) from None
    operator = Operator(
        email=email,
        name=name,
        password_hash=generate_password_hash(password),
        totp_secret_encrypted=totp_encrypted,
    )
    db.session.add(operator)
    db.session.flush()
    uri = pyotp.TOTP(totp_secret).provisioning_uri(name=email, issuer_name=TOTP_ISSUER)
    return NewOperator(operator, password, totp_secret, uri)


def set_operator_active(email: str, active: bool) -> Operator:
    operator = operator_by_email(email)
    if operator is None:
        raise NotFound(f"no operator {email.strip().lower()}")
    if operator.active and not active:
        end_sessions(operator)
    operator.active = active
    db.session.flush()
    return operator


def end_sessions(operator: Operator) -> None:
    """Every console session of `operator` made before now is refused from its next request."""
    operator.session_epoch = (operator.session_epoch or 0) + 1
    db.session.flush()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return generate_password_hash(secrets.token_hex(16))


def totp_step(secret: str, code: str) -> int | None:
    """The time step (unix time // 30) whose code `code` is, from the one before now to the
    one after (clock drift), or None."""
    totp = pyotp.TOTP(secret)
    now = int(time.time()) // totp.interval
    for step in (now - 1, now, now + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _use_totp_step(operator: Operator, step: int) -> bool:
    """Record `step` as the operator's last accepted one, unless it is not newer than it:
    a code is good once. One UPDATE, so of two logins with the same code only one gets the
    row (the other waits for its lock, then finds the step taken)."""
    taken = db.session.execute(
        update(Operator)
        .where(
            Operator.id == operator.id,
            or_(Operator.totp_last_step.is_(None), Operator.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .returning(Operator.id)
        .execution_options(synchronize_session=False)
    ).first()
    db.session.expire(operator, ["totp_last_step"])
    return taken is not None


def authenticate_local(email: str, password: str, code: str) -> Operator:
    """The operator whose password and current TOTP code these are, or LoginFailed."""
    operator = operator_by_email(email) if email.strip() else None
    if operator is None or not operator.password_hash:
        check_password_hash(_dummy_hash(), password)  # the same time, known e-mail or not
        raise LoginFailed("unknown_account", operator)
    if not check_password_hash(operator.password_hash, password):
        raise LoginFailed("wrong_password", operator)
    code = re.sub(r"\s", "", code)
    if not operator.totp_secret_encrypted or not re.fullmatch(r"[0-9]{6}", code):
        raise LoginFailed("wrong_code", operator)
    step = totp_step(decrypt(operator.totp_secret_encrypted), code)
    if step is None:
        raise LoginFailed("wrong_code", operator)
    if not operator.active:
        raise LoginFailed("deactivated", operator)
    if not _use_totp_step(operator, step):
        raise LoginFailed("code_reused", operator)
    operator.last_login_at = datetime.now(UTC)
    db.session.flush()
    return operator


def _claim_values(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [str(v) for v in value if isinstance(v, str | int)]
    return []


def oidc_operator(issuer: str, claims: Mapping[str, Any], role_claim: str, role: str) -> Operator:
    """The operator the platform's provider vouched for: keyed by (issuer, subject), created
    at the first login, name and e-mail refreshed at every login. Only people whose
    `role_claim` holds `role` are let in."""
    subject = str(claims.get("sub") or "")
    email = str(claims.get("email") or "").strip().lower()
    if role not in _claim_values(claims.get(role_claim)):
        raise OperatorRefused(
            _("Din bruger har ikke rollen som operatør af Autoproces."), "missing_role", email
        )
    if not subject or not EMAIL_RE.match(email) or len(email) > 254:
        raise OperatorRefused(
            _("Log-in-løsningen sendte ingen gyldig e-mailadresse."), "no_email", email
        )
    name = str(
        claims.get("name")
        or " ".join(str(claims.get(k, "")) for k in ("given_name", "family_name")).strip()
    )[:200]
    operator = db.session.scalar(
        select(Operator).where(Operator.issuer == issuer, Operator.subject == subject)
    )
    by_email = operator_by_email(email)
    if operator is None and by_email is not None and by_email.subject is None:
        operator = by_email  # created ahead with the CLI: now bound to the provider's identity
        operator.issuer, operator.subject = issuer, subject
    elif by_email is not None and by_email is not operator:
        raise OperatorRefused(
            _("En anden operatør har allerede denne e-mailadresse."), "email_taken", email
        )
    if operator is None:
        operator = Operator(issuer=issuer, subject=subject, email=email, name=name)
        db.session.add(operator)
    elif not operator.active:
        raise OperatorRefused(_("Din operatørkonto er deaktiveret."), "deactivated", email)
    operator.email, operator.name = email, name
    operator.last_login_at = datetime.now(UTC)
    db.session.flush()
    return operator


def operator_actor(operator: Operator | None) -> str:
    """How an operator appears in a municipality's own audit log."""
    return f"operator:{operator.email if operator is not None else '?'}"


# --- The audit log --------------------------------------------------------------------

OPERATOR_LOG = AuditLog(OperatorAudit)


def audit(
    operator: Operator | None,
    action: str,
    tenant: Tenant | None = None,
    *,
    email: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> OperatorAudit:
    """Record what an operator did, in the caller's transaction. Never pass a secret."""
    return OPERATOR_LOG.write(
        details,
        operator_id=operator.id if operator is not None else None,
        operator_email=(email if email is not None else operator.email if operator else "")[:254],
        action=action,
        subject_tenant_id=tenant.id if tenant is not None else None,
        subject_tenant_slug=tenant.slug if tenant is not None else None,
    )


def audit_for_tenant(
    operator: Operator | None,
    action: str,
    tenant: Tenant,
    tenant_action: str,
    details: Mapping[str, Any],
    *,
    email: str | None = None,
) -> None:
    """What an operator (or the command line, named by `email`) did to a municipality goes
    into both logs: the operator's, and the municipality's own as `tenant_action`."""
    audit(operator, action, tenant, email=email, details=details)
    actor = email if email is not None else operator_actor(operator)
    with acting_for(tenant):
        tenant_audit.record(tenant.id, actor, tenant_action, details)


def audit_log(
    tenant_slug: str | None = None, page: int = 1, per_page: int = AUDIT_PER_PAGE
) -> Page[OperatorAudit]:
    """The newest entries first, optionally only those about one tenant."""
    conditions = []
    if tenant_slug:
        conditions.append(OperatorAudit.subject_tenant_slug == tenant_slug)
    return paginate(OPERATOR_LOG.newest_first(*conditions), page, per_page)


# --- Tenants, through metadata and aggregates -----------------------------------------


@dataclass(frozen=True)
class UsageFigure:
    """A component's count per tenant: shown as `label`, from the SQL `function`."""

    key: str
    label: Any
    function: str


def usage_figures() -> list[UsageFigure]:
    """The components' usage figures, in component order."""
    components = current_app.extensions["autoproces.components"]
    return [UsageFigure(*figure) for c in components for figure in c.usage]


@dataclass(frozen=True)
class Usage:
    users: int = 0
    last_activity: datetime | None = None
    # The components' figures by key; a tenant with no rows counts 0.
    figures: dict[str, int] = field(default_factory=dict)

    def figure(self, key: str) -> int:
        return self.figures.get(key, 0)


@dataclass(frozen=True)
class TenantRow:
    tenant: Tenant
    usage: Usage


def _per_tenant(sql: str, tenant_id: uuid.UUID | None) -> Any:
    params: dict[str, Any] = {}
    if tenant_id is not None:
        sql += " where tenant_id = :tenant_id"
        params["tenant_id"] = tenant_id
    return db.session.execute(text(sql), params)


def tenant_usage(tenant_id: uuid.UUID | None = None) -> dict[uuid.UUID, Usage]:
    """Counts per tenant from `operator_tenant_usage()` and the components' functions, the
    operator's only view of them."""
    figures: dict[uuid.UUID, dict[str, int]] = {}
    for figure in usage_figures():
        # The name is a checked identifier (Component), never input.
        sql = f"select tenant_id, count from {figure.function}()"
        for row in _per_tenant(sql, tenant_id):
            counts = figures.setdefault(row.tenant_id, {})
            counts[figure.key] = counts.get(figure.key, 0) + int(row.count)
    platform = "select tenant_id, users, last_activity from operator_tenant_usage()"
    return {
        row.tenant_id: Usage(int(row.users), row.last_activity, figures.get(row.tenant_id, {}))
        for row in _per_tenant(platform, tenant_id)
    }


def all_tenants() -> list[Tenant]:
    """Every municipality's metadata, by name."""
    return list(db.session.scalars(select(Tenant).order_by(Tenant.name, Tenant.slug)))


def list_tenants() -> list[TenantRow]:
    usage = tenant_usage()
    return [TenantRow(t, usage.get(t.id, Usage())) for t in all_tenants()]


def get_tenant(slug: str) -> Tenant:
    tenant = tenant_by_slug(slug) if SLUG_RE.match(slug) else None
    if tenant is None:
        raise NotFound(_("Kommunen findes ikke."))
    return tenant


def _blank_to_none(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _tenant_errors(
    slug: str | None,
    name: str,
    code: str | None,
    cvr: str | None,
    first_admin_email: str | None = None,
    exclude: uuid.UUID | None = None,
) -> dict[str, list[str]]:
    """The console's Danish messages for the rules in tenancy.validate_tenant_fields, and
    for a name, code or CVR number another municipality already has."""
    found = validate_tenant_fields(slug, name, code, cvr)
    errors: dict[str, list[str]] = {}
    if slug is not None:
        if not slug:
            errors["slug"] = [_("Feltet skal udfyldes.")]
        elif "slug" in found and slug in RESERVED_SLUGS:
            errors["slug"] = [_("Adressenavnet %(slug)s bruges af platformen selv.", slug=slug)]
        elif "slug" in found:
            errors["slug"] = [_("Brug små bogstaver, tal og bindestreger, fx syddjurs.")]
        elif tenant_by_slug(slug) is not None:
            errors["slug"] = [_("Der findes allerede en kommune med dette adressenavn.")]
    if len(name.strip()) > 200:
        errors["name"] = [_("Navnet må højst være 200 tegn.")]
    elif "name" in found:
        errors["name"] = [_("Feltet skal udfyldes.")]
    if "code" in found:
        errors["municipality_code"] = [_("Kommunekoden er tre cifre, fx 706.")]
    if "cvr" in found:
        errors["cvr"] = [_("Et CVR-nummer er otte cifre og skal være gyldigt (modulus 11).")]
    taken = duplicate_tenant_fields(
        name if "name" not in errors else None,
        code if "municipality_code" not in errors else None,
        cvr if "cvr" not in errors else None,
        exclude,
    )
    if "name" in taken:
        errors["name"] = [_("Der findes allerede en kommune med dette navn.")]
    if "code" in taken:
        errors["municipality_code"] = [_("Der findes allerede en kommune med denne kommunekode.")]
    if "cvr" in taken:
        errors["cvr"] = [_("Der findes allerede en kommune med dette CVR-nummer.")]
    if first_admin_email and (
        not EMAIL_RE.match(first_admin_email) or len(first_admin_email) > 254
    ):
        errors["first_admin_email"] = [_("Skriv en gyldig e-mailadresse.")]
    return errors


TENANT_FIELDS = ("name", "municipality_code", "cvr", "first_admin_email")


def _email_or_none(value: str | None) -> str | None:
    value = _blank_to_none(value)
    return value.lower() if value else None


@dataclass(frozen=True)
class TenantForm:
    """The console's tenant form, cleaned: the same for creating and editing."""

    name: str
    code: str | None
    cvr: str | None
    first_admin: str | None

    @classmethod
    def of(cls, form: Mapping[str, str]) -> TenantForm:
        return cls(
            form.get("name") or "",
            _blank_to_none(form.get("municipality_code")),
            _blank_to_none(form.get("cvr")),
            _email_or_none(form.get("first_admin_email")),
        )

    def check(self, slug: str | None, message: str, exclude: uuid.UUID | None = None) -> None:
        """Invalid with `message` and the fields' errors; `slug` None: it is not changed."""
        errors = _tenant_errors(slug, self.name, self.code, self.cvr, self.first_admin, exclude)
        if errors:
            raise Invalid(message, errors)


def create_tenant_as(operator: Operator, form: Mapping[str, str]) -> Tenant:
    """A new municipality; `first_admin_email` names who becomes its administrator at
    their first sign-in through its identity provider."""
    slug = (form.get("slug") or "").strip().lower()
    fields = TenantForm.of(form)
    fields.check(slug, _("Kommunen kunne ikke oprettes."))
    tenant = create_tenant(slug, fields.name, fields.code, fields.cvr)
    tenant.first_admin_email = fields.first_admin
    db.session.flush()
    details = {key: getattr(tenant, key) for key in TENANT_FIELDS}
    if not fields.first_admin:
        details.pop("first_admin_email")
    audit(operator, TENANT_CREATE, tenant, details=details)
    return tenant


def _changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    return {
        key: {"from": before.get(key), "to": after[key]}
        for key in after
        if before.get(key) != after[key]
    }


def update_tenant_as(operator: Operator, slug: str, form: Mapping[str, str]) -> Tenant:
    tenant = get_tenant(slug)
    fields = TenantForm.of(form)
    fields.check(None, _("Kommunen kunne ikke gemmes."), exclude=tenant.id)
    before = {key: getattr(tenant, key) for key in TENANT_FIELDS}
    update_tenant(tenant.slug, fields.name, fields.code, fields.cvr)
    tenant.first_admin_email = fields.first_admin
    db.session.flush()
    changes = _changes(before, {key: getattr(tenant, key) for key in TENANT_FIELDS})
    if changes:
        details = {"changes": changes}
        audit_for_tenant(operator, TENANT_UPDATE, tenant, tenant_audit.TENANT_CHANGED, details)
    return tenant


MAX_REASON_LENGTH = 500


def set_status_as(operator: Operator, slug: str, status: TenantStatus, reason: str = "") -> Tenant:
    """Suspend (with a reason, kept in the audit log) or reactivate a municipality."""
    tenant = get_tenant(slug)
    reason = " ".join(reason.split())
    if status == TenantStatus.SUSPENDED and not reason:
        message = _("Skriv, hvorfor kommunen suspenderes.")
        raise Invalid(message, {"reason": [message]})
    if len(reason) > MAX_REASON_LENGTH:
        message = _("Årsagen må højst være %(n)d tegn.", n=MAX_REASON_LENGTH)
        raise Invalid(message, {"reason": [message]})
    lock_tenant(tenant)
    before = tenant.status
    if before == status.value:
        return tenant  # nothing changes (a form sent twice): nothing to record
    if status == TenantStatus.ACTIVE:
        refuse_activation_if_deletion_planned(tenant)
    set_tenant_status(tenant.slug, status)
    action = TENANT_SUSPEND if status == TenantStatus.SUSPENDED else TENANT_ACTIVATE
    details: dict[str, Any] = {"status": {"from": before, "to": status.value}}
    if reason:
        details["note"] = reason  # free text ("reason" holds codes of failed logins)
    audit_for_tenant(operator, action, tenant, tenant_audit.TENANT_STATUS, details)
    return tenant


def lock_tenant(tenant: Tenant) -> None:
    """Hold the municipality's row (and read it afresh) until the transaction ends, so that
    scheduling its deletion and reactivating it happen one at a time, neither missing the
    other (an active municipality planned for deletion; two deletions planned)."""
    db.session.refresh(tenant, with_for_update=True)


def refuse_activation_if_deletion_planned(tenant: Tenant) -> None:
    """The console's and the command line's one rule: a municipality planned for deletion
    is not reactivated (the purge would later delete it the moment it is suspended)."""
    lock_tenant(tenant)
    if _deletion_planned(tenant):
        message = _("Sletningen af kommunen er planlagt. Annullér den først.")
        raise Invalid(message, {"status": [message]})


def _deletion_planned(tenant: Tenant) -> bool:
    from ..offboarding.models import TenantOffboarding

    return (
        db.session.scalar(
            select(TenantOffboarding.id).where(
                TenantOffboarding.subject_tenant_id == tenant.id,
                TenantOffboarding.cancelled_at.is_(None),
                TenantOffboarding.deleted_at.is_(None),
            )
        )
        is not None
    )


@contextmanager
def acting_for(tenant: Tenant) -> Iterator[None]:
    """Act for `tenant` in this transaction (row-level security lets its rows through), and
    stop again afterwards, so nothing later in the request reads as that tenant."""
    activate_tenant(tenant)
    try:
        yield
    finally:
        g.pop("tenant", None)
        try:
            use_tenant(None)
        except SQLAlchemyError:
            g.tenant_id = None  # the transaction failed and is rolled back anyway


@dataclass(frozen=True)
class IdpSettings:
    """What the console may show of a tenant's provider: everything but the secret."""

    issuer: str
    client_id: str
    has_secret: bool
    scopes: str
    role_claim: str
    role_mapping: dict[str, str]
    default_role: str | None
    allowed_domains: list[str]
    updated_at: datetime | None
    protocol: str = "oidc"  # SAML and KOMBIT are set by `autoproces tenants set-saml/-kombit`
    min_loa: str = "Substantial"

    @classmethod
    def of(cls, idp: TenantIdp) -> IdpSettings:
        return cls(
            protocol=idp.protocol,
            min_loa=idp.min_loa,
            issuer=idp.issuer,
            client_id=idp.client_id,
            has_secret=idp.has_secret,
            scopes=idp.scopes,
            role_claim=idp.role_claim,
            role_mapping=dict(idp.role_mapping or {}),
            default_role=idp.default_role,
            allowed_domains=list(idp.allowed_domains or []),
            updated_at=idp.updated_at,
        )

    def audit_view(self) -> dict[str, Any]:
        return {
            "protocol": self.protocol,
            "min_loa": self.min_loa,
            "issuer": self.issuer,
            "client_id": self.client_id,
            "scopes": self.scopes,
            "role_claim": self.role_claim,
            "role_mapping": self.role_mapping,
            "default_role": self.default_role,
            "allowed_domains": self.allowed_domains,
        }


def tenant_idp(tenant: Tenant) -> IdpSettings | None:
    with acting_for(tenant):
        idp = get_idp(tenant)
        return IdpSettings.of(idp) if idp is not None else None


def _split_domains(value: str) -> Iterable[str]:
    return [d for d in re.split(r"[\s,;]+", value) if d]


def _save_by_protocol(
    tenant: Tenant, form: Mapping[str, str], mapping: dict[str, str], actor: Any
) -> TenantIdp | None:
    """SAML or KOMBIT from the console's form; None for OpenID Connect (saved as before)."""
    from ..identity.models import KOMBIT, OIDC, SAML
    from ..identity.services import save_kombit, save_saml_idp, split_certificates

    protocol = form.get("protocol") or OIDC
    common = {
        "role_mapping": mapping,
        "default_role": form.get("default_role") or None,
        "allowed_domains": _split_domains(form.get("allowed_domains") or ""),
        "min_loa": form.get("min_loa") or "",
        "actor": actor,
    }
    if protocol == SAML:
        return save_saml_idp(
            tenant,
            metadata=form.get("saml_metadata") or None,
            metadata_url=form.get("saml_metadata_url") or "",
            certificates=split_certificates(form.get("saml_certificates") or ""),
            role_claim=form.get("role_claim") or "",
            **common,
        )
    if protocol == KOMBIT:
        return save_kombit(tenant, **common)
    if protocol != OIDC:
        message = _("Vælg en log-in-løsning.")
        raise Invalid(message, {"protocol": [message]})
    return None


def save_tenant_idp(operator: Operator, slug: str, form: Mapping[str, str]) -> IdpSettings:
    """Save a tenant's provider (OIDC, SAML or KOMBIT) from the console's form. A blank
    secret keeps the stored one; the audit entry names what changed and whether the secret
    did, never it."""
    tenant = get_tenant(slug)
    secret = form.get("client_secret") or ""
    secret_given = secret.strip() != ""
    with acting_for(tenant):
        idp = get_idp(tenant)
        before = IdpSettings.of(idp).audit_view() if idp is not None else {}
        mapping_errors: dict[str, Any] = {}
        try:
            mapping = parse_role_mapping(form.get("role_mapping") or "")
        except Invalid as e:
            mapping, mapping_errors = {}, e.errors
        try:
            # A savepoint: with a bad mapping, the other fields are still checked, and
            # nothing is kept.
            with db.session.begin_nested():
                idp = _save_by_protocol(
                    tenant, form, mapping, operator_actor(operator)
                ) or save_idp(
                    tenant,
                    issuer=form.get("issuer") or "",
                    client_id=form.get("client_id") or "",
                    client_secret=secret.strip() if secret_given else None,
                    scopes=form.get("scopes") or "",
                    role_claim=form.get("role_claim") or "",
                    role_mapping=mapping,
                    default_role=form.get("default_role") or None,
                    allowed_domains=_split_domains(form.get("allowed_domains") or ""),
                    actor=operator_actor(operator),
                )
                if mapping_errors:
                    raise Invalid(_("Indstillingerne kunne ikke gemmes."), {})
        except Invalid as e:
            raise Invalid(e.message, {**e.errors, **mapping_errors}) from None
        settings = IdpSettings.of(idp)
    audit(
        operator,
        TENANT_IDP,
        tenant,
        details={
            "created": not before,
            "changes": _changes(before, settings.audit_view()),
            "client_secret_changed": secret_given,
        },
    )
    return settings


def invite_as(operator: Operator, slug: str, email: str, roles: Iterable[str]) -> str:
    """Invite a person into a municipality (its first administrator, say), in both logs;
    the invitation e-mail is queued in the municipality. Returns the invited address."""
    tenant = get_tenant(slug)
    with acting_for(tenant):
        invitation = invite(tenant, email, roles, actor=operator_actor(operator))
        details = {"email": invitation.email, "roles": list(invitation.roles)}
    audit(operator, TENANT_INVITE, tenant, details=details)
    return details["email"]

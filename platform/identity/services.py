"""Users and API tokens: the only code that writes them."""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, func, or_, select, text

from .. import audit, search
from ..db import db
from ..errors import Forbidden, Invalid, NotFound
from ..pagination import PER_PAGE, Page, paginate
from ..permissions import Role
from ..tenancy import Tenant, TenantSuspended, activate_tenant
from .models import KOMBIT, OIDC, PERSON, SAML, SERVICE, ApiToken, TenantIdp, User
from .oidc import OidcClient

log = logging.getLogger(__name__)

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TOKEN_PREFIX = "ap_"


class TokenRejected(Exception):
    """No such token, revoked, or its user is inactive."""


def normalise_roles(roles: Iterable[str]) -> list[str]:
    result = []
    for name in roles:
        try:
            role = Role(name)
        except ValueError:
            raise Invalid(
                _("Ukendt rolle: %(role)s", role=name),
                {"roles": [_("Ukendt rolle: %(role)s", role=name)]},
            ) from None
        if role.value not in result:
            result.append(role.value)
    if not result:
        raise Invalid(_("Vælg mindst én rolle."), {"roles": [_("Vælg mindst én rolle.")]})
    return result


def create_user(
    tenant: Tenant, email: str, name: str, roles: Iterable[str], *, actor: Any = None
) -> User:
    """A person, created ahead of their first sign-in (matched then by e-mail address)."""
    email = email.strip().lower()
    name = name.strip()
    errors: dict[str, list[str]] = {}
    if not EMAIL_RE.match(email):
        errors["email"] = [_("Skriv en gyldig e-mailadresse.")]
    if not name:
        errors["name"] = [_("Skriv et navn.")]
    if errors:
        raise Invalid(_("Brugeren kunne ikke oprettes."), errors)
    roles = normalise_roles(roles)
    if user_by_email(tenant, email) is not None:
        raise Invalid(
            _("Der findes allerede en bruger med den e-mailadresse."),
            {"email": [_("Der findes allerede en bruger med den e-mailadresse.")]},
        )
    user = User(tenant_id=tenant.id, email=email, name=name, roles=roles)
    db.session.add(user)
    db.session.flush()
    if actor is not None:
        audit.record(
            tenant.id, actor, audit.USER_CREATED, {"user": user.email, "roles": user.roles}
        )
    return user


SERVICE_EMAIL_DOMAIN = "tjenestekonto.invalid"  # reserved (RFC 2606): never delivered


def create_service_account(tenant: Tenant, name: str, roles: Iterable[str], actor: Any) -> User:
    """An account for an integration: it holds API tokens, never signs in interactively,
    and what it changes through the API is credited to it."""
    name = name.strip()
    errors: dict[str, list[str]] = {}
    if not name or len(name) > 200:
        errors["service_name"] = [_("Skriv et navn på højst 200 tegn.")]
    try:
        roles = normalise_roles(roles)
    except Invalid as e:
        errors["service_roles"] = e.errors["roles"]
    else:
        if Role.TENANT_ADMIN.value in roles:
            errors["service_roles"] = [_("En tjenestekonto kan ikke være administrator.")]
    if errors:
        raise Invalid(_("Tjenestekontoen kunne ikke oprettes."), errors)
    user = User(
        tenant_id=tenant.id,
        email=f"{uuid.uuid4().hex[:12]}@{SERVICE_EMAIL_DOMAIN}",
        name=name,
        roles=roles,
        kind=SERVICE,
    )
    db.session.add(user)
    db.session.flush()
    audit.record(
        tenant.id, actor, audit.SERVICE_ACCOUNT_CREATED, {"user": user.name, "roles": roles}
    )
    return user


def end_sessions(user: User) -> None:
    """Every session of `user` made before now is refused from its next request."""
    user.session_epoch = (user.session_epoch or 0) + 1


def user_by_email(tenant: Tenant, email: str) -> User | None:
    return db.session.scalar(
        select(User).where(User.tenant_id == tenant.id, func.lower(User.email) == email.lower())
    )


def get_user(tenant: Tenant, user_id: uuid.UUID) -> User:
    user = db.session.get(User, (tenant.id, user_id))
    if user is None:
        raise NotFound(_("Brugeren findes ikke."))
    return user


def list_users(tenant: Tenant) -> list[User]:
    return list(
        db.session.scalars(select(User).where(User.tenant_id == tenant.id).order_by(User.name))
    )


def people(tenant: Tenant) -> list[User]:
    """The municipality's people (no service accounts), for the development login."""
    return [u for u in list_users(tenant) if u.kind == PERSON]


def _name_or_email_has(word: str) -> ColumnElement[bool]:
    return or_(
        search.contains(search.folded(User.name), word),
        search.contains(search.folded(User.email), word),
    )


def find_users(tenant: Tenant, q: str = "", page: int = 1, per_page: int = PER_PAGE) -> Page[User]:
    """The users page: every word of `q` in the name or e-mail address, a page at a time."""
    conditions = [User.tenant_id == tenant.id]
    conditions += [_name_or_email_has(word) for word in q.lower().split()[:10]]
    query = select(User).where(*conditions).order_by(func.lower(User.name), User.email)
    return paginate(query, page, per_page)


def search_active_users(tenant: Tenant, q: str, limit: int) -> list[Any]:
    """For a person picker: up to `limit` active users of `tenant` whose name or e-mail
    address contains every word of `q` (case folded), those whose name begins with `q`
    first. Only the name and the e-mail address (rows with .name and .email)."""
    words = q.lower().split()
    if not words:
        return []
    conditions = [User.tenant_id == tenant.id, User.active, User.kind == PERSON]
    conditions += [_name_or_email_has(word) for word in words]
    begins = search.begins(search.folded(User.name), " ".join(words))
    return list(
        db.session.execute(
            select(User.name, User.email)
            .where(*conditions)
            .order_by(begins.desc(), User.name, User.email)
            .limit(limit)
        )
    )


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    user: User, name: str = "", *, created_by: User | None = None, actor: Any = None
) -> tuple[ApiToken, str]:
    """Create a token for `user`; the plain token is returned once and never stored.

    Who may ask for whose token is `issue_token`'s rule; this is also the command line's
    way in (`actor` then names the shell's user for the audit log).
    """
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        tenant_id=user.tenant_id,
        user_id=user.id,
        created_by=created_by.id if created_by is not None else None,
        name=name.strip()[:200] or _("API-nøgle"),
        token_hash=hash_token(secret),
        prefix=secret[:10],
    )
    db.session.add(token)
    db.session.flush()
    audit.record(
        user.tenant_id,
        created_by if created_by is not None else actor or "",
        audit.TOKEN_CREATED,
        {"token": token.name, "prefix": token.prefix, "user": user.name},
    )
    return token, secret


def issue_token(actor: User, owner: User, name: str = "") -> tuple[ApiToken, str]:
    """An administrator's token: for themselves or for one of the municipality's service
    accounts, never for a colleague (who would be impersonated)."""
    if owner.tenant_id != actor.tenant_id or not (owner.id == actor.id or owner.is_service):
        raise Forbidden(_("Du kan kun oprette nøgler til dig selv og til tjenestekonti."))
    if not owner.active:
        message = _("Brugeren er deaktiveret.")
        raise Invalid(message, {"user_id": [message]})
    return create_token(owner, name, created_by=actor)


def revoke_token(tenant: Tenant, token_id: uuid.UUID, *, actor: Any = None) -> ApiToken:
    token = db.session.get(ApiToken, (tenant.id, token_id))
    if token is None:
        raise NotFound(_("Nøglen findes ikke."))
    if token.revoked_at is None:
        token.revoked_at = datetime.now(UTC)
        audit.record(
            tenant.id,
            actor or "",
            audit.TOKEN_REVOKED,
            {"token": token.name, "prefix": token.prefix},
        )
    db.session.flush()
    return token


def list_tokens(tenant: Tenant) -> list[ApiToken]:
    return list(
        db.session.scalars(
            select(ApiToken).where(ApiToken.tenant_id == tenant.id).order_by(ApiToken.created_at)
        )
    )


def authenticate_token(secret: str) -> User:
    """Find the token's tenant and user, and act for that tenant from now on.

    The tenant is not known before the lookup, so it goes through the narrow
    SECURITY DEFINER function `auth_api_token`, which returns ids only.
    """
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        raise TokenRejected()
    row = db.session.execute(
        text("select tenant_id, token_id, user_id from auth_api_token(:h)"),
        {"h": hash_token(secret)},
    ).first()
    if row is None:
        raise TokenRejected()
    tenant = db.session.get(Tenant, row.tenant_id)
    if tenant is None:
        raise TokenRejected()
    if not tenant.is_active:
        raise TenantSuspended(tenant)
    activate_tenant(tenant)
    user = db.session.get(User, (tenant.id, row.user_id))
    if user is None or not user.active:
        raise TokenRejected()
    token = db.session.get(ApiToken, (tenant.id, row.token_id))
    now = datetime.now(UTC)
    # Written at most every few minutes, so reads stay cheap.
    if token is not None and (
        token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5)
    ):
        token.last_used_at = now
    return user


# --- Identity provider settings and single sign-on ------------------------------------


IDP_ACTOR = "idp"  # the audit log's actor for what the provider's claims changed


class LoginRefused(Exception):
    """The provider vouched for the person, but this tenant does not let them in (403)."""


ROLE_CLAIM_RE = re.compile(r"^[A-Za-z0-9_.:/-]{1,100}$")
DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9-]{1,63}\.)+[a-z]{2,63}$")


def get_idp(tenant: Tenant) -> TenantIdp | None:
    return db.session.get(TenantIdp, tenant.id)


def parse_role_mapping(text_value: str) -> dict[str, str]:
    """Lines of `claim value = role`; blank lines and lines starting with # are skipped."""
    mapping: dict[str, str] = {}
    problems = []
    for number, line in enumerate(text_value.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        value, sep, role = line.rpartition("=")
        value, role = value.strip(), role.strip()
        if not sep or not value:
            problems.append(_("Linje %(n)d: skriv værdi = rolle.", n=number))
        elif role not in Role.__members__.values():
            problems.append(_("Linje %(n)d: ukendt rolle %(role)s.", n=number, role=role))
        else:
            mapping[value] = role
    if problems:
        raise Invalid(_("Rolletildelingen kunne ikke læses."), {"role_mapping": problems})
    return mapping


def save_idp(
    tenant: Tenant,
    *,
    issuer: str,
    client_id: str,
    client_secret: str | None = None,
    scopes: str = "openid profile email",
    role_claim: str = "roles",
    role_mapping: dict[str, str] | None = None,
    default_role: str | None = "employee",
    allowed_domains: Iterable[str] = (),
    actor: Any = None,
) -> TenantIdp:
    """Create or update the tenant's OIDC provider. A secret of None keeps the stored one.

    The municipality's audit log gets what changed and whether the secret did, never it."""
    from urllib.parse import urlsplit

    from ..crypto import EncryptionUnavailable, encrypt

    issuer, client_id = issuer.strip(), client_id.strip()
    errors: dict[str, list[str]] = {}
    try:
        parts = urlsplit(issuer)
        parts.hostname  # noqa: B018 (raises for a broken host such as "[")
    except ValueError:
        parts = urlsplit("")
    if parts.scheme not in ("https", "http") or not parts.netloc or parts.query or parts.fragment:
        errors["issuer"] = [_("Skriv udstederens fulde adresse, fx https://login.kommune.dk.")]
    elif parts.scheme == "http" and parts.hostname not in ("localhost", "127.0.0.1", "::1"):
        errors["issuer"] = [_("Udstederen skal bruge https.")]
    if not client_id:
        errors["client_id"] = [_("Feltet skal udfyldes.")]
    scope_list = scopes.split()
    if "openid" not in scope_list:
        errors["scopes"] = [_("Scopes skal indeholde openid.")]
    if not ROLE_CLAIM_RE.match(role_claim.strip()):
        errors["role_claim"] = [_("Skriv navnet på det claim, der bærer roller, fx roles.")]
    mapping, domains = _validated_roles(role_mapping, default_role, allowed_domains, errors)
    idp = get_idp(tenant)
    before = idp_form_values(idp) if idp is not None else {}
    if client_secret is None and (idp is None or not idp.has_secret):
        errors["client_secret"] = [_("Feltet skal udfyldes.")]
    if errors:
        raise Invalid(_("Indstillingerne kunne ikke gemmes."), errors)
    if idp is None:
        idp = TenantIdp(tenant_id=tenant.id)
        db.session.add(idp)
    if client_secret is not None:
        try:
            idp.client_secret_encrypted = encrypt(client_secret)
        except EncryptionUnavailable as e:
            raise Invalid(str(e), {"client_secret": [str(e)]}) from None
    idp.protocol = "oidc"
    idp.issuer = issuer
    idp.client_id = client_id
    idp.scopes = " ".join(dict.fromkeys(scope_list))
    idp.role_claim = role_claim.strip()
    idp.role_mapping = mapping
    idp.default_role = default_role or None
    idp.allowed_domains = domains
    db.session.flush()
    _audit_idp_change(tenant, actor, before, idp, secret_changed=client_secret is not None)
    return idp


def _validated_roles(
    role_mapping: dict[str, str] | None,
    default_role: str | None,
    allowed_domains: Iterable[str],
    errors: dict[str, list[str]],
) -> tuple[dict[str, str], list[str]]:
    """The role mapping, default role and allowed e-mail domains every provider has
    (OIDC, SAML, KOMBIT); problems go into `errors`."""
    mapping = dict(role_mapping or {})
    bad_roles = sorted({r for r in mapping.values() if r not in Role.__members__.values()})
    if bad_roles:
        errors["role_mapping"] = [_("Ukendt rolle: %(role)s", role=", ".join(bad_roles))]
    if default_role and default_role not in Role.__members__.values():
        errors["default_role"] = [_("Ukendt rolle: %(role)s", role=default_role)]
    domains = sorted({d.strip().lower().lstrip("@") for d in allowed_domains if d.strip()})
    bad_domains = [d for d in domains if not DOMAIN_RE.match(d)]
    if bad_domains:
        errors["allowed_domains"] = [_("Ugyldigt domæne: %(d)s", d=", ".join(bad_domains))]
    return mapping, domains


def _validated_common(
    role_claim: str,
    role_mapping: dict[str, str] | None,
    default_role: str | None,
    allowed_domains: Iterable[str],
    min_loa: str,
    errors: dict[str, list[str]],
) -> tuple[dict[str, str], list[str]]:
    """The checks SAML and KOMBIT settings share; problems go into `errors`."""
    from .saml import LOA_LEVELS

    if role_claim and not SAML_ATTRIBUTE_RE.match(role_claim.strip()):
        errors["role_claim"] = [_("Skriv navnet på den attribut, der bærer roller.")]
    mapping, domains = _validated_roles(role_mapping, default_role, allowed_domains, errors)
    if min_loa not in LOA_LEVELS:
        errors["min_loa"] = [_("Vælg Low, Substantial eller High.")]
    return mapping, domains


SAML_ATTRIBUTE_RE = re.compile(r"^[A-Za-z0-9_.:/#-]{1,200}$")
PEM_RE = re.compile(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.DOTALL)


def split_certificates(value: str) -> list[str]:
    """PEM certificates pasted one after another (text that is none is kept, to be named)."""
    found = PEM_RE.findall(value)
    return found if found or not value.strip() else [value]


def save_saml_idp(
    tenant: Tenant,
    *,
    metadata: str | None = None,
    metadata_url: str | None = None,
    certificates: Iterable[str] = (),
    role_claim: str = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role",
    role_mapping: dict[str, str] | None = None,
    default_role: str | None = "employee",
    allowed_domains: Iterable[str] = (),
    min_loa: str = "Substantial",
    actor: Any = None,
) -> TenantIdp:
    """Create or update the municipality's own SAML provider (AD FS and the like).

    The metadata comes as text (an upload) or is read from `metadata_url` now; None for
    both keeps the stored one. `certificates` (PEM) are signing keys beside the metadata's,
    for a rollover."""
    from .saml import (
        BadMetadata,
        check_certificate,
        fetch_metadata,
        metadata_address_secure,
        read_idp_metadata,
    )

    errors: dict[str, list[str]] = {}
    idp = get_idp(tenant)
    before = idp_form_values(idp) if idp is not None else {}
    url = (metadata_url or "").strip() or None
    if url:
        try:
            parts = urlsplit(url)
            parts.hostname  # noqa: B018 (raises for a broken host such as "[")
        except ValueError:
            parts = urlsplit("")
        if parts.scheme not in ("https", "http") or not parts.netloc:
            errors["saml_metadata_url"] = [_("Skriv metadataens fulde adresse (https://…).")]
        elif not metadata_address_secure(url):
            errors["saml_metadata_url"] = [_("Metadata skal hentes over https.")]
        elif not (metadata or "").strip():
            try:
                metadata = fetch_metadata(url)
            except BadMetadata:
                errors["saml_metadata_url"] = [_("Metadata kunne ikke hentes fra adressen.")]
    if not (metadata or "").strip():
        metadata = idp.saml_metadata if idp is not None and idp.protocol == "saml" else None
    entity_id = ""
    if not metadata:
        errors.setdefault("saml_metadata", [_("Upload metadata, eller skriv adressen på den.")])
    else:
        try:
            entity_id = read_idp_metadata(metadata)
        except BadMetadata:
            errors["saml_metadata"] = [
                _("Filen er ikke brugbar SAML-metadata for en identitetsudbyder.")
            ]
    pems = []
    for number, pem in enumerate(c for c in certificates if c.strip()):
        try:
            check_certificate(pem)
            pems.append(pem.strip())
        except BadMetadata:
            errors["saml_certificates"] = [
                _("Certifikat nr. %(n)d er ikke et PEM-certifikat.", n=number + 1)
            ]
    mapping, domains = _validated_common(
        role_claim, role_mapping, default_role, allowed_domains, min_loa, errors
    )
    if errors:
        raise Invalid(_("Indstillingerne kunne ikke gemmes."), errors)
    if idp is None:
        idp = TenantIdp(tenant_id=tenant.id)
        db.session.add(idp)
    idp.protocol = SAML
    idp.issuer = entity_id
    idp.client_id = ""
    idp.client_secret_encrypted = None
    idp.saml_metadata = metadata
    idp.saml_metadata_url = url
    idp.saml_certificates = pems
    idp.role_claim = role_claim.strip()
    return _save_common(tenant, actor, before, idp, mapping, default_role, domains, min_loa)


METADATA_REFRESHER = "Autoproces (daglig opdatering af SAML-metadata)"


def refresh_saml_metadata(tenant: Tenant, day: Any = None) -> int:
    """The daily job: read the municipality's own SAML provider's metadata again from its
    address, so that a signing key the provider rolls over by itself (AD FS does) is
    trusted in time. A failed read keeps the stored metadata (logged, tried again
    tomorrow), and so does metadata naming another entity ID: users are keyed by it, so
    that change is the administrator's. Returns 1 when the metadata changed."""
    from .saml import BadMetadata, fetch_metadata, read_idp_metadata

    idp = get_idp(tenant)
    if idp is None or idp.protocol != SAML or not idp.saml_metadata_url:
        return 0
    try:
        metadata = fetch_metadata(idp.saml_metadata_url)
        entity_id = read_idp_metadata(metadata)
    except BadMetadata as e:
        log.warning("SAML metadata of %s not refreshed: %s", tenant.slug, e)
        return 0
    if entity_id != idp.issuer:
        log.warning(
            "SAML metadata of %s now names %r, not %r: kept the stored metadata",
            tenant.slug,
            entity_id,
            idp.issuer,
        )
        return 0
    if metadata == idp.saml_metadata:
        return 0
    before = idp_form_values(idp)
    idp.saml_metadata = metadata
    db.session.flush()
    _audit_idp_change(tenant, METADATA_REFRESHER, before, idp)
    return 1


def save_kombit(
    tenant: Tenant,
    *,
    min_loa: str = "Substantial",
    role_mapping: dict[str, str] | None = None,
    default_role: str | None = None,
    allowed_domains: Iterable[str] = (),
    actor: Any = None,
) -> TenantIdp:
    """Sign the municipality's staff in through the platform's KOMBIT connection: the
    assertion's CVR number (the municipality's) routes them here. Roles come from the
    user-system roles (OIO-BPP), plus `role_mapping` for privileges of the municipality's
    own naming."""
    errors: dict[str, list[str]] = {}
    if not tenant.cvr:
        errors["protocol"] = [_("Kommunen har intet CVR-nummer; operatøren skal angive det.")]
    mapping, domains = _validated_common(
        "", role_mapping, default_role, allowed_domains, min_loa, errors
    )
    if errors:
        raise Invalid(_("Indstillingerne kunne ikke gemmes."), errors)
    idp = get_idp(tenant)
    before = idp_form_values(idp) if idp is not None else {}
    if idp is None:
        idp = TenantIdp(tenant_id=tenant.id)
        db.session.add(idp)
    idp.protocol = KOMBIT
    idp.issuer = "kombit"  # users carry the Context Handler's entity ID as their issuer
    idp.client_id = ""
    idp.client_secret_encrypted = None
    idp.saml_metadata = None
    idp.saml_metadata_url = None
    idp.saml_certificates = []
    idp.role_claim = ""
    return _save_common(tenant, actor, before, idp, mapping, default_role, domains, min_loa)


def _save_common(
    tenant: Tenant,
    actor: Any,
    before: dict[str, str],
    idp: TenantIdp,
    mapping: dict[str, str],
    default_role: str | None,
    domains: list[str],
    min_loa: str,
) -> TenantIdp:
    """What SAML and KOMBIT settings store alike, then the audit of what changed."""
    idp.role_mapping = mapping
    idp.default_role = default_role or None
    idp.allowed_domains = domains
    idp.min_loa = min_loa
    db.session.flush()
    _audit_idp_change(tenant, actor, before, idp)
    return idp


def _audit_idp_change(
    tenant: Tenant,
    actor: Any,
    before: dict[str, str],
    idp: TenantIdp,
    *,
    secret_changed: bool = False,
) -> None:
    """What changed in the provider's settings, in the municipality's audit log: names
    and values, never the client secret (only whether it changed), and for SAML metadata
    only that it did."""
    after = idp_form_values(idp)
    changes = {
        key: {"from": before.get(key) or None, "to": after[key] or None}
        for key in after
        if key != "saml_metadata" and (before.get(key) or None) != (after[key] or None)
    }
    if (before.get("saml_metadata") or None) != (after.get("saml_metadata") or None):
        changes["saml_metadata"] = {"from": None, "to": idp.issuer}
    if changes or secret_changed:
        audit.record(
            tenant.id,
            actor or "",
            audit.IDP_CHANGED,
            {"created": not before, "changes": changes, "client_secret_changed": secret_changed},
        )


def idp_form_values(idp: object | None) -> dict[str, str]:
    """An identity provider's settings as form values (never the secret), or the defaults.

    Shared by the municipality administrator's page and the operator console.
    """
    if idp is None:
        return {
            "protocol": OIDC,
            "scopes": "openid profile email",
            "role_claim": "roles",
            "default_role": "employee",
            "min_loa": "Substantial",
        }
    return {
        "protocol": getattr(idp, "protocol", OIDC),
        "min_loa": getattr(idp, "min_loa", "Substantial"),
        "saml_metadata": getattr(idp, "saml_metadata", None) or "",
        "saml_metadata_url": getattr(idp, "saml_metadata_url", None) or "",
        "saml_certificates": "\n".join(getattr(idp, "saml_certificates", None) or []),
        "issuer": idp.issuer,
        "client_id": idp.client_id,
        "scopes": idp.scopes,
        "role_claim": idp.role_claim,
        "role_mapping": "\n".join(f"{k} = {v}" for k, v in sorted(idp.role_mapping.items())),
        "default_role": idp.default_role or "",
        "allowed_domains": "\n".join(idp.allowed_domains),
    }


def idp_client(idp: TenantIdp) -> OidcClient:
    from ..crypto import decrypt

    secret = decrypt(idp.client_secret_encrypted) if idp.client_secret_encrypted else None
    return OidcClient(idp.issuer, idp.client_id, secret, idp.scopes)


def _claim_values(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [str(v) for v in value if isinstance(v, str | int)]
    return []


def mapped_roles(idp: TenantIdp, values: Iterable[str]) -> list[str]:
    """Our roles for the provider's claim or attribute values, by the tenant's mapping."""
    return normalise_roles_quiet(idp.role_mapping.get(v) for v in values)


def sso_user(tenant: Tenant, idp: TenantIdp, claims: dict) -> User:
    """The user an OIDC provider vouched for (see `provision_user`)."""
    subject = str(claims.get("sub") or "")
    # Entra ID may leave `email` out; its preferred_username is then the UPN (an address).
    email = str(claims.get("email") or claims.get("preferred_username") or "").strip().lower()
    name = str(
        claims.get("name")
        or " ".join(str(claims.get(k, "")) for k in ("given_name", "family_name")).strip()
        or email
    )[:200]
    mapped = mapped_roles(idp, _claim_values(claims.get(idp.role_claim)))
    return provision_user(tenant, idp, idp.issuer, subject, email, name, mapped)


def provision_user(
    tenant: Tenant,
    idp: TenantIdp,
    issuer: str,
    subject: str,
    email: str,
    name: str,
    mapped: list[str],
) -> User:
    """The user a provider (OIDC or SAML) vouched for: found by (issuer, subject), else
    created (with the roles of a pending invitation to the address, if any).

    Name, e-mail and roles (`mapped`, from the provider) are refreshed at every login.
    """
    from .invitations import accept_invitation  # it builds on this module

    email = email.strip().lower()
    if not subject or not EMAIL_RE.match(email):
        raise LoginRefused(_("Log-in-løsningen sendte ingen gyldig e-mailadresse."))
    domain = email.rpartition("@")[2]
    if idp.allowed_domains and domain not in idp.allowed_domains:
        raise LoginRefused(
            _(
                "Brugere fra %(domain)s har ikke adgang til %(tenant)s.",
                domain=domain,
                tenant=tenant.name,
            )
        )
    name = (name.strip() or email)[:200]
    # The first administrator the operator named is let in as one, whatever the mapping says.
    if tenant.first_admin_email and email == tenant.first_admin_email.lower():
        if mapped or not idp.default_role:
            mapped = normalise_roles_quiet([*mapped, Role.TENANT_ADMIN.value])
        else:
            mapped = normalise_roles_quiet([idp.default_role, Role.TENANT_ADMIN.value])
    user = db.session.scalar(
        select(User).where(
            User.tenant_id == tenant.id, User.issuer == issuer, User.subject == subject
        )
    )
    if user is None:
        by_email = user_by_email(tenant, email)
        if by_email is not None and by_email.is_service:
            raise LoginRefused(_("En tjenestekonto kan ikke logge ind."))
        if by_email is not None and by_email.subject is None:
            user = by_email  # created ahead of the first login (CLI or administrator)
            user.issuer, user.subject = issuer, subject
        elif by_email is not None:
            raise LoginRefused(_("En anden bruger i kommunen har allerede denne e-mailadresse."))
    elif user.email != email and user_by_email(tenant, email) is not None:
        raise LoginRefused(_("En anden bruger i kommunen har allerede denne e-mailadresse."))
    if user is None:
        roles_source = "mapping" if mapped else "default"
        invited = accept_invitation(tenant, email)  # None: no pending invitation
        if invited:
            # Kept at later sign-ins unless the provider's mapping gives roles (as always).
            roles_source = "mapping" if mapped else "manual"
            mapped = normalise_roles_quiet([*mapped, *invited])
        if not mapped and not idp.default_role:
            raise LoginRefused(_("Din rolle giver ikke adgang til Autoproces i kommunen."))
        user = User(
            tenant_id=tenant.id,
            issuer=issuer,
            subject=subject,
            email=email,
            name=name,
            roles=mapped or [idp.default_role],
            roles_source=roles_source,
        )
        db.session.add(user)
    else:
        if not user.active:
            raise LoginRefused(_("Din bruger er deaktiveret. Kontakt kommunens administrator."))
        before = list(user.roles)
        user.email, user.name = email, name
        if mapped:
            user.roles, user.roles_source = mapped, "mapping"
        elif user.roles_source != "manual":
            if not idp.default_role:
                raise LoginRefused(_("Din rolle giver ikke adgang til Autoproces i kommunen."))
            user.roles, user.roles_source = [idp.default_role], "default"
        if set(before) != set(user.roles):
            # Sessions from before (other browsers) carry the old roles: end them.
            end_sessions(user)
            audit.record(
                tenant.id,
                IDP_ACTOR,
                audit.USER_ROLES,
                {"user": user.name, "roles": {"from": before, "to": list(user.roles)}},
            )
    user.last_login_at = datetime.now(UTC)
    db.session.flush()
    return user


def saml_user(tenant: Tenant, idp: TenantIdp, assertion: Any, role_prefix: str = "") -> User:
    """The user a checked SAML assertion (`saml.Assertion`) vouches for, through KOMBIT
    (roles from the OIO-BPP privileges scoped to the municipality's CVR) or the
    municipality's own provider (roles from `idp.role_claim` by the mapping, as OIDC)."""
    from . import saml

    level = saml.assurance_level(assertion)
    if not saml.loa_sufficient(level, idp.min_loa):
        raise LoginRefused(
            _(
                "Dit log-in har sikringsniveau %(level)s, men %(tenant)s kræver mindst "
                "%(minimum)s (NSIS). Log ind med et stærkere log-in-middel.",
                level=level or _("ukendt"),
                tenant=tenant.name,
                minimum=idp.min_loa,
            )
        )
    if idp.protocol == KOMBIT:
        found = saml.privileges(assertion.values(saml.PRIVILEGE_ATTRIBUTES), tenant.cvr or "")
        mapped = normalise_roles_quiet(
            [*saml.roles_from_privileges(found, role_prefix), *mapped_roles(idp, found)]
        )
    else:
        mapped = mapped_roles(idp, assertion.values((idp.role_claim,)) if idp.role_claim else [])
    return provision_user(
        tenant,
        idp,
        assertion.issuer,
        assertion.name_id["text"],
        assertion.first(saml.EMAIL_ATTRIBUTES),
        saml.display_name(assertion),
        mapped,
    )


def normalise_roles_quiet(roles: Iterable[str | None]) -> list[str]:
    result: list[str] = []
    for role in roles:
        if role in Role.__members__.values() and role not in result:
            result.append(role)
    return result


def set_user_active(tenant: Tenant, user_id: uuid.UUID, active: bool, *, actor: Any = None) -> User:
    """Deactivating ends the user's sessions at once; their tokens are refused too."""
    user = get_user(tenant, user_id)
    if user.active != active:
        user.active = active
        end_sessions(user)
        action = audit.USER_ACTIVATED if active else audit.USER_DEACTIVATED
        audit.record(tenant.id, actor or "", action, {"user": user.name})
    db.session.flush()
    return user


def set_user_roles(
    tenant: Tenant, user_id: uuid.UUID, roles: Iterable[str], *, actor: Any = None
) -> User:
    """An administrator's choice of roles; not for users whose roles the IdP mapping sets.

    A change ends the user's sessions: they sign in again with the new roles."""
    user = get_user(tenant, user_id)
    if user.roles_source == "mapping":
        raise Invalid(
            _("Rollen styres af kommunens log-in-løsning og kan ikke ændres her."),
            {"roles": [_("Rollen styres af kommunens log-in-løsning og kan ikke ændres her.")]},
        )
    new_roles = normalise_roles(roles)
    if user.is_service and Role.TENANT_ADMIN.value in new_roles:
        message = _("En tjenestekonto kan ikke være administrator.")
        raise Invalid(message, {"roles": [message]})
    before = list(user.roles)
    user.roles = new_roles
    user.roles_source = "manual"
    if set(before) != set(new_roles):
        end_sessions(user)
        audit.record(
            tenant.id,
            actor or "",
            audit.USER_ROLES,
            {"user": user.name, "roles": {"from": before, "to": new_roles}},
        )
    db.session.flush()
    return user

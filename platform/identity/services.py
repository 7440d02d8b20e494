"""Users and API tokens: the only code that writes them."""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select, text

from ..db import db
from ..errors import Invalid, NotFound
from ..permissions import Role
from ..tenancy import Tenant, TenantSuspended, activate_tenant
from .models import ApiToken, User

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


def create_user(tenant: Tenant, email: str, name: str, roles: Iterable[str]) -> User:
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
    return user


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


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, name: str = "") -> tuple[ApiToken, str]:
    """Create a token for `user`; the plain token is returned once and never stored."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        tenant_id=user.tenant_id,
        user_id=user.id,
        name=name.strip() or _("API-nøgle"),
        token_hash=hash_token(secret),
        prefix=secret[:10],
    )
    db.session.add(token)
    db.session.flush()
    return token, secret


def revoke_token(tenant: Tenant, token_id: uuid.UUID) -> ApiToken:
    token = db.session.get(ApiToken, (tenant.id, token_id))
    if token is None:
        raise NotFound(_("Nøglen findes ikke."))
    if token.revoked_at is None:
        token.revoked_at = datetime.now(UTC)
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

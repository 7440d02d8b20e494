"""Invitations by e-mail: the municipality's administrator or the operator invites an address
with roles; the invitation e-mail goes through the outbox; the person's first sign-in through
the municipality's provider is matched by address (case-insensitively) and gets the invited
roles, until the invitation expires (AUTOPROCES_INVITATION_DAYS) or is revoked.

The only code that writes `user_invitation`. The match (`accept_invitation`) is protocol
neutral: the provider's callback calls it from the one place a user is created.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from .. import audit
from ..db import db
from ..errors import Invalid, NotFound
from ..i18n import format_when
from ..outbox.services import queue_mail
from ..permissions import ROLE_LABELS, Role
from ..tenancy import Tenant
from ..urls import external_url
from .models import Invitation, User
from .services import EMAIL_RE, get_idp, normalise_roles, user_by_email

MAIL_KIND = "identity.invitation"
MAIL_LOCALE = "da"
MAX_EMAIL_LENGTH = 254


def _actor_columns(actor: Any) -> tuple[uuid.UUID | None, str]:
    if isinstance(actor, User):
        return actor.id, actor.name
    return None, str(actor or "")


def _check_email(tenant: Tenant, email: str) -> str | None:
    """The Danish reason `email` cannot be invited, or None."""
    if (
        len(email) > MAX_EMAIL_LENGTH
        or not EMAIL_RE.match(email)
        or any(ord(c) < 32 or ord(c) == 127 for c in email)
    ):
        return _("Skriv en gyldig e-mailadresse.")
    if user_by_email(tenant, email) is not None:
        return _("Der findes allerede en bruger med den e-mailadresse.")
    idp = get_idp(tenant)
    domain = email.rpartition("@")[2]
    if idp is not None and idp.allowed_domains and domain not in idp.allowed_domains:
        return _(
            "Brugere fra %(domain)s kan ikke logge ind i kommunen (se Log-in og roller).",
            domain=domain,
        )
    if _open_invitation(tenant, email) is not None:
        return _("Der er allerede en ventende invitation til den e-mailadresse.")
    return None


def _open_invitation(tenant: Tenant, email: str, *, lock: bool = False) -> Invitation | None:
    """The address's invitation that is neither accepted, revoked nor expired."""
    query = (
        select(Invitation)
        .where(
            Invitation.tenant_id == tenant.id,
            Invitation.email == email.lower(),
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > datetime.now(UTC),
        )
        .order_by(Invitation.created_at.desc())
        .limit(1)
    )
    return db.session.scalar(query.with_for_update() if lock else query)


def invite(tenant: Tenant, email: str, roles: Iterable[str], *, actor: Any) -> Invitation:
    """Invite `email` with `roles` into the current municipality and queue the e-mail.

    `actor` is the administrator (a User) or a string for the logs (an operator)."""
    email = email.strip().lower()
    errors: dict[str, list[str]] = {}
    problem = _check_email(tenant, email)
    if problem:
        errors["email"] = [problem]
    try:
        roles = normalise_roles(roles)
    except Invalid as e:
        errors["roles"] = e.errors["roles"]
    if errors:
        raise Invalid(_("Invitationen kunne ikke sendes."), errors)
    invited_by_id, invited_by_name = _actor_columns(actor)
    days = current_app.config["AUTOPROCES_SETTINGS"].invitation_days
    invitation = Invitation(
        tenant_id=tenant.id,
        email=email,
        roles=roles,
        invited_by_id=invited_by_id,
        invited_by_name=invited_by_name[:254],
        expires_at=datetime.now(UTC) + timedelta(days=days),
    )
    db.session.add(invitation)
    db.session.flush()
    audit.record(
        tenant.id,
        actor,
        audit.INVITATION_CREATED,
        {"email": email, "roles": roles},
    )
    subject, body = _mail(tenant, invitation)
    queue_mail(tenant.id, email, subject, body, kind=MAIL_KIND)
    return invitation


def _mail(tenant: Tenant, invitation: Invitation) -> tuple[str, str]:
    with force_locale(MAIL_LOCALE):
        roles = ", ".join(str(ROLE_LABELS[Role(r)]) for r in invitation.roles)
        subject = _("Du er inviteret til Autoproces i %(tenant)s", tenant=tenant.name)
        body = _(
            "Du er inviteret til Autoproces, %(tenant)s' register over automatiseringer,"
            " med rollen: %(roles)s.\n\nLog ind med din arbejdskonto (%(email)s) her:"
            "\n\n%(link)s\n\nInvitationen gælder til %(until)s.",
            tenant=tenant.name,
            roles=roles,
            email=invitation.email,
            link=external_url("identity.login", tenant_slug=tenant.slug),
            until=format_when(invitation.expires_at),
        )
    return subject, body


def list_invitations(tenant: Tenant) -> list[Invitation]:
    """Every invitation of the municipality, the newest first."""
    return list(
        db.session.scalars(
            select(Invitation)
            .where(Invitation.tenant_id == tenant.id)
            .order_by(Invitation.created_at.desc(), Invitation.email)
        )
    )


def revoke_invitation(tenant: Tenant, invitation_id: uuid.UUID, *, actor: Any) -> Invitation:
    """A pending invitation stops granting anything; an accepted one cannot be revoked
    (deactivate the user instead)."""
    invitation = db.session.get(Invitation, (tenant.id, invitation_id), with_for_update=True)
    if invitation is None:
        raise NotFound(_("Invitationen findes ikke."))
    if invitation.accepted_at is not None:
        message = _("Invitationen er taget i brug. Deaktivér brugeren i stedet.")
        raise Invalid(message, {"invitation": [message]})
    if invitation.revoked_at is None:
        invitation.revoked_at = datetime.now(UTC)
        audit.record(
            tenant.id,
            actor,
            audit.INVITATION_REVOKED,
            {"email": invitation.email, "roles": list(invitation.roles)},
        )
        db.session.flush()
    return invitation


def accept_invitation(tenant: Tenant, email: str) -> list[str] | None:
    """At a person's first sign-in: the roles of the address's pending invitation, which is
    then used up (None when there is none, or it expired or was revoked).

    Locked, so two simultaneous first sign-ins use it once. Audited as the person's."""
    invitation = _open_invitation(tenant, email.strip().lower(), lock=True)
    if invitation is None:
        return None
    invitation.accepted_at = datetime.now(UTC)
    audit.record(
        tenant.id,
        invitation.email,
        audit.INVITATION_ACCEPTED,
        {"email": invitation.email, "roles": list(invitation.roles)},
    )
    db.session.flush()
    return list(invitation.roles)

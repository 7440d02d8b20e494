"""Danish labels of the identity settings and the municipality's audit log, shared by the
administrator's pages and the operator console."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .. import audit
from ..components import audit_labels
from ..permissions import ROLE_LABELS, Role
from .models import INVITATION_ACCEPTED, INVITATION_EXPIRED, INVITATION_PENDING, INVITATION_REVOKED

IDP_FIELD_LABELS = {
    "issuer": _l("Udsteder (issuer)"),
    "client_id": _l("Klient-id"),
    "client_secret": _l("Klienthemmelighed"),
    "scopes": _l("Scopes"),
    "role_claim": _l("Claim med roller"),
    "role_mapping": _l("Rolletildeling"),
    "default_role": _l("Standardrolle"),
    "allowed_domains": _l("Tilladte e-maildomæner"),
    "protocol": _l("Log-in-løsning"),
    "saml_metadata": _l("SAML-metadata"),
    "saml_metadata_url": _l("Adresse på SAML-metadata"),
    "saml_certificates": _l("Ekstra signeringscertifikater"),
    "min_loa": _l("Laveste sikringsniveau (NSIS)"),
}
ROLES_SOURCE_LABELS = {
    "mapping": _l("Fra log-in-løsningen"),
    "default": _l("Standardrolle"),
    "manual": _l("Sat af administrator"),
}
AUDIT_ACTION_LABELS = {
    audit.IDP_CHANGED: _l("Log-in-løsning ændret"),
    audit.USER_ROLES: _l("Roller ændret"),
    audit.USER_DEACTIVATED: _l("Bruger deaktiveret"),
    audit.USER_ACTIVATED: _l("Bruger aktiveret"),
    audit.USER_CREATED: _l("Bruger oprettet"),
    audit.SERVICE_ACCOUNT_CREATED: _l("Tjenestekonto oprettet"),
    audit.TOKEN_CREATED: _l("API-nøgle oprettet"),
    audit.TOKEN_REVOKED: _l("API-nøgle tilbagekaldt"),
    audit.SETTINGS_CHANGED: _l("Indstillinger ændret"),
    audit.TENANT_STATUS: _l("Kommunens status ændret"),
    audit.TENANT_CHANGED: _l("Kommunens stamdata ændret"),
    audit.INVITATION_CREATED: _l("Invitation sendt"),
    audit.INVITATION_REVOKED: _l("Invitation tilbagekaldt"),
    audit.INVITATION_ACCEPTED: _l("Invitation taget i brug"),
    audit.EXPORT_REQUESTED: _l("Eksport bestilt"),
    audit.EXPORT_DOWNLOADED: _l("Eksport hentet"),
    audit.OFFBOARDING_SCHEDULED: _l("Sletning af kommunen planlagt"),
    audit.OFFBOARDING_CANCELLED: _l("Planlagt sletning annulleret"),
}
INVITATION_FIELD_LABELS = {"email": _l("E-mailadresse"), "roles": _l("Roller")}
INVITATION_STATUS_LABELS = {
    INVITATION_PENDING: _l("Venter"),
    INVITATION_EXPIRED: _l("Udløbet"),
    INVITATION_ACCEPTED: _l("Taget i brug"),
    INVITATION_REVOKED: _l("Tilbagekaldt"),
}
STATUS_LABELS = {"active": _l("Aktiv"), "suspended": _l("Suspenderet")}
AUDIT_DETAIL_LABELS = {
    **IDP_FIELD_LABELS,
    "created": _l("Oprettet"),
    "client_secret_changed": _l("Ny klienthemmelighed"),
    "user": _l("Bruger"),
    "export": _l("Eksport"),
    "roles": _l("Roller"),
    "token": _l("Nøgle"),
    "prefix": _l("Begynder med"),
    "status": _l("Status"),
    "note": _l("Begrundelse"),
    "name": _l("Navn"),
    "municipality_code": _l("Kommunekode"),
    "cvr": _l("CVR-nummer"),
    "first_admin_email": _l("Første administrator"),
    "email": _l("E-mailadresse"),
}


def actor_label(actor_name: str) -> str:
    """Who did it, for people: a user's name, or what the special actors are."""
    kind, _sep, who = actor_name.partition(":")
    if actor_name == "idp":
        return _("Kommunens log-in-løsning")
    if kind == "operator" and who:
        return _("OS2-operatør (%(who)s)", who=who)
    if kind == "cli":
        return _("Kommandolinjen (%(who)s)", who=who or "?")
    return actor_name or "–"


def describe(details: dict[str, Any]) -> list[tuple[str, str]]:
    """An entry's details as (label, text) pairs for people."""

    def show(value: Any, key: str = "") -> str:
        if value is None or value == "" or value == [] or value == {}:
            return "–"
        if isinstance(value, bool):
            return _("ja") if value else _("nej")
        if isinstance(value, dict):
            if set(value) == {"from", "to"}:
                return f"{show(value['from'], key)} → {show(value['to'], key)}"
            return ", ".join(f"{k} = {show(v)}" for k, v in value.items())
        if isinstance(value, list):
            return ", ".join(show(v, key) for v in value)
        if key in ("roles", "default_role") and value in Role.__members__.values():
            return str(ROLE_LABELS[Role(value)])
        if key == "status" and value in STATUS_LABELS:
            return str(STATUS_LABELS[value])
        return str(value)

    labels = {**AUDIT_DETAIL_LABELS, **audit_labels()}
    pairs: list[tuple[str, str]] = []
    for key, value in details.items():
        if key == "changes" and isinstance(value, dict):
            pairs.extend((str(labels.get(k, k)), show(v, k)) for k, v in value.items())
        else:
            pairs.append((str(labels.get(key, key)), show(value, key)))
    return pairs

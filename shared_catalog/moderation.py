"""The operator's moderation of the catalogue: hiding an entry with a reason, and showing it
again. Audited in the operator's log (and the publisher's own, when the entry is ours), and
the publishing municipality's automation team is told by e-mail through the outbox.

The operator sees an entry's metadata only (id, title, publishing municipality, versions,
dates, status, origin): never the process behind it (DESIGN.md, Tenancy). Which
municipality published which entry comes from the narrow SECURITY DEFINER function
`catalogue_entry_publishers()` (migration 0014), since the operator has no tenant."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, text

from autoproces.platform.db import db
from autoproces.platform.errors import Invalid, NotFound
from autoproces.platform.operator import services as operator_services
from autoproces.platform.operator.models import Operator
from autoproces.platform.outbox.services import queue_for_team
from autoproces.platform.pagination import Page, paginate
from autoproces.platform.tenancy import Tenant
from autoproces.platform.urls import external_url

from .models import CatalogueEntry, CatalogueVersion

HIDE = "catalogue.hide"
UNHIDE = "catalogue.unhide"
TENANT_HIDDEN = "catalogue.hidden"
TENANT_UNHIDDEN = "catalogue.unhidden"
MAIL_KIND_HIDDEN = "catalogue_hidden"
MAIL_KIND_UNHIDDEN = "catalogue_unhidden"
MAIL_LOCALE = "da"
MAX_REASON = 1000
PER_PAGE = 50

STATUS_LABELS = {
    "published": _l("Offentliggjort"),
    "withdrawn": _l("Trukket tilbage"),
    "hidden": _l("Skjult af operatøren"),
}


@dataclass(frozen=True)
class EntryMeta:
    """What the operator sees of an entry."""

    entry: CatalogueEntry
    title: str
    versions: int
    publisher: Tenant | None  # None for a mirrored entry (another instance's)

    @property
    def status(self) -> str:
        if self.entry.hidden_at is not None:
            return "hidden"
        return "withdrawn" if self.entry.withdrawn_at is not None else "published"

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])


def publishers() -> dict[uuid.UUID, uuid.UUID]:
    """Entry id -> the id of the municipality that published it."""
    rows = db.session.execute(text("select entry_id, tenant_id from catalogue_entry_publishers()"))
    return {row.entry_id: row.tenant_id for row in rows}


def _publisher_of(entry_id: uuid.UUID) -> Tenant | None:
    tenant_id = db.session.scalar(
        text("select tenant_id from catalogue_entry_publishers() where entry_id = :entry"),
        {"entry": entry_id},
    )
    return db.session.get(Tenant, tenant_id) if tenant_id else None


def _meta(entries: list[CatalogueEntry], by_entry: dict[uuid.UUID, uuid.UUID]) -> list[EntryMeta]:
    counts = dict(
        db.session.execute(
            select(CatalogueVersion.entry_id, func.count())
            .where(CatalogueVersion.entry_id.in_([e.id for e in entries]))
            .group_by(CatalogueVersion.entry_id)
        ).all()
    )
    tenants = {t.id: t for t in db.session.scalars(select(Tenant))}
    return [
        EntryMeta(
            e,
            e.current.fields.get("title", "") if e.current else "",
            counts.get(e.id, 0),
            tenants.get(by_entry.get(e.id)),
        )
        for e in entries
    ]


def list_entries(page: int = 1, per_page: int = PER_PAGE) -> Page[EntryMeta]:
    """Every entry, hidden and withdrawn ones too, the last changed first."""
    found = paginate(
        select(CatalogueEntry).order_by(CatalogueEntry.updated_at.desc(), CatalogueEntry.id),
        page,
        per_page,
    )
    return replace(found, items=_meta(found.items, publishers()))


def get_entry(entry_id: uuid.UUID) -> EntryMeta:
    entry = db.session.get(CatalogueEntry, entry_id)
    if entry is None:
        raise NotFound(_("Katalogposten findes ikke."))
    publisher = _publisher_of(entry.id)
    return _meta([entry], {entry.id: publisher.id} if publisher else {})[0]


def _locked(entry_id: uuid.UUID) -> CatalogueEntry:
    entry = db.session.scalar(
        select(CatalogueEntry)
        .where(CatalogueEntry.id == entry_id)
        .with_for_update(of=CatalogueEntry)
    )
    if entry is None:
        raise NotFound(_("Katalogposten findes ikke."))
    return entry


def _record(operator: Operator, action: str, tenant_action: str, meta: EntryMeta, **more: str):
    details = {"entry": str(meta.entry.id), "title": meta.title, **more}
    if meta.publisher is None:
        operator_services.audit(operator, action, details=details)
    else:
        operator_services.audit_for_tenant(operator, action, meta.publisher, tenant_action, details)


def _tell_publisher(meta: EntryMeta, kind: str, subject: str, lines: list[str]) -> int:
    if meta.publisher is None:
        return 0
    url = external_url(
        "catalogue.show_entry", tenant_slug=meta.publisher.slug, entry_id=meta.entry.id
    )
    body = "\n\n".join([*lines, _("Se katalogposten: %(url)s", url=url)])
    return queue_for_team(meta.publisher.id, subject, body, kind)


def hide(operator: Operator, entry_id: uuid.UUID, reason: str) -> EntryMeta:
    """Hide an entry from every other municipality (and the feed), with the reason the
    publisher is told."""
    reason = reason.strip()
    if not reason:
        message = _("Skriv, hvorfor katalogposten skjules.")
        raise Invalid(message, {"reason": [message]})
    if len(reason) > MAX_REASON:
        message = _("Årsagen må højst være %(n)d tegn.", n=MAX_REASON)
        raise Invalid(message, {"reason": [message]})
    entry = _locked(entry_id)
    meta = get_entry(entry.id)
    if entry.hidden_at is not None and entry.hidden_reason == reason:
        return meta  # sent twice: nothing new to record or tell
    entry.hidden_at = datetime.now(UTC)
    entry.hidden_reason = reason
    db.session.flush()
    _record(operator, HIDE, TENANT_HIDDEN, meta, note=reason)
    with force_locale(MAIL_LOCALE):
        _tell_publisher(
            meta,
            MAIL_KIND_HIDDEN,
            _("Jeres katalogpost “%(title)s” er skjult", title=meta.title),
            [
                _(
                    "OS2's operatør har skjult jeres katalogpost “%(title)s”, så andre kommuner "
                    "ikke længere kan finde eller læse den. I kan stadig se den.",
                    title=meta.title,
                ),
                _("Årsag: %(reason)s", reason=reason),
                _("Når I har rettet posten og delt den igen, kan I bede OS2 om at vise den igen."),
            ],
        )
    return meta


def unhide(operator: Operator, entry_id: uuid.UUID) -> EntryMeta:
    """Show a hidden entry again."""
    entry = _locked(entry_id)
    meta = get_entry(entry.id)
    if entry.hidden_at is None:
        return meta
    entry.hidden_at = None
    entry.hidden_reason = None
    db.session.flush()
    _record(operator, UNHIDE, TENANT_UNHIDDEN, meta)
    with force_locale(MAIL_LOCALE):
        _tell_publisher(
            meta,
            MAIL_KIND_UNHIDDEN,
            _("Jeres katalogpost “%(title)s” er synlig igen", title=meta.title),
            [
                _(
                    "OS2's operatør har gjort jeres katalogpost “%(title)s” synlig for andre "
                    "kommuner igen.",
                    title=meta.title,
                )
            ],
        )
    return meta

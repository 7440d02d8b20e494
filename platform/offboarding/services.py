"""Offboarding a municipality: the operator schedules it (the municipality is suspended, an
export is made for the operator, its administrators are told by e-mail), may cancel it until
it runs, and the worker deletes everything when the grace period has run out (`run_due`).

The deletion: each component's `offboard` hook first (the catalogue keeps the entries as
"en kommune" or withdraws them, as the operator chose), then `tenant_purge()` (migration
0023) deletes the rows of every table with a tenant_id and the tenant itself, in one
transaction; after it has committed, the municipality's folder in the storage
(`<tenant id>/`: attachments, exports) is emptied, and tried again on the next pass if
that fails. The operator's audit log keeps every step; it outlives the tenant.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import any_, literal, select, text

from .. import audit as tenant_audit
from ..db import db, use_tenant
from ..errors import Invalid
from ..export.models import ExportStatus, TenantExport
from ..export.services import OPEN as OPEN_EXPORTS
from ..export.services import request_export
from ..i18n import format_when
from ..identity.models import User
from ..operator import services as operator_services
from ..operator.models import Operator
from ..outbox.services import queue_mail
from ..permissions import Role
from ..storage import delete_prefix, storage
from ..tenancy import Tenant, TenantStatus, activate_tenant
from ..urls import external_url
from .models import TenantOffboarding

log = logging.getLogger(__name__)

CATALOGUE_CHOICES = ("anonymise", "withdraw")
MAX_DAYS = 365
MAIL_KIND = "platform.offboarding"
MAIL_LOCALE = "da"
WORKER = "autoproces worker"

# The operator's audit actions.
SCHEDULED = "tenant.offboarding_scheduled"
CANCELLED = "tenant.offboarding_cancelled"
DELETED = "tenant.deleted"
FILES_DELETED = "tenant.files_deleted"


def open_offboarding(tenant: Tenant) -> TenantOffboarding | None:
    return db.session.scalar(
        select(TenantOffboarding).where(
            TenantOffboarding.subject_tenant_id == tenant.id,
            TenantOffboarding.cancelled_at.is_(None),
            TenantOffboarding.deleted_at.is_(None),
        )
    )


def _days(value: str | None) -> int:
    default = current_app.config["AUTOPROCES_SETTINGS"].offboarding_days
    raw = (value or "").strip()
    if not raw:
        return default
    # ASCII digits only: str.isdigit() is true for "²", which int() refuses.
    if not (raw.isascii() and raw.isdigit()) or int(raw) > MAX_DAYS:
        message = _("Skriv et antal dage fra 0 til %(max)d.", max=MAX_DAYS)
        raise Invalid(message, {"days": [message]})
    return int(raw)


def _tell_administrators(tenant: Tenant, offboarding: TenantOffboarding) -> int:
    """E-mail every active administrator of the municipality (it is active for this)."""
    admins = db.session.scalars(
        select(User).where(
            User.tenant_id == tenant.id,
            User.active.is_(True),
            literal(Role.TENANT_ADMIN.value) == any_(User.roles),
        )
    )
    with force_locale(MAIL_LOCALE):
        subject = _("%(tenant)s slettes fra Autoproces", tenant=tenant.name)
        body = _(
            "OS2 har planlagt, at %(tenant)s og alle dens data slettes fra Autoproces"
            " %(when)s: processerne, bilagene, brugerne, indstillingerne og loggen."
            " Kommunen er suspenderet fra nu af.\n\nKommunens indgange i det fælles katalog"
            " %(catalogue)s.\n\nVil I beholde en kopi, så bed OS2 om eksporten. Kontakt OS2,"
            " hvis sletningen skal annulleres; det kan ske indtil datoen.\n\n%(link)s",
            tenant=tenant.name,
            when=format_when(offboarding.delete_after),
            catalogue=_('bliver stående uden kommunens navn (som "en kommune")')
            if offboarding.catalogue == "anonymise"
            else _("trækkes tilbage"),
            link=external_url("platform.index"),
        )
    sent = 0
    for admin in admins:
        if queue_mail(tenant.id, admin.email, subject, body, kind=MAIL_KIND) is not None:
            sent += 1
    return sent


def schedule(operator: Operator, slug: str, form: Mapping[str, str]) -> TenantOffboarding:
    """Schedule the municipality's deletion: it is suspended now (with `reason`), an export
    is queued for the operator, and its administrators are told."""
    tenant = operator_services.get_tenant(slug)
    # One at a time: a second scheduling (or a reactivation) waits, then sees this one.
    operator_services.lock_tenant(tenant)
    errors: dict[str, list[str]] = {}
    try:
        days = _days(form.get("days"))
    except Invalid as e:
        errors.update(e.errors)
        days = 0
    catalogue = form.get("catalogue") or ""
    if catalogue not in CATALOGUE_CHOICES:
        errors["catalogue"] = [_("Vælg, hvad der skal ske med kommunens katalogindgange.")]
    reason = " ".join((form.get("reason") or "").split())
    if not reason:
        errors["reason"] = [_("Skriv, hvorfor kommunen slettes.")]
    elif len(reason) > operator_services.MAX_REASON_LENGTH:
        errors["reason"] = [
            _("Årsagen må højst være %(n)d tegn.", n=operator_services.MAX_REASON_LENGTH)
        ]
    if (form.get("confirm") or "").strip().lower() != tenant.slug:
        errors["confirm"] = [_("Skriv kommunens adressenavn (%(slug)s).", slug=tenant.slug)]
    if open_offboarding(tenant) is not None:
        errors["form"] = [_("Sletningen af kommunen er allerede planlagt.")]
    if errors:
        raise Invalid(_("Sletningen kunne ikke planlægges."), errors)
    offboarding = TenantOffboarding(
        subject_tenant_id=tenant.id,
        tenant_slug=tenant.slug,
        operator_id=operator.id,
        operator_email=operator.email,
        delete_after=datetime.now(UTC) + timedelta(days=days),
        catalogue=catalogue,
    )
    db.session.add(offboarding)
    db.session.flush()
    with operator_services.acting_for(tenant):
        export = request_export(tenant, operator=operator)
        offboarding.export_id = export.id
        told = _tell_administrators(tenant, offboarding)
    if tenant.is_active:
        operator_services.set_status_as(operator, slug, TenantStatus.SUSPENDED, reason)
    details = {
        "delete_after": offboarding.delete_after.isoformat(),
        "catalogue": catalogue,
        "note": reason,
        "administrators_told": told,
    }
    operator_services.audit_for_tenant(
        operator, SCHEDULED, tenant, tenant_audit.OFFBOARDING_SCHEDULED, details
    )
    return offboarding


def cancel(operator: Operator, slug: str) -> TenantOffboarding:
    """Call the deletion off (before it has run); the municipality stays suspended until
    the operator reactivates it."""
    tenant = operator_services.get_tenant(slug)
    offboarding = open_offboarding(tenant)
    if offboarding is None:
        message = _("Der er ingen planlagt sletning at annullere.")
        raise Invalid(message, {"form": [message]})
    db.session.refresh(offboarding, with_for_update=True)
    if not offboarding.open:
        message = _("Sletningen er allerede gennemført.")
        raise Invalid(message, {"form": [message]})
    offboarding.cancelled_at = datetime.now(UTC)
    offboarding.cancelled_by = operator.email
    db.session.flush()
    operator_services.audit_for_tenant(
        operator,
        CANCELLED,
        tenant,
        tenant_audit.OFFBOARDING_CANCELLED,
        {"delete_after": offboarding.delete_after.isoformat()},
    )
    return offboarding


def history(tenant: Tenant) -> list[TenantOffboarding]:
    return list(
        db.session.scalars(
            select(TenantOffboarding)
            .where(TenantOffboarding.subject_tenant_id == tenant.id)
            .order_by(TenantOffboarding.scheduled_at.desc())
        )
    )


# --- The deletion (the worker) ---------------------------------------------------------


def _export_waiting(tenant: Tenant, offboarding: TenantOffboarding) -> bool:
    """Suspend, export, then delete: the operator's archive, not yet made or made and not
    yet taken, holds the deletion (at most until it expires, EXPIRY_DAYS after it is
    ready), so a short grace period does not delete it unseen."""
    if offboarding.export_id is None:
        return False
    status = db.session.scalar(
        select(TenantExport.status).where(
            TenantExport.tenant_id == tenant.id, TenantExport.id == offboarding.export_id
        )
    )
    return status in (*OPEN_EXPORTS, ExportStatus.READY.value)


def _worker_logs(offboarding: TenantOffboarding, action: str, details: dict[str, Any]) -> None:
    """A step of the deletion in the operator's audit log, by the worker (the log outlives
    the municipality, so it names it by id and slug)."""
    db.session.add(
        operator_services.OPERATOR_LOG.model(
            operator_id=None,
            operator_email=WORKER,
            action=action,
            subject_tenant_id=offboarding.subject_tenant_id,
            subject_tenant_slug=offboarding.tenant_slug,
            details=details,
        )
    )


def _purge(offboarding_id: Any) -> bool:
    offboarding = db.session.get(TenantOffboarding, offboarding_id, with_for_update=True)
    if offboarding is None or not offboarding.open:
        db.session.rollback()
        return False
    tenant = db.session.get(Tenant, offboarding.subject_tenant_id)
    if tenant is not None:
        activate_tenant(tenant)
        if _export_waiting(tenant, offboarding):
            db.session.rollback()
            use_tenant(None)
            return False
        choices = {"catalogue": offboarding.catalogue}
        for component in current_app.extensions.get("autoproces.components", []):
            if component.offboard is not None:
                component.offboard(tenant, choices)
    rows = db.session.execute(text("select tenant_purge(:id)"), {"id": offboarding.id}).scalar_one()
    use_tenant(None)
    db.session.expire_all()
    _worker_logs(offboarding, DELETED, {"rows": rows, "catalogue": offboarding.catalogue})
    db.session.commit()
    return True


def _delete_files(offboarding: TenantOffboarding) -> None:
    removed = delete_prefix(storage(), f"{offboarding.subject_tenant_id}/")
    offboarding.files_deleted_at = datetime.now(UTC)
    offboarding.last_error = None
    _worker_logs(offboarding, FILES_DELETED, {"files": removed})
    db.session.commit()


def run_due(now: datetime | None = None) -> int:
    """Delete every municipality whose grace period has run out, then its files (and the
    files of earlier deletions whose removal failed). Returns how many were deleted."""
    now = now or datetime.now(UTC)
    due = list(
        db.session.scalars(
            select(TenantOffboarding.id).where(
                TenantOffboarding.cancelled_at.is_(None),
                TenantOffboarding.deleted_at.is_(None),
                TenantOffboarding.delete_after <= now,
            )
        )
    )
    db.session.commit()
    deleted = 0
    for offboarding_id in due:
        try:
            deleted += _purge(offboarding_id)
        except Exception as e:  # noqa: BLE001 - recorded, and tried again on the next pass
            db.session.rollback()
            use_tenant(None)
            log.exception("offboarding %s failed", offboarding_id)
            _record_error(offboarding_id, f"{type(e).__name__}: {e}")
    leftovers = list(
        db.session.scalars(
            select(TenantOffboarding).where(
                TenantOffboarding.deleted_at.is_not(None),
                TenantOffboarding.files_deleted_at.is_(None),
            )
        )
    )
    for offboarding in leftovers:
        try:
            _delete_files(offboarding)
        except Exception as e:  # noqa: BLE001 - the rows are gone; the files go next time
            db.session.rollback()
            log.exception("files of offboarding %s not removed", offboarding.id)
            _record_error(offboarding.id, f"files: {type(e).__name__}: {e}")
    return deleted


def _record_error(offboarding_id: Any, error: str) -> None:
    offboarding = db.session.get(TenantOffboarding, offboarding_id)
    if offboarding is not None:
        offboarding.last_error = error[:2000]
    db.session.commit()

"""Exports: asked for by the municipality's administrator or the operator, made by
`autoproces worker` (`run_due`), announced by e-mail, downloaded once by whoever asked.

The only code that writes `tenant_export`. A job is leased across tenants through the narrow
`export_claim()` (migration 0023); the archive is built and stored inside the job's own
transaction (`put_in_transaction`), with its status and its e-mail, so an export is either
ready with its file and mail, or it is not and nothing of it is kept. A job that fails is
tried again (`MAX_ATTEMPTS` in all), then marked failed; a worker that dies mid-way leaves a
lease that runs out, and the job is taken up again.
"""

from __future__ import annotations

import logging
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from typing import IO, Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, text, update

from .. import audit
from ..db import db, use_tenant
from ..errors import Gone, Invalid, NotFound, Unavailable
from ..i18n import format_when
from ..identity.models import ApiToken, Invitation, TenantIdp, User
from ..outbox.services import queue_mail
from ..storage import (
    StorageError,
    StorageMissing,
    delete_after_commit,
    put_in_transaction,
    storage,
)
from ..tenancy import Tenant, activate_tenant
from ..urls import external_url
from .archive import ExportArchive
from .models import ExportStatus, TenantExport

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
# A ready archive holds everything the municipality has: not left lying about for long.
EXPIRY_DAYS = 7
LOCK_SECONDS = 1800  # longer than any archive takes to make
MAIL_KIND = "platform.export"
MAIL_LOCALE = "da"
ZIP_MIME = "application/zip"
OPEN = (ExportStatus.PENDING.value, ExportStatus.RUNNING.value)


def _requester_filter(user: User | None, operator: Any | None) -> Any:
    if user is not None:
        return TenantExport.requested_by_user_id == user.id
    if operator is not None:
        return TenantExport.requested_by_operator_id == operator.id
    raise ValueError("an export belongs to a user or an operator")


def _lock_requester(tenant: Tenant, user: User | None, operator: Any | None) -> None:
    """One order at a time per person (a double click, two tabs): the second waits for the
    first's transaction, then finds its open export."""
    if user is not None:
        query = select(User.id).where(User.tenant_id == tenant.id, User.id == user.id)
    else:
        from ..operator.models import Operator

        query = select(Operator.id).where(Operator.id == operator.id)
    db.session.execute(query.with_for_update())


def request_export(
    tenant: Tenant, *, user: User | None = None, operator: Any | None = None
) -> TenantExport:
    """Queue an export of the current municipality for `user` (its administrator) or
    `operator`. One open export per person at a time."""
    who = _requester_filter(user, operator)
    _lock_requester(tenant, user, operator)
    open_one = db.session.scalar(
        select(TenantExport.id).where(
            TenantExport.tenant_id == tenant.id, who, TenantExport.status.in_(OPEN)
        )
    )
    if open_one is not None:
        message = _("Du har allerede en eksport, der venter eller er i gang.")
        raise Invalid(message, {"export": [message]})
    person = user if user is not None else operator
    export = TenantExport(
        tenant_id=tenant.id,
        requested_by_user_id=user.id if user is not None else None,
        requested_by_operator_id=operator.id if operator is not None else None,
        requested_by_name=(person.name or person.email)[:254],
        notify_email=person.email,
    )
    db.session.add(export)
    db.session.flush()
    actor = user if user is not None else f"operator:{operator.email}"
    audit.record(tenant.id, actor, audit.EXPORT_REQUESTED, {"export": str(export.id)})
    return export


def exports_of(
    tenant: Tenant, *, user: User | None = None, operator: Any | None = None, limit: int = 20
) -> list[TenantExport]:
    """The person's own exports of the current municipality, newest first."""
    return list(
        db.session.scalars(
            select(TenantExport)
            .where(TenantExport.tenant_id == tenant.id, _requester_filter(user, operator))
            .order_by(TenantExport.created_at.desc())
            .limit(limit)
        )
    )


def _parse_id(export_id: Any) -> uuid.UUID:
    try:
        return uuid.UUID(str(export_id))
    except ValueError:
        raise NotFound(_("Eksporten findes ikke.")) from None


def take_download(
    tenant: Tenant, export_id: Any, *, user: User | None = None, operator: Any | None = None
) -> tuple[IO[bytes], str]:
    """The archive, once: the first caller gets a copy in a temporary file (and the stored
    file goes when this transaction commits); anyone later gets Gone. Another person's
    export, or none, is NotFound. Of two downloads at the same time one wins: the other
    waits for its row lock, then finds it taken."""
    uid = _parse_id(export_id)
    who = _requester_filter(user, operator)
    taken = db.session.execute(
        update(TenantExport)
        .where(
            TenantExport.tenant_id == tenant.id,
            TenantExport.id == uid,
            who,
            TenantExport.status == ExportStatus.READY.value,
        )
        .values(status=ExportStatus.DOWNLOADED.value, downloaded_at=datetime.now(UTC))
        .returning(TenantExport.storage_key, TenantExport.created_at)
        .execution_options(synchronize_session=False)
    ).first()
    if taken is None:
        export = db.session.scalar(
            select(TenantExport).where(
                TenantExport.tenant_id == tenant.id, TenantExport.id == uid, who
            )
        )
        if export is None:
            raise NotFound(_("Eksporten findes ikke."))
        if export.status == ExportStatus.DOWNLOADED.value:
            raise Gone(
                _("Eksporten er allerede hentet, og filen er slettet. Bestil en ny eksport.")
            )
        if export.status == ExportStatus.EXPIRED.value:
            raise Gone(
                _(
                    "Eksporten blev ikke hentet inden for %(days)d dage, og filen er slettet."
                    " Bestil en ny eksport.",
                    days=EXPIRY_DAYS,
                )
            )
        message = _("Eksporten er ikke klar endnu.")
        raise NotFound(message)
    copy = tempfile.TemporaryFile()
    try:
        for chunk in storage().read(taken.storage_key):
            copy.write(chunk)
    except StorageMissing:
        copy.close()
        # The file is gone for good: say so, and do not offer it again.
        db.session.rollback()
        activate_tenant(tenant)
        db.session.execute(
            update(TenantExport)
            .where(TenantExport.tenant_id == tenant.id, TenantExport.id == uid)
            .values(status=ExportStatus.FAILED.value, last_error="the stored file is missing")
        )
        db.session.commit()
        raise Gone(_("Eksportens fil findes ikke længere. Bestil en ny eksport.")) from None
    except StorageError:
        copy.close()
        # The rollback (the answer is an error) leaves the export ready for another try.
        raise Unavailable(_("Eksporten kan ikke hentes lige nu. Prøv igen om lidt.")) from None
    except BaseException:
        copy.close()
        raise
    copy.seek(0)
    delete_after_commit(db.session(), taken.storage_key)
    actor = user if user is not None else f"operator:{operator.email}"
    audit.record(tenant.id, actor, audit.EXPORT_DOWNLOADED, {"export": str(uid)})
    name = f"autoproces-{tenant.slug}-{taken.created_at.date().isoformat()}.zip"
    return copy, name


# --- Making the archive (the worker) ---------------------------------------------------


def _platform_parts(tenant: Tenant, archive: ExportArchive) -> None:
    """What the platform itself keeps about the municipality (never a secret)."""
    from ..audit import TenantAudit

    archive.add_json(
        "municipality",
        "Kommunen: navn, adressenavn, kommunekode, CVR-nummer, status, oprettet",
        {
            "id": tenant.id,
            "slug": tenant.slug,
            "name": tenant.name,
            "municipality_code": tenant.municipality_code,
            "cvr": tenant.cvr,
            "status": tenant.status,
            "created_at": tenant.created_at,
        },
    )
    users = list(
        db.session.scalars(select(User).where(User.tenant_id == tenant.id).order_by(User.email))
    )
    archive.add_rows(
        "users", "Brugere og tjenestekonti med roller", users, exclude=("session_epoch",)
    )
    archive.add_sheet(
        _("Brugere"),
        [
            [_("Navn"), _("E-mailadresse"), _("Roller"), _("Aktiv"), _("Oprettet")],
            *(
                [u.name, u.email, ", ".join(u.roles), u.active, u.created_at.replace(tzinfo=None)]
                for u in users
            ),
        ],
    )
    idp = db.session.get(TenantIdp, tenant.id)
    archive.add_json(
        "identity_provider",
        "Log-in-løsningens indstillinger (uden klienthemmeligheden)",
        None
        if idp is None
        else {
            "protocol": idp.protocol,
            "issuer": idp.issuer,
            "client_id": idp.client_id,
            "has_client_secret": idp.has_secret,
            "scopes": idp.scopes,
            "role_claim": idp.role_claim,
            "role_mapping": idp.role_mapping,
            "default_role": idp.default_role,
            "allowed_domains": idp.allowed_domains,
            # SAML: the provider's metadata (public), its address, extra signing
            # certificates for a rollover, and the NSIS minimum.
            "min_loa": idp.min_loa,
            "saml_metadata": idp.saml_metadata,
            "saml_metadata_url": idp.saml_metadata_url,
            "saml_certificates": idp.saml_certificates,
            "updated_at": idp.updated_at,
        },
    )
    archive.add_rows(
        "invitations",
        "Invitationer pr. e-mail",
        db.session.scalars(select(Invitation).where(Invitation.tenant_id == tenant.id)),
    )
    archive.add_rows(
        "api_tokens",
        "API-nøgler (navn, præfiks, bruger, datoer; aldrig selve nøglen)",
        db.session.scalars(select(ApiToken).where(ApiToken.tenant_id == tenant.id)),
        exclude=("token_hash",),
    )
    archive.add_rows(
        "audit_log",
        "Kommunens log: hvem ændrede hvad og hvornår",
        db.session.scalars(
            select(TenantAudit)
            .where(TenantAudit.tenant_id == tenant.id)
            .order_by(TenantAudit.at, TenantAudit.id)
        ),
    )


def build_archive(tenant: Tenant) -> IO[bytes]:
    """Everything the current municipality has, as a finished ZIP in a temporary file."""
    archive = ExportArchive(tenant)
    try:
        _platform_parts(tenant, archive)
        for component in current_app.extensions.get("autoproces.components", []):
            if component.export is not None:
                component.export(tenant, archive)
        return archive.close()
    except BaseException:
        archive.discard()
        raise


def storage_key(tenant_id: uuid.UUID, export_id: uuid.UUID) -> str:
    # Under the tenant's own prefix, like its attachments: offboarding empties it.
    return f"{tenant_id}/exports/{export_id}.zip"


def _mail(tenant: Tenant, export: TenantExport) -> tuple[str, str]:
    if export.requested_by_operator_id is not None:
        link = external_url("operator.tenant", slug=tenant.slug)
    else:
        link = external_url("tenant_export.index", tenant_slug=tenant.slug)
    with force_locale(MAIL_LOCALE):
        subject = _("Eksporten af %(tenant)s er klar", tenant=tenant.name)
        body = _(
            "Eksporten af alt, hvad %(tenant)s har i Autoproces, som du bestilte %(when)s,"
            " er klar.\n\nHent den her (log ind først):\n\n%(link)s\n\nFilen kan hentes én"
            " gang, inden for %(days)d dage; derefter slettes den.",
            days=EXPIRY_DAYS,
            tenant=tenant.name,
            when=format_when(export.created_at),
            link=link,
        )
    return subject, body


def run_one(tenant_id: uuid.UUID, export_id: uuid.UUID) -> bool:
    """Make a leased export; True when it is ready. Its own transaction."""
    tenant = db.session.get(Tenant, tenant_id)
    if tenant is None:
        db.session.rollback()
        return False
    activate_tenant(tenant)
    export = db.session.get(TenantExport, (tenant_id, export_id), with_for_update=True)
    if export is None or export.status != ExportStatus.RUNNING.value:
        db.session.rollback()
        return False
    try:
        archive = build_archive(tenant)
        try:
            size = archive.seek(0, 2)
            archive.seek(0)
            key = storage_key(tenant_id, export_id)
            put_in_transaction(db.session(), key, archive, ZIP_MIME)
        finally:
            archive.close()
        export.status = ExportStatus.READY.value
        export.storage_key = key
        export.size_bytes = size
        export.finished_at = datetime.now(UTC)
        export.locked_until = None
        export.last_error = None
        subject, body = _mail(tenant, export)
        queue_mail(tenant.id, export.notify_email, subject, body, kind=MAIL_KIND)
        db.session.commit()
        return True
    except Exception as e:  # noqa: BLE001 - recorded on the job, which is retried or failed
        db.session.rollback()
        log.exception("export %s of %s failed", export_id, tenant_id)
        _record_failure(tenant, export_id, f"{type(e).__name__}: {e}")
        return False
    finally:
        use_tenant(None)


def _record_failure(tenant: Tenant, export_id: uuid.UUID, error: str) -> None:
    activate_tenant(tenant)
    export = db.session.get(TenantExport, (tenant.id, export_id), with_for_update=True)
    if export is not None and export.status == ExportStatus.RUNNING.value:
        retry = export.attempts < MAX_ATTEMPTS
        export.status = ExportStatus.PENDING.value if retry else ExportStatus.FAILED.value
        export.finished_at = None if retry else datetime.now(UTC)
        # The next try waits 1, 2, 4 … minutes (export_claim skips it until then).
        export.locked_until = (
            datetime.now(UTC) + timedelta(minutes=2 ** (export.attempts - 1)) if retry else None
        )
        export.last_error = error[:2000]
    db.session.commit()


def claim() -> tuple[uuid.UUID, uuid.UUID] | None:
    """Lease the oldest due export of any municipality (committed at once)."""
    row = db.session.execute(
        text("select tenant_id, id from export_claim(:lock, :max)"),
        {"lock": LOCK_SECONDS, "max": MAX_ATTEMPTS},
    ).first()
    db.session.commit()
    return (row.tenant_id, row.id) if row is not None else None


def expire_old() -> int:
    """Ready archives not downloaded within EXPIRY_DAYS: marked expired, their files
    removed once that is committed."""
    due = db.session.execute(
        text("select tenant_id, id from export_expired(:days)"), {"days": EXPIRY_DAYS}
    ).all()
    db.session.commit()
    expired = 0
    for row in due:
        tenant = db.session.get(Tenant, row.tenant_id)
        if tenant is None:
            continue
        activate_tenant(tenant)
        key = db.session.execute(
            update(TenantExport)
            .where(
                TenantExport.tenant_id == row.tenant_id,
                TenantExport.id == row.id,
                TenantExport.status == ExportStatus.READY.value,
            )
            .values(status=ExportStatus.EXPIRED.value)
            .returning(TenantExport.storage_key)
            .execution_options(synchronize_session=False)
        ).scalar()
        if key:
            delete_after_commit(db.session(), key)
            expired += 1
        db.session.commit()
        use_tenant(None)
    return expired


def run_due(limit: int = 5) -> int:
    """Make up to `limit` due exports, and expire old ones; returns how many became ready.
    The worker calls it on every pass."""
    expire_old()
    done = 0
    for _i in range(limit):
        job = claim()
        if job is None:
            break
        done += run_one(*job)
    return done

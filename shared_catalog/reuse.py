"""Reusing catalogue entries: copying one into the reader's register (with lineage), the
notice and e-mail to a copy's followers when the entry gets a new version, "Vi vil også
gerne" (interest) and "Kontakt kommunen" (a message to the publisher's inbox).

Every row here is tenant-owned by the municipality that acts (copy, reuse, interest) or, for
the inbox, by the publisher; what crosses tenants goes through the narrow SECURITY DEFINER
functions of migration 0013, so a reader never learns which municipality published."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from marshmallow import Schema, ValidationError
from marshmallow.validate import Length
from sqlalchemy import Boolean, DateTime, Integer, String, Text, delete, select
from sqlalchemy import text as sql
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Mapped, mapped_column

from autoproces.platform import audit
from autoproces.platform.db import db
from autoproces.platform.errors import Forbidden, Invalid, NotFound, normalise_messages
from autoproces.platform.identity.auth import require
from autoproces.platform.identity.models import User
from autoproces.platform.permissions import Action
from autoproces.platform.storage import storage
from autoproces.platform.tenancy import Tenant
from autoproces.platform.textinput import text
from autoproces.platform.urls import base_url
from autoproces.tenants.processes import services as register
from autoproces.tenants.processes.attachments import services as attachments
from autoproces.tenants.processes.fields import REPORTER_FIELDS, SYSTEM
from autoproces.tenants.processes.models import (
    SUMMARY_MAX,
    TITLE_MAX,
    Domain,
    Phase,
    Process,
    Status,
    Visibility,
)
from autoproces.tenants.processes.schemas import ProcessInSchema

from . import services
from .models import CatalogueEntry, CatalogueSource, CatalogueVersion

MAX_MESSAGE = 5000


def contact_limit() -> str:
    """How many messages one person may send (per user: a municipality shares addresses)."""
    from flask import current_app

    return current_app.config["CATALOGUE_CONTACT_RATE_LIMIT"]


class ContactInSchema(Schema):
    body = text(MAX_MESSAGE, required=True, metadata={"description": "The message."})


# Set on the copy however they were at the publisher: a copy starts as an idea.
NOT_COPIED = frozenset({"phase", "status", "lessons_updated_at"})


class CatalogueCopy(db.Model):
    """A process of this municipality copied from an entry (migration 0013)."""

    __tablename__ = "catalogue_copy"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    process_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    entry_id: Mapped[uuid.UUID]
    copied_version: Mapped[int] = mapped_column(Integer)
    seen_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=db.func.now()
    )


class CatalogueReuse(db.Model):
    """This municipality copied the entry at least once (the reuse count)."""

    __tablename__ = "catalogue_reuse"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    entry_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=db.func.now()
    )


class CatalogueInterest(db.Model):
    """ "Vi vil også gerne": once per municipality."""

    __tablename__ = "catalogue_interest"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    entry_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID]
    wants_to_help: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=db.func.now()
    )


class CatalogueMessage(db.Model):
    """A message to the publisher (the publisher's tenant); written by SQL function only."""

    __tablename__ = "catalogue_message"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    entry_id: Mapped[uuid.UUID]
    sender_name: Mapped[str] = mapped_column(String(200))
    sender_municipality: Mapped[str] = mapped_column(String(200))
    sender_email: Mapped[str] = mapped_column(String(320))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# --- Counts (everyone) ---------------------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    reuses: int = 0
    interests: int = 0


def counts(entry_ids: list[uuid.UUID]) -> dict[uuid.UUID, Counts]:
    """How many municipalities copied and want each entry (counts only, across tenants)."""
    if not entry_ids:
        return {}
    rows = db.session.execute(
        sql("select entry_id, reuses, interests from catalogue_reuse_counts(:ids)"),
        {"ids": list(entry_ids)},
    )
    return {r.entry_id: Counts(r.reuses, r.interests) for r in rows}


def lock_entry(entry: CatalogueEntry) -> None:
    """Hold the entry's row until the transaction ends (a withdraw or publish holds it too)
    and read its state afresh: under READ COMMITTED what the next statements read includes
    what the holder committed, and the counts are compared with what is stored now, not
    with what was read before the lock (else an unchanged-looking value is never written)."""
    db.session.refresh(
        entry,
        ["withdrawn_at", "hidden_at", "current_version", "reuse_count", "interest_count"],
        with_for_update=True,
    )


def refresh_counts(entry: CatalogueEntry) -> None:
    """Keep the entry's reuse and interest counts (which the search sorts by and every page
    shows) equal to what the narrow count function finds, after a copy or an interest."""
    # Counted under the entry's row lock: another municipality's copy or interest that
    # counted first has committed by then and is counted here too (no lost update).
    lock_entry(entry)
    found = counts([entry.id]).get(entry.id, Counts())
    entry.reuse_count, entry.interest_count = found.reuses, found.interests
    db.session.flush()


# --- Copying -------------------------------------------------------------------------------


def _value(name: str, version: CatalogueVersion, user: User) -> Any:
    """A stored field of the version as the register's value (None: leave it out)."""
    f = services.BY_NAME[name]
    if name == "domain_ids":
        wanted = {n.strip().casefold() for n in version.fields.get(name, "").split(",")}
        return [
            d.id
            for d in db.session.scalars(
                select(Domain).where(Domain.tenant_id == user.tenant_id, Domain.active.is_(True))
            )
            if d.name.casefold() in wanted
        ]
    if name in services.FREE_TEXT:
        value = version.fields.get(name)
        if value is None:
            return None
        if name == "it_systems":
            return [_it_system(line) for line in value.splitlines() if line.strip()]
        if f.kind == "lines":
            return [line for line in value.splitlines() if line.strip()]
        return value
    return version.facts.get(name)  # converted by `_checked`, as the API's input is


def _checked(name: str, value: Any) -> Any:
    """`value` as the register's own rules take it (ProcessInSchema), or None when it does
    not fit: an entry mirrored from another instance, or published by an older register,
    may hold facts of any type or size, and a copy leaves those out rather than fail."""
    if value is None or name == "domain_ids":  # ids of our own fagområder already
        return value
    field = ProcessInSchema().fields[name]
    if isinstance(value, str):  # over-long text is cut to what the field holds, not lost
        limits = [v.max for v in field.validators if isinstance(v, Length) and v.max]
        value = value[: min(limits)] if limits else value
    if isinstance(value, Decimal):
        value = str(value)
    try:
        return ProcessInSchema().load({name: value}, partial=True).get(name)
    except ValidationError:
        return None


def _it_system(line: str) -> dict[str, str]:
    # Published as "name (vendor)" (services.field_text).
    line = line.strip()
    if line.endswith(")") and " (" in line:
        name, vendor = line[:-1].rsplit(" (", 1)
        return {"name": name, "vendor": vendor}
    return {"name": line, "vendor": ""}


def is_own(user: User, entry: CatalogueEntry) -> bool:
    """Whether the user's municipality published the entry."""
    return db.session.get(CatalogueSource, (user.tenant_id, entry.id)) is not None


def _refuse_own(user: User, entry: CatalogueEntry) -> None:
    # The reuse actions are other municipalities': the publisher copying, wanting or writing
    # to its own entry would count itself among those who reuse it.
    if is_own(user, entry):
        raise Forbidden(_("Det er jeres egen katalogpost."))


def copy_entry(user: User, entry_id: uuid.UUID) -> Process:
    """Copy the entry's current version into the reader's register as a new idea."""
    require(user, Action.REPORT)
    entry = services.get_entry(user, entry_id)
    _refuse_own(user, entry)
    # A withdraw or the operator's hiding under way is waited for and then refused, never
    # copied past.
    lock_entry(entry)
    services.get_entry(user, entry.id)  # hidden meanwhile: gone (404)
    if entry.withdrawn_at is not None:
        raise Invalid(
            _("Katalogposten blev ikke kopieret."),
            {"entry_id": [_("Katalogposten er trukket tilbage.")]},
        )
    version = entry.current
    values = {}
    for f in services.COPIED:
        if f.writer == SYSTEM or f.name in NOT_COPIED:
            continue
        value = _checked(f.name, _value(f.name, version, user))
        if value not in (None, "", []):
            values[f.name] = value
    if values.get("kle_code"):
        from autoproces.tenants.taxonomy.models import KleEntry

        kle = db.session.get(KleEntry, values["kle_code"])
        if kle is None or kle.level != 3:
            del values["kle_code"]
    values["title"] = (values.get("title") or _("Kopi fra kataloget"))[:TITLE_MAX]
    values["summary"] = (values.get("summary") or values["title"])[:SUMMARY_MAX]
    # The register's writer, with what a reporter may write; the copier is the reporter.
    first = {k: v for k, v in values.items() if k in REPORTER_FIELDS}
    first["visibility"] = Visibility.MUNICIPALITY.value
    process = register.create_process(user, first)
    # The rest of the copied fields, the lineage and the start of the pipeline come with the
    # copy whoever copies (a reporter may not set them in the form, but they are the entry's).
    for name, value in values.items():
        if name not in first:
            setattr(process, name, value)
    process.phase = Phase.IDEA.value
    process.status = Status.NOT_ASSESSED.value
    process.copied_from_entry_id = entry.id
    process.copied_from_version = version.number
    db.session.add(
        CatalogueCopy(
            tenant_id=user.tenant_id,
            process_id=process.id,
            entry_id=entry.id,
            copied_version=version.number,
            seen_version=version.number,
        )
    )
    db.session.execute(
        pg_insert(CatalogueReuse)
        .values(tenant_id=user.tenant_id, entry_id=entry.id)
        .on_conflict_do_nothing()
    )
    db.session.flush()
    for a in version.attachments:
        data = b"".join(storage().read(a.storage_key))
        attachments.add_attachments(
            user, process, [attachments.Upload(a.filename, data)], description=a.description
        )
    audit.record(
        user.tenant_id,
        user,
        "catalogue.copied",
        {"entry": str(entry.id), "version": version.number, "process": str(process.id)},
    )
    refresh_counts(entry)
    return process


# --- A copy's notice and its followers' e-mail ---------------------------------------------


@dataclass
class Notice:
    entry: CatalogueEntry
    copy: CatalogueCopy
    versions: list[tuple[CatalogueVersion, list[tuple[str, Any, str]]]]  # newer, with diff


def copy_of(process: Process) -> CatalogueCopy | None:
    return db.session.get(CatalogueCopy, (process.tenant_id, process.id))


def notice_for(user: User, process: Process) -> Notice | None:
    """The copy's notice: the entry's versions since the one its people last saw."""
    copy = copy_of(process)
    if copy is None:
        return None
    entry = db.session.get(CatalogueEntry, copy.entry_id)
    if entry is None:
        return None
    newer = list(
        db.session.scalars(
            select(CatalogueVersion)
            .where(
                CatalogueVersion.entry_id == entry.id,
                CatalogueVersion.number > copy.seen_version,
            )
            .order_by(CatalogueVersion.number)
        )
    )
    return Notice(entry, copy, [(v, services.version_diff(v)) for v in newer])


def dismiss_notice(user: User, process: Process) -> None:
    """The copy's people have seen the entry's newest version."""
    copy = copy_of(process)
    if copy is None:
        raise NotFound(_("Processen er ikke kopieret fra kataloget."))
    entry = db.session.get(CatalogueEntry, copy.entry_id)
    copy.seen_version = entry.current_version
    db.session.flush()


def notify_copies(entry: CatalogueEntry, number: int) -> int:
    """Queue an e-mail to the followers of every copy of `entry` (any municipality)."""
    title = entry.current.fields.get("title", "")
    subject = _("Ny version af katalogposten “%(title)s”", title=title)
    body = _(
        "Der er en ny version (%(n)d) af katalogposten “%(title)s”, som jeres proces er "
        "kopieret fra.\n\nSe ændringerne: {url}\n",
        n=number,
        title=title,
    )
    return db.session.execute(
        sql("select catalogue_notify_copies(:entry, :n, :base, :subject, :body)"),
        {"entry": entry.id, "n": number, "base": base_url(), "subject": subject, "body": body},
    ).scalar_one()


# --- Interest ------------------------------------------------------------------------------


def interest_of(user: User, entry_id: uuid.UUID) -> CatalogueInterest | None:
    return db.session.get(CatalogueInterest, (user.tenant_id, entry_id))


def signal_interest(user: User, entry_id: uuid.UUID, wants_to_help: bool) -> CatalogueInterest:
    """ "Vi vil også gerne" for the user's municipality (once; a second time updates)."""
    require(user, Action.READ)
    entry = services.get_entry(user, entry_id)
    _refuse_own(user, entry)
    if entry.withdrawn_at is not None and interest_of(user, entry.id) is None:
        # Nobody is behind a withdrawn entry any more to want it with (its interest may go).
        raise Invalid(
            _("Katalogposten er trukket tilbage."),
            {"entry_id": [_("Katalogposten er trukket tilbage.")]},
        )
    # One statement, so two people of the municipality at once update one row (no 500 on
    # the primary key); the second's choice of wants_to_help wins.
    db.session.execute(
        pg_insert(CatalogueInterest)
        .values(
            tenant_id=user.tenant_id,
            entry_id=entry.id,
            user_id=user.id,
            wants_to_help=wants_to_help,
        )
        .on_conflict_do_update(
            index_elements=["tenant_id", "entry_id"], set_={"wants_to_help": wants_to_help}
        )
    )
    refresh_counts(entry)
    interest = interest_of(user, entry.id)
    db.session.refresh(interest)
    return interest


def withdraw_interest(user: User, entry_id: uuid.UUID) -> None:
    require(user, Action.READ)
    entry = services.get_entry(user, entry_id)
    # A statement, not the ORM's delete: a row another request removed meanwhile is simply
    # gone (204), not a StaleDataError.
    gone = db.session.execute(
        delete(CatalogueInterest).where(
            CatalogueInterest.tenant_id == user.tenant_id, CatalogueInterest.entry_id == entry.id
        )
    ).rowcount
    if gone:
        refresh_counts(entry)


@dataclass(frozen=True)
class Interested:
    name: str
    wants_to_help: bool
    created_at: datetime


def interested(user: User, entry_id: uuid.UUID) -> list[Interested]:
    """The interested municipalities: empty unless the user's municipality published it."""
    rows = db.session.execute(
        sql("select name, wants_to_help, created_at from catalogue_interested(:e)"),
        {"e": entry_id},
    )
    return [Interested(r.name, r.wants_to_help, r.created_at) for r in rows]


# --- Contact -------------------------------------------------------------------------------


def may_contact(user: User, entry_id: uuid.UUID) -> CatalogueEntry:
    """The entry, if the user may write to its publisher: another municipality's entry
    published here (a mirrored entry's publisher is on another installation)."""
    require(user, Action.READ)
    entry = services.get_entry(user, entry_id)
    _refuse_own(user, entry)
    if entry.mirrored:
        raise NotFound(_("Kommunen, der delte katalogposten, kan ikke kontaktes."))
    return entry


def contact(user: User, entry_id: uuid.UUID, body: str) -> None:
    """Send a message to the publishing municipality's automation team: kept in its inbox
    and e-mailed. The reader's name, municipality and e-mail go with it; the publisher's
    identity never comes back."""
    entry = may_contact(user, entry_id)
    try:
        body = ContactInSchema().load({"body": body})["body"]
    except ValidationError as e:
        raise Invalid(
            _("Beskeden blev ikke sendt."), normalise_messages(e.normalized_messages())
        ) from e
    municipality = db.session.get(Tenant, user.tenant_id).name
    title = entry.current.fields.get("title", "")
    subject = _("Besked om katalogposten “%(title)s”", title=title)
    mail = _(
        "%(name)s, %(municipality)s (%(email)s) skriver om jeres katalogpost “%(title)s”:"
        "\n\n%(body)s\n\nSvar direkte til %(email)s. Beskeden ligger også i katalogets "
        "indbakke.\n",
        name=user.name,
        municipality=municipality,
        email=user.email,
        title=title,
        body=body,
    )
    found = db.session.execute(
        sql(
            "select catalogue_contact_publisher(:entry, :name, :municipality, :email, :body,"
            " :subject, :mail)"
        ),
        {
            "entry": entry.id,
            "name": user.name,
            "municipality": municipality,
            "email": user.email,
            "body": body,
            "subject": subject,
            "mail": mail,
        },
    ).scalar_one()
    if not found:  # e.g. a harvested entry, or the publisher left the platform
        raise NotFound(_("Kommunen, der delte katalogposten, kan ikke kontaktes."))


def inbox(user: User) -> list[tuple[CatalogueMessage, CatalogueEntry | None]]:
    """The messages other municipalities sent about this municipality's entries."""
    require(user, Action.PUBLISH)
    messages = list(
        db.session.scalars(
            select(CatalogueMessage)
            .where(CatalogueMessage.tenant_id == user.tenant_id)
            .order_by(CatalogueMessage.created_at.desc())
        )
    )
    return [(m, db.session.get(CatalogueEntry, m.entry_id)) for m in messages]

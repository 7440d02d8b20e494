"""Attachments on processes: files from the reporter and the team (screenshots, process
diagrams, documents). The bytes go to the platform's storage; this module is the only code
that writes either (the rows are in models.py). A file is accepted only when its bytes are
what its name says, from a short allow-list, and at most 20 MB.

Who may do what: whoever may see the process may read and add attachments (like comments);
the uploader and the automation team may delete one; only the team decides what is
`shareable` (goes along when the process is published to the shared catalogue)."""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import filetype
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from autoproces.platform.db import db
from autoproces.platform.errors import DomainError, Forbidden, Invalid, NotFound
from autoproces.platform.identity.models import User
from autoproces.platform.permissions import Action
from autoproces.platform.storage import (
    StorageError,
    StorageMissing,
    delete_after_commit,
    put_in_transaction,
    storage,
)

from ..models import Process
from ..policy import get_process
from ..signals import process_deleting
from .models import Attachment

MAX_BYTES = 20 * 1024 * 1024
MAX_PER_PROCESS = 50
MAX_DESCRIPTION = 300

# Extension → the content type its bytes must have. Binary kinds are recognised by
# `filetype` (magic numbers, and the parts inside an Office or OpenDocument zip); text
# kinds must be text: no NUL or control characters, UTF-8 or Windows-1252.
BINARY_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "heic": "image/heic",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
}
TEXT_TYPES = {
    "txt": "text/plain",
    "csv": "text/csv",
    "md": "text/markdown",
    # BPMN and other process diagrams exported as XML.
    "bpmn": "application/xml",
    "xml": "application/xml",
}
ALLOWED_EXTENSIONS = tuple(sorted({*BINARY_TYPES, *TEXT_TYPES}))

ERROR_MESSAGE = _l("Filen kunne ikke gemmes.")


class StorageUnavailable(DomainError):
    status = 503


# --- Checking a file ---------------------------------------------------------------------


def clean_filename(name: str) -> str:
    """The name as the user knows it, without folders or control characters."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip(" .")
    if len(name) > 255:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 254 - len(ext)] + dot + ext) if dot and len(ext) < 20 else name[:255]
    return name


def _extension(name: str) -> str:
    return name.rpartition(".")[2].lower() if "." in name else ""


# C0 control characters other than tab, line feed, form feed and carriage return, and DEL.
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def _is_text(data: bytes) -> bool:
    """Plain text: no control bytes, and UTF-8 or else Windows-1252 (CSV from a Danish Excel).
    Both checks run in C, so 20 MB take milliseconds."""
    if _CONTROL.search(data):
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            data.decode("cp1252")
        except UnicodeDecodeError:
            return False
    return True


# The part an Office Open XML package must declare, and the `mimetype` entry of OpenDocument.
_OOXML_MAIN = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
}
_ODF = {"odt", "ods", "odp"}


def _zip_package_is(ext: str, data: bytes) -> bool:
    """Whether a zip is the Office or OpenDocument file `ext` names, read from its manifest.
    `filetype` only looks at the first entries, and some producers put a thumbnail first."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            if ext in _ODF:
                return z.read("mimetype").decode("ascii", "replace").strip() == BINARY_TYPES[ext]
            manifest = z.read("[Content_Types].xml")
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, RuntimeError):
        return False
    return _OOXML_MAIN[ext].encode() in manifest


def sniff(filename: str, data: bytes) -> str:
    """The content type of an allowed file, or Invalid naming the field `file`."""

    def refuse(message: str) -> Invalid:
        return Invalid(str(ERROR_MESSAGE), {"file": [message]})

    if not data:
        raise refuse(_("Filen er tom."))
    if len(data) > MAX_BYTES:
        raise refuse(_("Filen fylder mere end 20 MB."))
    ext = _extension(filename)
    allowed = ", ".join(ALLOWED_EXTENSIONS)
    if ext not in BINARY_TYPES and ext not in TEXT_TYPES:
        raise refuse(_("Filtypen er ikke tilladt. Tilladte filtyper: %(types)s.", types=allowed))
    mismatch = refuse(_("Filens indhold passer ikke til filtypen .%(ext)s.", ext=ext))
    if ext in BINARY_TYPES:
        kind = filetype.guess(data)
        if kind is not None and kind.mime == BINARY_TYPES[ext]:
            return BINARY_TYPES[ext]
        is_zip = data.startswith(b"PK\x03\x04")
        if is_zip and (ext in _OOXML_MAIN or ext in _ODF) and _zip_package_is(ext, data):
            return BINARY_TYPES[ext]
        raise mismatch
    # Text: judged by its bytes alone (a magic-number guess misreads text starting "BM…").
    if not _is_text(data):
        raise mismatch
    if TEXT_TYPES[ext] == "application/xml":
        if not data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
            raise mismatch
    return TEXT_TYPES[ext]


# --- Services ----------------------------------------------------------------------------


@dataclass
class Upload:
    """A file as it arrived: its name and its bytes."""

    filename: str
    data: bytes


def attachments_for(process: Process) -> list[Attachment]:
    """The attachments of a process the caller has already been allowed to see."""
    return list(
        db.session.scalars(
            select(Attachment)
            .where(Attachment.tenant_id == process.tenant_id, Attachment.process_id == process.id)
            .order_by(Attachment.created_at, Attachment.filename, Attachment.id)
        )
    )


def list_attachments(user: User, process_id: uuid.UUID) -> list[Attachment]:
    return attachments_for(get_process(user, process_id))


def may_delete(user: User, attachment: Attachment) -> bool:
    return attachment.uploaded_by == user.id or user.can(Action.EDIT)


def may_share(user: User) -> bool:
    return user.can(Action.EDIT)


def add_attachments(
    user: User,
    process: Process,
    uploads: list[Upload],
    shareable: bool = False,
    description: str = "",
) -> list[Attachment]:
    """Check every file, then store them all; one bad file refuses the lot.

    `process` must come from get_process/create_process for `user`. A file is kept only if
    the request's transaction commits (see platform/storage.py)."""
    if shareable and not may_share(user):
        raise Forbidden(_("Kun automatiseringsteamet kan markere bilag til deling."))
    description = (description or "").strip()
    if len(description) > MAX_DESCRIPTION:
        raise Invalid(
            str(ERROR_MESSAGE), {"description": [_("Højst %(max)d tegn.", max=MAX_DESCRIPTION)]}
        )
    checked = []
    for upload in uploads:
        name = clean_filename(upload.filename)
        if not name:
            raise Invalid(str(ERROR_MESSAGE), {"file": [_("Filen mangler et navn.")]})
        checked.append((name, sniff(name, upload.data), upload.data))
    if not checked:
        raise Invalid(str(ERROR_MESSAGE), {"file": [_("Vælg en fil.")]})
    # One upload at a time per process (the count below), and none while it is deleted.
    _lock(process, deleting=False)
    existing = db.session.scalar(
        select(func.count())
        .select_from(Attachment)
        .where(Attachment.tenant_id == process.tenant_id, Attachment.process_id == process.id)
    )
    if existing + len(checked) > MAX_PER_PROCESS:
        raise Invalid(
            str(ERROR_MESSAGE),
            {"file": [_("En proces kan højst have %(max)d bilag.", max=MAX_PER_PROCESS)]},
        )
    added = []
    for name, content_type, data in checked:
        attachment = Attachment(
            tenant_id=process.tenant_id,
            id=uuid.uuid4(),
            process_id=process.id,
            filename=name,
            content_type=content_type,
            size_bytes=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            description=description,
            shareable=shareable,
            uploaded_by=user.id,
        )
        # Tenant and process in the key keep one municipality's files apart in a shared bucket.
        attachment.storage_key = f"{process.tenant_id}/{process.id}/{attachment.id}"
        try:
            put_in_transaction(db.session(), attachment.storage_key, data, content_type)
        except StorageError as e:
            raise StorageUnavailable(_("Filen kunne ikke gemmes lige nu. Prøv igen senere.")) from e
        db.session.add(attachment)
        added.append(attachment)
    db.session.flush()
    return added


def get_attachment(
    user: User, process_id: uuid.UUID, attachment_id: uuid.UUID, lock: bool = False
) -> Attachment:
    """The attachment, or NotFound when the caller may not see its process.

    With `lock` (before a change) the row is locked: a delete running at the same time
    finishes first and the attachment is then NotFound, rather than an UPDATE or DELETE
    that matches no row (a 500)."""
    process = get_process(user, process_id)
    query = select(Attachment).where(
        Attachment.tenant_id == process.tenant_id,
        Attachment.process_id == process.id,
        Attachment.id == attachment_id,
    )
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    attachment = db.session.scalar(query)
    if attachment is None:
        raise NotFound(_("Bilaget findes ikke."))
    return attachment


def _lock(process: Process, deleting: bool) -> None:
    table = Process.__table__
    query = select(table.c.id).where(
        table.c.tenant_id == process.tenant_id, table.c.id == process.id
    )
    # key_share: FOR NO KEY UPDATE (the attachment's foreign key may still take KEY SHARE).
    db.session.execute(query.with_for_update(key_share=not deleting))


def open_attachment(attachment: Attachment) -> Iterator[bytes]:
    try:
        return storage().read(attachment.storage_key)
    except StorageMissing as e:
        current_app.logger.error("attachment %s has no file (%s)", attachment.id, e)
        raise NotFound(_("Filen findes ikke længere.")) from e
    except StorageError as e:
        raise StorageUnavailable(_("Filen kan ikke hentes lige nu. Prøv igen senere.")) from e


def update_attachment(
    user: User, process_id: uuid.UUID, attachment_id: uuid.UUID, data: dict[str, Any]
) -> Attachment:
    """Change `shareable` (the team) or `description` (the uploader or the team)."""
    attachment = get_attachment(user, process_id, attachment_id, lock=True)
    if "shareable" in data and data["shareable"] != attachment.shareable:
        if not may_share(user):
            raise Forbidden(_("Kun automatiseringsteamet kan markere bilag til deling."))
        attachment.shareable = bool(data["shareable"])
    if "description" in data:
        if not may_delete(user, attachment):
            raise Forbidden(_("Du må ikke rette dette bilag."))
        description = (data["description"] or "").strip()
        if len(description) > MAX_DESCRIPTION:
            raise Invalid(
                str(ERROR_MESSAGE),
                {"description": [_("Højst %(max)d tegn.", max=MAX_DESCRIPTION)]},
            )
        attachment.description = description
    db.session.flush()
    return attachment


def delete_attachment(user: User, process_id: uuid.UUID, attachment_id: uuid.UUID) -> Attachment:
    attachment = get_attachment(user, process_id, attachment_id, lock=True)
    if not may_delete(user, attachment):
        raise Forbidden(_("Du må ikke slette dette bilag."))
    db.session.delete(attachment)
    db.session.flush()
    delete_after_commit(db.session(), attachment.storage_key)
    return attachment


def forget_files_of(process: Process) -> None:
    """Before a process is deleted (its rows go by cascade): remove its files after commit.
    The lock keeps an upload from committing between reading the keys and the delete."""
    _lock(process, deleting=True)
    keys = db.session.scalars(
        select(Attachment.storage_key).where(
            Attachment.tenant_id == process.tenant_id, Attachment.process_id == process.id
        )
    )
    for key in keys:
        delete_after_commit(db.session(), key)


@process_deleting.connect
def _forget_files_of_deleted(process: Process, **_: Any) -> None:
    forget_files_of(process)

"""The import: an Excel sheet in the export's layout, one row per process, all or none.

Every row is validated first, then all are applied in one transaction, and any error
leaves the register untouched.
"""

from __future__ import annotations

import io
import re
import uuid
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError
from sqlalchemy import select

from autoproces.platform.db import db
from autoproces.platform.errors import DomainError, normalise_messages
from autoproces.platform.identity.auth import require
from autoproces.platform.identity.models import User
from autoproces.platform.permissions import Action

from .. import policy, services
from ..fields import Column
from ..history import requests_change, snapshot
from ..models import Process
from ..schemas import ProcessInSchema, ProcessPatchSchema
from .converters import COLUMNS, OMIT, CellError, converter_for, norm
from .names import Lookup

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 5_000
# An xlsx is a zip: refuse one that unpacks to far more than any register needs (zip bomb).
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
# The columns that say which process a row is and which version of it the sheet saw.
ID, VERSION = "id", "version"


@dataclass(frozen=True)
class RowError:
    row: int | None  # the sheet's row number (the header is row 1); None: the file itself
    column: str | None  # the column's header
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def rows(self) -> int:
        return self.created + self.updated + self.unchanged


def import_xlsx(user: User, data: bytes) -> ImportResult:
    """Create (no Id) or update (Id) one process per row of an .xlsx in the export's layout.

    Every row is checked first (labels, the schemas, the references); only when no row
    has an error are all applied, in one transaction (a savepoint here), with history.
    """
    require(user, Action.EDIT)
    result = ImportResult()
    try:
        header, rows = read_sheet(data)
    except CellError as e:
        result.errors.append(RowError(None, None, str(e)))
        return result
    columns, problems = match_header(header)
    result.errors += problems
    if len(rows) > MAX_ROWS:
        result.errors.append(
            RowError(None, None, _("Arket har over %(max)d rækker.", max=MAX_ROWS))
        )
    if result.errors:
        return result
    lookup = Lookup(user)
    planned = []
    rows_of: dict[uuid.UUID, int] = {}
    for number, values in rows:
        process_id, row_data = _validate_row(user, lookup, columns, number, values, result)
        if process_id is not None and process_id in rows_of:
            result.errors.append(
                RowError(
                    number,
                    str(_l("Id")),
                    _("Processen står også i række %(row)d.", row=rows_of[process_id]),
                )
            )
        elif process_id is not None:
            rows_of[process_id] = number
        planned.append((number, (process_id, row_data)))
    if result.errors:
        return result
    savepoint = db.session.begin_nested()
    for number, (process_id, data_) in planned:
        try:
            if process_id is None:
                services.create_process(user, data_)
                result.created += 1
            else:
                process = policy.get_process(user, process_id)
                changes = _changes(process, data_)
                if len(changes) > 1:
                    services.update_process(user, process, changes)
                    result.updated += 1
                else:
                    result.unchanged += 1
        except DomainError as e:
            _add_errors(result, number, e.errors or {"": [e.message]})
    if result.errors:
        savepoint.rollback()
        result.created = result.updated = result.unchanged = 0
    else:
        savepoint.commit()
    return result


def _changes(process: Process, data: dict[str, Any]) -> dict[str, Any]:
    """Only the fields the row changes (and the version): what others changed in the
    columns this row leaves alone stays, and unchanged rows write nothing."""
    before = snapshot(process)
    changes = {"version": data["version"]}
    for key, value in data.items():
        if key != "version" and requests_change(process, {key: value}, before):
            changes[key] = value
    return changes


_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)


def read_sheet(data: bytes) -> tuple[list[Any], list[tuple[int, list[Any]]]]:
    """The first sheet's header and its non-blank rows (numbered as in Excel), or CellError
    for a file that is too big, not an .xlsx, or carries a DTD."""
    from openpyxl import load_workbook

    not_xlsx = _("Filen er ikke et Excel-ark (.xlsx).")
    if len(data) > MAX_BYTES:
        raise CellError(
            _("Filen er for stor. Den må højst fylde %(mb)d MB.", mb=MAX_BYTES // 2**20)
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(i.file_size for i in archive.infolist()) > MAX_UNPACKED_BYTES:
                raise CellError(not_xlsx)
            if "xl/workbook.xml" not in archive.namelist():
                raise CellError(not_xlsx)
            # Excel never writes a DTD; one can only be there to expand entities or reach
            # for files, so the sheet is refused before any XML parser sees it.
            if any(_DOCTYPE.search(archive.read(i)) for i in archive.infolist()):
                raise CellError(_("Filen indeholder en DTD (<!DOCTYPE>) og kan ikke indlæses."))
    except (zipfile.BadZipFile, EOFError, NotImplementedError, zlib.error):
        raise CellError(not_xlsx) from None
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds on a broken file
        raise CellError(not_xlsx) from None
    try:
        sheet = workbook.worksheets[0]
        iterator = sheet.iter_rows(values_only=True)
        header = list(next(iterator, None) or [])
        rows = []
        for number, values in enumerate(iterator, start=2):
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue
            rows.append((number, list(values)))
            if len(rows) > MAX_ROWS:
                break
    except Exception:  # a read-only sheet is parsed as it is read: a DTD, broken XML …
        raise CellError(not_xlsx) from None
    finally:
        workbook.close()
    if not any(isinstance(h, str) and h.strip() for h in header):
        raise CellError(_("Arkets første række skal være kolonneoverskrifterne."))
    return header, rows


def match_header(header: list[Any]) -> tuple[list[tuple[int, Column]], list[RowError]]:
    """The columns the sheet has (by header, order free); unknown or repeated ones are errors."""
    known = {norm(c.header): c for c in COLUMNS}
    columns: list[tuple[int, Column]] = []
    seen: set[str] = set()
    errors = []
    for index, title in enumerate(header):
        if title is None or not str(title).strip():
            continue
        column = known.get(norm(title))
        if column is None:
            errors.append(RowError(1, str(title), _("Ukendt kolonne.")))
        elif column.key in seen:
            errors.append(RowError(1, str(title), _("Kolonnen findes flere gange.")))
        else:
            seen.add(column.key)
            columns.append((index, column))
    return columns, errors


def _validate_row(
    user: User,
    lookup: Lookup,
    columns: list[tuple[int, Column]],
    number: int,
    values: list[Any],
    result: ImportResult,
) -> tuple[uuid.UUID | None, dict[str, Any]]:
    """The row as service input, or its errors added to `result` (every one of them)."""
    raw: dict[str, Any] = {}
    process_id: uuid.UUID | None = None
    sheet_version: Any = None
    errors_before = len(result.errors)
    for index, column in columns:
        value = values[index] if index < len(values) else None
        if isinstance(value, str):
            value = value.strip()
            value = value or None
        if column.key == VERSION:
            sheet_version = int(value) if isinstance(value, float) else value
            continue
        if column.readonly:
            continue
        try:
            converted = converter_for(column).read(column, value, lookup)
        except CellError as e:
            result.errors.append(RowError(number, str(column.header), str(e)))
            continue
        if column.key == ID:
            process_id = converted
        elif converted is not OMIT:
            raw[column.key] = converted
    current = None
    if process_id is not None:
        current = db.session.scalar(
            select(Process).where(
                Process.tenant_id == user.tenant_id,
                Process.id == process_id,
                policy.visible_to(user),
            )
        )
        if current is None:
            result.errors.append(RowError(number, str(_l("Id")), _("Processen findes ikke.")))
        elif sheet_version is not None and str(sheet_version) != str(current.version):
            result.errors.append(
                RowError(
                    number,
                    str(_l("Version")),
                    _(
                        "Processen er ændret efter udtrækket (nu version %(v)d)."
                        " Hent et nyt udtræk.",
                        v=current.version,
                    ),
                )
            )
    if len(result.errors) > errors_before:
        # Still check the other cells, but without the ones already found wrong.
        failed = {e.column for e in result.errors[errors_before:]}
        raw = {k: v for k, v in raw.items() if _header(k) not in failed}
    try:
        if current is not None:
            data = ProcessPatchSchema().load({**raw, "version": current.version})
        else:
            schema = ProcessInSchema(partial=process_id is not None)
            data = schema.load(raw)
    except ValidationError as e:
        _add_errors(result, number, normalise_messages(e.normalized_messages()))
        return process_id, {}
    _add_errors(result, number, services.check_references(user, data))
    return process_id, data


def _header(key: str) -> str:
    for column in COLUMNS:
        if column.key == key:
            return str(column.header)
    return key


def _add_errors(result: ImportResult, number: int, errors: dict[str, Any]) -> None:
    for key, messages in errors.items():
        for message in _flatten(messages):
            result.errors.append(RowError(number, _header(key) if key else None, message))


def _flatten(messages: Any) -> Iterator[str]:
    if isinstance(messages, dict):
        for value in messages.values():
            yield from _flatten(value)
    elif isinstance(messages, list | tuple):
        for value in messages:
            yield from _flatten(value)
    else:
        yield str(messages)

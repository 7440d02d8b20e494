"""The register as a spreadsheet: export of the filtered list to Excel and CSV, and import
of an Excel sheet in the same layout (one row per process, Danish column headers).

The export stays inside the municipality, so it carries the private fields too (internal
notes, ESDH reference); it shows only what the user may see (queries.filtered_query).
The import is all or none: every row is validated first, then all are applied in one
transaction, and any error leaves the register untouched.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
import zipfile
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError
from sqlalchemy import Row, select

from autoproces.platform.db import db
from autoproces.platform.errors import DomainError, normalise_messages
from autoproces.platform.identity.auth import require
from autoproces.platform.identity.models import User
from autoproces.platform.permissions import Action
from autoproces.platform.textinput import clean as clean_text

from . import fields as registry
from . import policy, queries, services
from .fields import Column
from .figures import FIGURE_INPUTS, FIGURES, expected_figures, suitability
from .history import requests_change, snapshot
from .models import (
    LEVEL_LABELS,
    Domain,
    Level,
    Process,
    ProcessAssociatedUser,
    ProcessDomain,
)
from .schemas import ProcessInSchema, ProcessPatchSchema

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 5_000
# An xlsx is a zip: refuse one that unpacks to far more than any register needs (zip bomb).
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
LOCAL_TZ = ZoneInfo("Europe/Copenhagen")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIME = "text/csv; charset=utf-8"
LIST_SEPARATOR = ";"

# The columns are the registry's (fields.py): its spreadsheet order, headers and formats.
COLUMNS = registry.sheet_columns()
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"


def headers() -> list[str]:
    return [str(column.header) for column in COLUMNS]


# --- Export -----------------------------------------------------------------------------


EXPORT_BATCH = 500


def export_rows(user: User, filters: dict[str, Any]) -> Iterator[list[Any]]:
    """The header, then one row per process `user` may see under `filters` (the list's
    query arguments), in the list's order. Streams in batches of 500."""
    filters = dict(filters)
    sort = filters.pop("sort", "relevance")
    for key in ("page", "per_page", "format"):
        filters.pop(key, None)
    conditions = queries.filtered_query(user, **filters)
    tenant_id = user.tenant_id
    stored = queries.settings_for(tenant_id)
    # Plain values: a CSV streams after the request's commit, when ORM objects are expired.
    settings = (
        SimpleNamespace(
            hours_per_fte=stored.hours_per_fte, cost_per_hour_dkk=stored.cost_per_hour_dkk
        )
        if stored
        else None
    )
    yield headers()
    # Plain rows of the columns the sheet needs, not ORM objects: 5,000 processes of 76
    # columns and four relationships took seconds to build as objects.
    needed = {c.key for c in COLUMNS} | {"reporter_id", *FIGURE_INPUTS}
    source = [c for c in Process.__table__.c if c.key in needed]
    index = {c.key: i for i, c in enumerate(source)}
    names = _Names(tenant_id)
    getters = [_getter(column, index, names) for column in COLUMNS]
    people_at = [index[k] for k in ("reporter_id", "owner_id", "contact_id")]
    query = (
        select(*source)
        .where(*conditions)
        .order_by(*queries.sort_order(sort, filters.get("q")), Process.id)
        .execution_options(yield_per=EXPORT_BATCH)
    )
    for batch in db.session.execute(query).partitions():
        names.load(batch, index["id"], people_at)
        for row in batch:
            figures = {**expected_figures(row, settings), **suitability(row)}
            yield [get(row, figures) for get in getters]


class _Names:
    """The names an export shows for ids (fagområder, people), looked up once per batch
    of rows: three queries per 500 processes instead of relationships per process."""

    def __init__(self, tenant_id: uuid.UUID) -> None:
        self.tenant_id = tenant_id
        self.people: dict[uuid.UUID, str] = {}  # kept across batches: the same few people
        self.domains_of: dict[uuid.UUID, str] = {}
        self.associated_of: dict[uuid.UUID, str] = {}

    def load(self, batch: Sequence[Row[Any]], id_at: int, people_at: list[int]) -> None:
        ids = [row[id_at] for row in batch]
        domains = db.session.execute(
            select(ProcessDomain.process_id, Domain.name)
            .join(
                Domain,
                (Domain.tenant_id == ProcessDomain.tenant_id)
                & (Domain.id == ProcessDomain.domain_id),
            )
            .where(ProcessDomain.tenant_id == self.tenant_id, ProcessDomain.process_id.in_(ids))
            .order_by(Domain.position, Domain.name)
        )
        self.domains_of = _joined(domains)
        associated = db.session.execute(
            select(ProcessAssociatedUser.process_id, User.name)
            .join(
                User,
                (User.tenant_id == ProcessAssociatedUser.tenant_id)
                & (User.id == ProcessAssociatedUser.user_id),
            )
            .where(
                ProcessAssociatedUser.tenant_id == self.tenant_id,
                ProcessAssociatedUser.process_id.in_(ids),
            )
            .order_by(User.name)
        )
        self.associated_of = _joined(associated)
        wanted = {row[at] for row in batch for at in people_at} - {None} - self.people.keys()
        if wanted:
            found = db.session.execute(
                select(User.id, User.name).where(
                    User.tenant_id == self.tenant_id, User.id.in_(wanted)
                )
            )
            self.people.update({user_id: name for user_id, name in found})


def _joined(pairs: Iterable[Any]) -> dict[uuid.UUID, str]:
    """(process id, name) pairs, in order, as `;`-separated names per process."""
    names: dict[uuid.UUID, list[str]] = defaultdict(list)
    for process_id, name in pairs:
        names[process_id].append(name)
    return {process_id: LIST_SEPARATOR.join(found) for process_id, found in names.items()}


def _getter(
    column: Column, index: dict[str, int], names: _Names
) -> Callable[[Row[Any], dict[str, Any]], Any]:
    """How to read the column's cell from a row (labels translated once per export)."""
    key, kind = column.key, column.kind
    if key in FIGURES:
        return lambda r, figures: figures[key]
    if kind == "domains":
        at = index["id"]
        return lambda r, f: names.domains_of.get(r[at])
    if kind == "people":
        at = index["id"]
        return lambda r, f: names.associated_of.get(r[at])
    if kind == "person":
        at = index[key if key.endswith("_id") else f"{key}_id"]
        return lambda r, f: names.people.get(r[at])
    at = index[key]
    if kind == "id":
        return lambda r, f: str(r[at])
    if kind == "enum":
        labels = {str(code): str(label) for code, label in column.labels.items()}
        return lambda r, f: labels.get(v, v) if (v := r[at]) else None
    if kind in ("flag", "bool"):
        yes, no = _("Ja"), _("Nej")
        return lambda r, f: None if (v := r[at]) is None else (yes if v else no)
    if kind == "list":
        return lambda r, f: LIST_SEPARATOR.join(r[at] or []) or None
    if kind == "it_systems":
        return lambda r, f: (
            LIST_SEPARATOR.join(
                f"{s.get('name', '')} ({s['vendor']})" if s.get("vendor") else s.get("name", "")
                for s in r[at] or []
            )
            or None
        )
    if kind == "links":
        return lambda r, f: (
            LIST_SEPARATOR.join(
                f"{link.get('title')} ({link['url']})" if link.get("title") else link["url"]
                for link in r[at] or []
            )
            or None
        )
    if kind == "datetime":
        # Excel has no time zones: local Danish time, naive.
        return lambda r, f: (
            v.astimezone(LOCAL_TZ).replace(tzinfo=None, microsecond=0) if (v := r[at]) else None
        )
    if kind == "text":
        return lambda r, f: r[at] or None
    return lambda r, f: r[at]


def write_xlsx(rows: Iterable[list[Any]]) -> bytes:
    """An .xlsx of `rows` (the first is the header): real dates and numbers, a frozen
    bold header row, an auto-filter and column widths. Written in write-only mode."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Processer"))
    sheet.freeze_panes = "A2"
    iterator = iter(rows)
    header = next(iterator)
    by_header = {str(c.header): c for c in COLUMNS}
    columns = [by_header.get(h) for h in header]
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width if column else 18
    bold = Font(bold=True)
    cells = []
    for title in header:
        cell = WriteOnlyCell(sheet, clean_text(str(title)))
        cell.font = bold
        cells.append(cell)
    sheet.append(cells)
    # One reusable cell per column that needs a number format (dates, decimals): a write-only
    # sheet writes each row as it is appended, so the cell objects can be refilled.
    formatted: list[Any] = []
    for column in columns:
        kind = column.kind if column else None
        number_format = (
            DATE_FORMAT
            if kind == "date"
            else DATETIME_FORMAT
            if kind == "datetime"
            else column.number_format
            if kind == "decimal"
            else None
        )
        if number_format:
            template = WriteOnlyCell(sheet)
            template.number_format = number_format
            formatted.append(template)
        else:
            formatted.append(None)

    def cell(value: Any, template: Any) -> Any:
        # Plain values are cheapest; a cell object only where a format or type is needed.
        if value is None:
            return None
        if template is not None:
            template.value = value
            return template
        if isinstance(value, str):
            # What was stored before input was cleaned must not break the whole export.
            value = clean_text(value)
            if value.startswith("="):
                text = WriteOnlyCell(sheet, value)
                text.data_type = "s"  # text stays text: no formula injection
                return text
        return value

    count = 0
    for row in iterator:
        sheet.append([cell(v, t) for v, t in zip(row, formatted, strict=True)])
        count += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{count + 1}"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def write_csv(rows: Iterable[list[Any]]) -> Iterator[str]:
    """CSV as Danish Excel opens it: UTF-8 with BOM, `;` between fields, decimal comma."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    yield "\ufeff"
    for row in rows:
        writer.writerow([_csv_value(v) for v in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate(0)


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float | Decimal):
        return format(value, "f").rstrip("0").rstrip(".").replace(".", ",") if value else "0"
    text = str(value)
    # A spreadsheet would run a cell starting like a formula (CSV injection).
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def filename(slug: str, extension: str) -> str:
    return f"processer-{slug}-{date.today().isoformat()}.{extension}"


# --- Import -----------------------------------------------------------------------------


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


class _Fail(Exception):
    """A cell that cannot be read; the message names what is wrong."""


def import_xlsx(user: User, data: bytes) -> ImportResult:
    """Create (no Id) or update (Id) one process per row of an .xlsx in the export's layout.

    Every row is checked first (labels, the schemas, the references); only when no row
    has an error are all applied, in one transaction (a savepoint here), with history.
    """
    require(user, Action.EDIT)
    result = ImportResult()
    try:
        header, rows = _read_sheet(data)
    except _Fail as e:
        result.errors.append(RowError(None, None, str(e)))
        return result
    columns, problems = _match_header(header)
    result.errors += problems
    if len(rows) > MAX_ROWS:
        result.errors.append(
            RowError(None, None, _("Arket har over %(max)d rækker.", max=MAX_ROWS))
        )
    if result.errors:
        return result
    lookup = _Lookup(user)
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


def _read_sheet(data: bytes) -> tuple[list[Any], list[tuple[int, list[Any]]]]:
    from openpyxl import load_workbook

    not_xlsx = _("Filen er ikke et Excel-ark (.xlsx).")
    if len(data) > MAX_BYTES:
        raise _Fail(_("Filen er for stor. Den må højst fylde %(mb)d MB.", mb=MAX_BYTES // 2**20))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(i.file_size for i in archive.infolist()) > MAX_UNPACKED_BYTES:
                raise _Fail(not_xlsx)
            if "xl/workbook.xml" not in archive.namelist():
                raise _Fail(not_xlsx)
            # Excel never writes a DTD; one can only be there to expand entities or reach
            # for files, so the sheet is refused before any XML parser sees it.
            if any(_DOCTYPE.search(archive.read(i)) for i in archive.infolist()):
                raise _Fail(_("Filen indeholder en DTD (<!DOCTYPE>) og kan ikke indlæses."))
    except (zipfile.BadZipFile, EOFError, NotImplementedError, zlib.error):
        raise _Fail(not_xlsx) from None
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds on a broken file
        raise _Fail(not_xlsx) from None
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
        raise _Fail(not_xlsx) from None
    finally:
        workbook.close()
    if not any(isinstance(h, str) and h.strip() for h in header):
        raise _Fail(_("Arkets første række skal være kolonneoverskrifterne."))
    return header, rows


def _norm(text: Any) -> str:
    return " ".join(str(text).split()).casefold()


def _match_header(header: list[Any]) -> tuple[list[tuple[int, Column]], list[RowError]]:
    """The columns the sheet has (by header, order free); unknown or repeated ones are errors."""
    known = {_norm(c.header): c for c in COLUMNS}
    columns: list[tuple[int, Column]] = []
    seen: set[str] = set()
    errors = []
    for index, title in enumerate(header):
        if title is None or not str(title).strip():
            continue
        column = known.get(_norm(title))
        if column is None:
            errors.append(RowError(1, str(title), _("Ukendt kolonne.")))
        elif column.key in seen:
            errors.append(RowError(1, str(title), _("Kolonnen findes flere gange.")))
        else:
            seen.add(column.key)
            columns.append((index, column))
    return columns, errors


class _Lookup:
    """The tenant's fagområder, users and the processes the sheet names, loaded once."""

    def __init__(self, user: User) -> None:
        self.domains = {
            _norm(d.name): d.id for d in queries.list_domains(user.tenant_id, active_only=False)
        }
        self.users: dict[str, list[uuid.UUID]] = {}
        for uid, name, email in db.session.execute(
            select(User.id, User.name, User.email).where(User.tenant_id == user.tenant_id)
        ):
            for key in {_norm(name), _norm(email or "")} - {""}:
                self.users.setdefault(key, []).append(uid)

    def person(self, text: str) -> uuid.UUID:
        found = self.users.get(_norm(text), [])
        if not found:
            raise _Fail(_("Ukendt bruger: %(name)s.", name=text))
        if len(found) > 1:
            raise _Fail(
                _("Flere brugere hedder %(name)s. Skriv e-mailadressen i stedet.", name=text)
            )
        return found[0]


def _validate_row(
    user: User,
    lookup: _Lookup,
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
        if column.kind == "id":
            if value is not None:
                try:
                    process_id = uuid.UUID(str(value))
                except ValueError:
                    result.errors.append(RowError(number, str(column.header), _("Ugyldigt id.")))
            continue
        if column.key == "version":
            sheet_version = int(value) if isinstance(value, float) else value
            continue
        if column.readonly:
            continue
        try:
            converted = _convert(column, value, lookup)
        except _Fail as e:
            result.errors.append(RowError(number, str(column.header), str(e)))
            continue
        if converted is not _OMIT:
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


_OMIT = object()
NULLABLE_TEXT = frozenset({"kle_code", "form_code"})
_TRUE = {"ja", "sand", "true", "1", "x", "yes"}
_FALSE = {"nej", "falsk", "false", "0", "no"}
_DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%Y")


def _convert(column: Column, value: Any, lookup: _Lookup) -> Any:
    """A cell as the schema's input. A blank cell clears the field (keeps it for the
    fields that cannot be blank: visibility, phase, status)."""
    kind = column.kind
    if value is None and column.key in NULLABLE_TEXT:
        return None
    if value is None:
        return {
            "text": "",
            "list": [],
            "domains": [],
            "people": [],
            "it_systems": [],
            "links": [],
            "flag": False,
            "enum": _blank_enum(column),
        }.get(kind)
    if kind == "text":
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return value.isoformat() if isinstance(value, date) else str(value)
    if kind == "int":
        if isinstance(value, bool):
            raise _Fail(_("Skal være et helt tal."))
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value if isinstance(value, int) else str(value).replace(" ", "")
    if kind == "decimal":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return Decimal(str(value))
        try:
            return Decimal(str(value).replace(" ", "").replace(",", "."))
        except InvalidOperation:
            raise _Fail(_("Skal være et tal.")) from None
    if kind == "date":
        return _date(value).isoformat()
    if kind in ("flag", "bool"):
        if isinstance(value, bool):
            return value
        text = _norm(value)
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise _Fail(_("Skriv Ja eller Nej."))
    if kind == "enum":
        return _enum(column, value)
    parts = [p.strip() for p in str(value).split(LIST_SEPARATOR) if p.strip()]
    if kind == "list":
        return parts
    if kind == "domains":
        unknown = [p for p in parts if _norm(p) not in lookup.domains]
        if unknown:
            raise _Fail(_("Ukendt fagområde: %(names)s.", names=", ".join(unknown)))
        return [str(lookup.domains[_norm(p)]) for p in parts]
    if kind == "person":
        return str(lookup.person(str(value)))
    if kind == "people":
        return [str(lookup.person(p)) for p in parts]
    if kind == "it_systems":
        return [_named(p, "name", "vendor") for p in parts]
    if kind == "links":
        links = []
        for p in parts:
            found = re.fullmatch(r"(.*?)\s*\((\S+)\)", p)
            links.append({"title": found[1], "url": found[2]} if found else {"url": p})
        return links
    raise _Fail(_("Kolonnen kan ikke indlæses."))  # pragma: no cover


def _named(text: str, name: str, extra: str) -> dict[str, str]:
    found = re.fullmatch(r"(.*?)\s*\(([^()]*)\)", text)
    return {name: found[1], extra: found[2]} if found else {name: text}


def _date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(str(value), pattern).date()
        except ValueError:
            continue
    raise _Fail(_("Skal være en dato (ÅÅÅÅ-MM-DD)."))


def _blank_enum(column: Column) -> Any:
    if column.labels is LEVEL_LABELS:
        return Level.UNSET.value
    if column.key in ("ai_act_risk", "run_schedule"):
        return None
    return _OMIT


def _enum(column: Column, value: Any) -> str:
    text = _norm(value)
    for code, label in column.labels.items():
        if text in (_norm(label), _norm(code)):
            return str(code)
    raise _Fail(
        _(
            "Ukendt værdi: %(value)s. Tilladt: %(allowed)s.",
            value=value,
            allowed=", ".join(str(label) for label in column.labels.values()),
        )
    )


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

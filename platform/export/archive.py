"""The export archive: one ZIP with a JSON file per kind of data, an Excel workbook and the
files, and a manifest that documents every part.

The platform fills it with its own data (the municipality, users, log-in settings without
secrets, invitations, API tokens without their hashes, the audit log); each component adds
its own through `Component.export` (tenant, archive), so the platform names no component's
table. Layout:

    manifest.json        what each part is (kind, file, description, count), made when
    data/<kind>.json     a list of objects, one per row; ids as text, times in ISO 8601 (UTC)
    autoproces.xlsx      a sheet per kind that has one (the register's "Processer" sheet is
                         the register's own export, the same columns as its Excel export)
    files/…              the files themselves (attachments), named in the kinds' JSON
"""

from __future__ import annotations

import enum
import io
import json
import tempfile
import uuid
import zipfile
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import IO, Any

from sqlalchemy import inspect

from ..storage import storage

# A sheet writer: (openpyxl write-only workbook, title, rows with the header first).
SheetWriter = Callable[[Any, str, Iterable[list[Any]]], None]
WORKBOOK = "autoproces.xlsx"
MANIFEST = "manifest.json"
FORMAT_VERSION = 1


def plain(value: Any) -> Any:
    """A stored value as JSON has it."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return (value.astimezone(UTC) if value.tzinfo else value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, enum.Enum):
        return plain(value.value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    return str(value)


def row_dict(row: Any, exclude: Iterable[str] = ()) -> dict[str, Any]:
    """A mapped object's (or a result row's) columns as plain values."""
    skip = set(exclude)
    if hasattr(row, "_mapping"):
        return {k: plain(v) for k, v in row._mapping.items() if k not in skip}
    mapper = inspect(type(row))
    return {
        c.key: plain(getattr(row, c.key))
        for c in mapper.column_attrs
        if c.key not in skip and c.key != "search_vector"  # derived, not data
    }


def _plain_sheet(workbook: Any, title: str, rows: Iterable[list[Any]]) -> None:
    from ..textinput import clean

    sheet = workbook.create_sheet(title[:31])
    for row in rows:
        cells = []
        for value in row:
            value = plain(value)
            if isinstance(value, list | dict):
                value = json.dumps(value, ensure_ascii=False)
            if isinstance(value, str):
                value = clean(value)
                if value.startswith("="):
                    value = "'" + value  # text stays text: no formula
            cells.append(value)
        sheet.append(cells)


class ExportArchive:
    """Writes the archive into a temporary file; `close()` finishes it and returns the file
    (at its start). Nothing is kept anywhere until the caller stores it."""

    def __init__(self, tenant: Any) -> None:
        from openpyxl import Workbook

        self.tenant = tenant
        self.file: IO[bytes] = tempfile.TemporaryFile()
        self.zip = zipfile.ZipFile(self.file, "w", compression=zipfile.ZIP_DEFLATED)
        self.workbook = Workbook(write_only=True)
        self.parts: list[dict[str, Any]] = []
        self.files = 0
        self._names: set[str] = set()

    def _part(self, kind: str, path: str, description: str, count: int | None) -> None:
        if kind in {p["kind"] for p in self.parts}:
            raise ValueError(f"export kind {kind!r} twice")
        self.parts.append(
            {"kind": kind, "file": path, "description": str(description), "count": count}
        )

    def add_json(self, kind: str, description: str, data: Any) -> None:
        """`data/<kind>.json`: usually a list of objects."""
        path = f"data/{kind}.json"
        body = json.dumps(plain(data), ensure_ascii=False, indent=1)
        self.zip.writestr(path, body)
        self._part(kind, path, description, len(data) if isinstance(data, list) else None)

    def add_rows(
        self, kind: str, description: str, rows: Iterable[Any], exclude: Iterable[str] = ()
    ) -> list[dict[str, Any]]:
        """Mapped objects (or result rows) as `data/<kind>.json`; returns the objects."""
        items = [row_dict(r, exclude) for r in rows]
        self.add_json(kind, description, items)
        return items

    def add_sheet(
        self, title: str, rows: Iterable[list[Any]], write: SheetWriter | None = None
    ) -> None:
        """A sheet of the workbook (the first row is the header); `write` lays it out
        (the register's typed columns), else values are written as they are."""
        (write or _plain_sheet)(self.workbook, title, rows)

    def add_file(self, name: str, storage_key: str) -> str:
        """Copy a stored file into `files/<name>` (made unique); returns its path."""
        safe = "/".join(p for p in name.replace("\\", "/").split("/") if p not in ("", ".", ".."))
        path = f"files/{safe}"
        base, dot, ext = path.rpartition(".")
        n = 1
        while path in self._names:
            n += 1
            path = f"{base}-{n}.{ext}" if dot else f"{path}-{n}"
        self._names.add(path)
        with self.zip.open(path, "w") as target:
            for chunk in storage().read(storage_key):
                target.write(chunk)
        self.files += 1
        return path

    def close(self) -> IO[bytes]:
        buffer = io.BytesIO()
        if not self.workbook.worksheets:
            self.workbook.create_sheet("-")
        self.workbook.save(buffer)
        self.zip.writestr(WORKBOOK, buffer.getvalue())
        manifest = {
            "format": "autoproces-export",
            "version": FORMAT_VERSION,
            "municipality": {"id": str(self.tenant.id), "slug": self.tenant.slug},
            "made_at": datetime.now(UTC).isoformat(),
            "workbook": WORKBOOK,
            "files": self.files,
            "parts": self.parts,
        }
        self.zip.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1))
        self.zip.close()
        self.file.seek(0)
        return self.file

    def discard(self) -> None:
        try:
            self.zip.close()
        except Exception:  # noqa: BLE001 - a half-written archive is thrown away anyway
            pass
        self.file.close()

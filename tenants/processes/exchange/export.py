"""The export: the filtered list as rows of cells, written as Excel or CSV.

It stays inside the municipality, so it carries the private fields too (internal notes,
ESDH reference); it shows only what the user may see (queries.filtered_query).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Row, select

from autoproces.platform.db import db
from autoproces.platform.identity.models import User
from autoproces.platform.textinput import clean as clean_text

from .. import queries
from ..fields import Column
from ..figures import FIGURE_INPUTS, expected_figures, score_context, score_figures, suitability
from ..models import Process
from .converters import COLUMNS, converter_for, headers
from .names import Names

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIME = "text/csv; charset=utf-8"
EXPORT_BATCH = 500
# A column that is not stored is one of figures.py's results (read from FIGURE_INPUTS).


def export_rows(user: User, filters: dict[str, Any]) -> Iterator[list[Any]]:
    """The header, then one row per process `user` may see under `filters` (the list's
    query arguments), in the list's order. Streams in batches of 500."""
    filters = dict(filters)
    sort = filters.pop("sort", "relevance")
    for key in ("page", "per_page", "format"):
        filters.pop(key, None)
    conditions = queries.filtered_query(user, **filters)
    order = queries.sort_order(sort, filters.get("q"))
    return _rows(user.tenant_id, conditions, order)


def all_rows(tenant_id: Any) -> Iterator[list[Any]]:
    """The header and every process of the municipality, private ones too, by number (the
    municipality's export archive, platform/export/)."""
    return _rows(tenant_id, [Process.tenant_id == tenant_id], [Process.number])


def _rows(tenant_id: Any, conditions: list[Any], order: list[Any]) -> Iterator[list[Any]]:
    stored = queries.settings_for(tenant_id)
    # Plain values: a CSV streams after the request's commit, when ORM objects are expired.
    settings = (
        SimpleNamespace(
            hours_per_fte=stored.hours_per_fte, cost_per_hour_dkk=stored.cost_per_hour_dkk
        )
        if stored
        else None
    )
    context = score_context(stored)  # plain values too
    yield headers()
    # Plain rows of the columns the sheet needs, not ORM objects: 5,000 processes of 76
    # columns and four relationships took seconds to build as objects.
    needed = {"id", *FIGURE_INPUTS} | {converter_for(c).source(c) for c in COLUMNS}
    source = [c for c in Process.__table__.c if c.key in needed]
    index = {c.key: i for i, c in enumerate(source)}
    names = Names(tenant_id)
    cells = [_cell(column, index, names) for column in COLUMNS]
    query = (
        select(*source)
        .where(*conditions)
        .order_by(*order, Process.id)
        .execution_options(yield_per=EXPORT_BATCH)
    )
    for batch in db.session.execute(query).partitions():
        names.load(batch, index)
        for row in batch:
            figures = {
                **expected_figures(row, settings),
                **suitability(row),
                **score_figures(row, context),
            }
            yield [cell(row, figures) for cell in cells]


def _cell(
    column: Column, index: dict[str, int], names: Names
) -> Callable[[Row[Any], dict[str, Any]], Any]:
    """How to make the column's cell from a row and its figures (built once per export)."""
    converter = converter_for(column)
    show = converter.exporter(column, names)
    key = converter.source(column)
    if key not in index:  # not stored: computed by figures.py for the row
        return (lambda r, f: f[key]) if show is None else (lambda r, f: show(f[key]))
    at = index[key]
    return (lambda r, f: r[at]) if show is None else (lambda r, f: show(r[at]))


def write_xlsx(rows: Iterable[list[Any]]) -> bytes:
    """An .xlsx of `rows` (the first is the header): real dates and numbers, a frozen
    bold header row, an auto-filter and column widths. Written in write-only mode."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    write_sheet(workbook, _("Processer"), rows)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def write_sheet(workbook: Any, title: str, rows: Iterable[list[Any]]) -> None:
    """The register's sheet of `rows` in a write-only `workbook` (also the export
    archive's "Processer" sheet)."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet = workbook.create_sheet(title)
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
        number_format = converter_for(column).number_format(column) if column else None
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

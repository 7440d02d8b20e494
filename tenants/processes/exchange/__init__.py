"""The register as a spreadsheet: export of the filtered list to Excel and CSV, and import
of an Excel sheet in the same layout (one row per process, Danish column headers).

- `converters.py`: the sheet's columns (fields.py) and one converter per kind of column,
  both ways (a stored value to a cell, a cell to the schemas' input with a Danish message).
- `export.py`: the rows of the filtered list, written as .xlsx or CSV.
- `importer.py`: reading an .xlsx safely, matching its header, validating every row, and
  applying all rows or none.
- `names.py`: names for the ids an export shows, ids for the names an import reads.
"""

from .converters import COLUMNS, CONVERTERS, converter_for, headers
from .export import CSV_MIME, XLSX_MIME, export_rows, filename, write_csv, write_xlsx
from .importer import MAX_BYTES, MAX_ROWS, ImportResult, RowError, import_xlsx

__all__ = [
    "COLUMNS",
    "CONVERTERS",
    "CSV_MIME",
    "MAX_BYTES",
    "MAX_ROWS",
    "XLSX_MIME",
    "ImportResult",
    "RowError",
    "converter_for",
    "export_rows",
    "filename",
    "headers",
    "import_xlsx",
    "write_csv",
    "write_xlsx",
]

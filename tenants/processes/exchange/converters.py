"""The sheet's columns and, per kind of column, how a stored value becomes a cell (export)
and how a cell becomes the schemas' input (import), with the Danish message when it cannot.

A column's kind is the registry's (fields.py, `Sheet.kind`) and CONVERTERS holds one converter
per kind: a new field of a kind that is already here needs no change in this package.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _

from autoproces.platform.i18n import LOCAL_TZ

from .. import fields as registry
from ..fields import Column
from ..models import Level

if TYPE_CHECKING:
    from .names import Lookup, Names

# The columns are the registry's (fields.py): its spreadsheet order, headers and formats.
COLUMNS = registry.sheet_columns()
LIST_SEPARATOR = ";"
# Excel has no time zones: times are local Danish time, naive.
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
_DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%Y")
_TIME_FORMATS = (" %H:%M", " %H:%M:%S", "")
_TRUE = {"ja", "sand", "true", "1", "x", "yes"}
_FALSE = {"nej", "falsk", "false", "0", "no"}


class _Omit:
    def __repr__(self) -> str:
        return "OMIT"


# What a blank cell imports as when it must leave the stored value alone.
OMIT: Any = _Omit()

# From a stored value to the cell's value.
Show = Callable[[Any], Any]


class CellError(Exception):
    """A cell that cannot be read; the message names what is wrong."""


def headers() -> list[str]:
    return [str(column.header) for column in COLUMNS]


def norm(text: Any) -> str:
    """Text as the import compares it: white space folded, case ignored."""
    return " ".join(str(text).split()).casefold()


def _or_none(value: Any) -> Any:
    return value or None


class Converter:
    """One kind of column, both ways. The defaults suit a value the sheet shows as it is
    stored (a number, a date); a kind overrides what differs."""

    # What a blank cell imports as: None clears the field, OMIT keeps it.
    blank: Any = None

    def source(self, column: Column) -> str:
        """The stored value (a column of the process's row) the cell shows."""
        return column.key

    def exporter(self, column: Column, names: Names) -> Show | None:
        """How the stored value becomes the cell's, made once per export (labels are
        translated then); None: the value as it is stored."""
        return None

    def number_format(self, column: Column) -> str | None:
        """The Excel number format of the column's cells, if it needs one."""
        return None

    def read(self, column: Column, value: Any, lookup: Lookup) -> Any:
        """The cell (stripped text, None when empty) as the schemas' input, or CellError."""
        if value is None:
            return self.blank_value(column)
        return self.from_cell(column, value, lookup)

    def blank_value(self, column: Column) -> Any:
        return self.blank

    def from_cell(self, column: Column, value: Any, lookup: Lookup) -> Any:
        raise CellError(_("Kolonnen kan ikke indlæses."))  # pragma: no cover


class Text(Converter):
    blank = ""

    def exporter(self, column: Column, names: Names) -> Show:
        return _or_none

    def from_cell(self, column: Column, value: Any, lookup: Lookup) -> str:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return value.isoformat() if isinstance(value, date) else str(value)


class Code(Text):
    """A code from a taxonomy (KLE, FORM): text, but a blank cell is no code at all."""

    blank = None


class Integer(Converter):
    def from_cell(self, column: Column, value: Any, lookup: Lookup) -> Any:
        if isinstance(value, bool):
            raise CellError(_("Skal være et helt tal."))
        if isinstance(value, float) and value.is_integer():
            return int(value)
        # Anything else the schema judges ("12 000" is 12000, "tolv" is not a number).
        return value if isinstance(value, int) else str(value).replace(" ", "")


class Number(Converter):
    def number_format(self, column: Column) -> str | None:
        return column.number_format

    def from_cell(self, column: Column, value: Any, lookup: Lookup) -> Decimal:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return Decimal(str(value))
        try:
            return Decimal(str(value).replace(" ", "").replace(",", "."))
        except InvalidOperation:
            raise CellError(_("Skal være et tal.")) from None


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
    raise CellError(_("Skal være en dato (ÅÅÅÅ-MM-DD)."))


class Date(Converter):
    def number_format(self, column: Column) -> str:
        return DATE_FORMAT

    def from_cell(self, column: Column, value: Any, lookup: Lookup) -> str:
        return _date(value).isoformat()


class DateTime(Converter):
    """A moment, shown in local Danish time without a zone (Excel has none)."""

    def exporter(self, column: Column, names: Names) -> Show:
        return lambda v: v.astimezone(LOCAL_TZ).replace(tzinfo=None, microsecond=0) if v else None

    def number_format(self, column: Column) -> str:
        return DATETIME_FORMAT

    def from_cell(self, column: Column, value: Any, lookup: Lookup) -> str:
        if isinstance(value, datetime):
            moment = value
        elif isinstance(value, date):
            moment = datetime.combine(value, time())
        else:
            moment = _moment(" ".join(str(value).replace("T", " ").split()))
        return moment.replace(tzinfo=LOCAL_TZ).isoformat()


def _moment(text: str) -> datetime:
    for day in _DATE_FORMATS:
        for clock in _TIME_FORMATS:
            try:
                return datetime.strptime(text, day + clock)
            except ValueError:
                continue
    raise CellError(_("Skal være et tidspunkt (ÅÅÅÅ-MM-DD TT:MM)."))


class YesNo(Converter):
    def __init__(self, blank: bool | None) -> None:
        self.blank = blank

    def exporter(self, column: Column, names: Names) -> Show:
        yes, no = _("Ja"), _("Nej")
        return lambda v: None if v is None else (yes if v else no)

    def from_cell(self, column: Column, value: Any, lookup: Lookup) -> bool:
        if isinstance(value, bool):
            return value
        text = norm(value)
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise CellError(_("Skriv Ja eller Nej."))


class Enum(Converter):
    """A code shown by its Danish label (`column.labels`); the import takes either. A blank
    cell keeps the value: the field cannot be blank."""

    blank = OMIT

    def exporter(self, column: Column, names: Names) -> Show:
        labels = {str(code): str(label) for code, label in (column.labels or {}).items()}
        return lambda v: labels.get(v, v) if v else None

    def from_cell(self, column: Column, value: Any, lookup: Lookup) -> str:
        labels = column.labels or {}
        text = norm(value)
        for code, label in labels.items():
            if text in (norm(label), norm(code)):
                return str(code)
        raise CellError(
            _(
                "Ukendt værdi: %(value)s. Tilladt: %(allowed)s.",
                value=value,
                allowed=", ".join(str(label) for label in labels.values()),
            )
        )


class OptionalEnum(Enum):
    """An enum the team may leave unanswered: a blank cell clears it."""

    blank = None


class LevelEnum(Enum):
    """An assessment answer: a blank cell is "not assessed"."""

    blank = Level.UNSET.value


def _parts(value: Any) -> list[str]:
    return [p.strip() for p in str(value).split(LIST_SEPARATOR) if p.strip()]


class Separated(Converter):
    """A list in one cell, `;` between the items; a blank cell is the empty list."""

    def blank_value(self, column: Column) -> list[Any]:
        return []

    def exporter(self, column: Column, names: Names) -> Show:
        return lambda v: LIST_SEPARATOR.join(v or []) or None

    def from_cell(self, column: Column, value: Any, lookup: Lookup) -> list[Any]:
        return _parts(value)


class Described(Separated):
    """Items of two parts in one cell, the second in brackets: `name (vendor)`."""

    pattern = re.compile(r"(.*?)\s*\(([^()]*)\)")
    # The keys of the part outside the brackets, of the part inside, and of a lone part.
    outside, inside, alone = "name", "vendor", "name"

    def item(self, part: dict[str, Any]) -> str:
        raise NotImplementedError

    def exporter(self, column: Column, names: Names) -> Show:
        item = self.item
        return lambda v: LIST_SEPARATOR.join(item(part) for part in v or []) or None

    def from_cell(self, column: Column, value: Any, lookup: Lookup) -> list[dict[str, str]]:
        items = []
        for part in _parts(value):
            found = self.pattern.fullmatch(part)
            items.append(
                {self.outside: found[1], self.inside: found[2]} if found else {self.alone: part}
            )
        return items


class ItSystems(Described):
    """The systems in use today: `name (vendor)`, or the name alone."""

    def item(self, part: dict[str, Any]) -> str:
        name = part.get("name", "")
        return f"{name} ({part['vendor']})" if part.get("vendor") else name


class Links(Described):
    """Links: `title (address)`, or the address alone."""

    pattern = re.compile(r"(.*?)\s*\((\S+)\)")
    outside, inside, alone = "title", "url", "url"

    def item(self, part: dict[str, Any]) -> str:
        return f"{part.get('title')} ({part['url']})" if part.get("title") else part["url"]


class Linked(Separated):
    """The names of what a process links to by a table of its own (its fagområder, its
    associated users): the export finds them by the process's id, per batch."""

    names_of = ""  # the Names table that holds them, by process id

    def source(self, column: Column) -> str:
        return "id"

    def exporter(self, column: Column, names: Names) -> Show:
        return getattr(names, self.names_of).get


class Domains(Linked):
    """Fagområder by name, in the municipality's order; the import knows them by name."""

    names_of = "domains_of"

    def from_cell(self, column: Column, value: Any, lookup: Lookup) -> list[str]:
        parts = _parts(value)
        unknown = [p for p in parts if norm(p) not in lookup.domains]
        if unknown:
            raise CellError(_("Ukendt fagområde: %(names)s.", names=", ".join(unknown)))
        return [str(lookup.domains[norm(p)]) for p in parts]


class Person(Converter):
    """A user by name (the import takes the e-mail address too)."""

    def source(self, column: Column) -> str:
        return column.key if column.key.endswith("_id") else f"{column.key}_id"

    def exporter(self, column: Column, names: Names) -> Show:
        names.user_columns.add(self.source(column))
        return names.people.get

    def from_cell(self, column: Column, value: Any, lookup: Lookup) -> str:
        return str(lookup.person(str(value)))


class People(Linked):
    """The users associated with a process, by name."""

    names_of = "associated_of"

    def from_cell(self, column: Column, value: Any, lookup: Lookup) -> list[str]:
        return [str(lookup.person(p)) for p in _parts(value)]


class Id(Converter):
    """The process's id: which row of the register a row of the sheet updates."""

    def exporter(self, column: Column, names: Names) -> Show:
        return str

    def from_cell(self, column: Column, value: Any, lookup: Lookup) -> uuid.UUID:
        try:
            return uuid.UUID(str(value))
        except ValueError:
            raise CellError(_("Ugyldigt id.")) from None


CONVERTERS: dict[str, Converter] = {
    "text": Text(),
    "code": Code(),
    "int": Integer(),
    "decimal": Number(),
    "date": Date(),
    "datetime": DateTime(),
    "flag": YesNo(blank=False),
    "bool": YesNo(blank=None),
    "enum": Enum(),
    "optional_enum": OptionalEnum(),
    "level": LevelEnum(),
    "list": Separated(),
    "it_systems": ItSystems(),
    "links": Links(),
    "domains": Domains(),
    "person": Person(),
    "people": People(),
    "id": Id(),
}


def converter_for(column: Column) -> Converter:
    return CONVERTERS[column.kind]

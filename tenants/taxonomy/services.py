"""KLE and FORM: importing them from files, and looking KLE codes up.

Imports read CSV (`code,title,level,parent_code` for KLE, `code,title,parent_code` for
FORM, as in `seed/`) or KL's KLE-Emneplan XML, told apart by content. Every row is checked
before anything is written; a file with one bad row writes nothing. Codes are upserted,
never deleted: processes may reference codes KL has retired.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.parsers import expat

from sqlalchemy import and_, case, exists, or_, select, text, true
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import aliased

from autoproces.platform import search
from autoproces.platform.db import db
from autoproces.platform.errors import Invalid

from .models import FormEntry, KleEntry

SEED_DIR = Path(__file__).parent / "seed"

KLE_CODE = re.compile(r"[0-9]{2}(\.[0-9]{2}){0,2}")
KLE_TOPIC = re.compile(r"[0-9]{2}\.[0-9]{2}\.[0-9]{2}")
FORM_CODE = re.compile(r"[0-9]{2}(\.[0-9]{2}){0,4}")
# A search term that looks like the start of a KLE code: "3", "32", "32.", "32.1", "32.01.0".
CODE_PREFIX = re.compile(r"[0-9]{1,2}(\.[0-9]{0,2}){0,2}")
MAX_ERRORS_SHOWN = 50
_BATCH = 1000


@dataclass(frozen=True)
class ImportResult:
    taxonomy: str  # "KLE" or "FORM"
    source_format: str  # "csv" or "xml"
    inserted: int
    updated: int
    unchanged: int
    kept: int  # codes in the database but not in the file: kept, never deleted

    @property
    def total(self) -> int:
        return self.inserted + self.updated + self.unchanged

    def summary(self) -> str:
        return (
            f"{self.taxonomy} ({self.source_format}): {self.total} codes, {self.inserted} inserted,"
            f" {self.updated} updated, {self.unchanged} unchanged; {self.kept} codes in the"
            " database but not in the file were kept."
        )


class TaxonomyImportError(Invalid):
    """A file that cannot be imported; `errors` maps "line N" to what is wrong there."""


@dataclass(frozen=True)
class _Row:
    where: str  # "line 12", for error messages
    code: str
    title: str
    level: int
    parent_code: str | None


@dataclass
class _Problems:
    errors: dict[str, list[str]] = field(default_factory=dict)

    def add(self, where: str, message: str) -> None:
        self.errors.setdefault(where, []).append(message)

    def raise_if_any(self, taxonomy: str, path: Path) -> None:
        if self.errors:
            count = sum(len(v) for v in self.errors.values())
            raise TaxonomyImportError(
                f"{path.name}: {count} error(s) in the {taxonomy} file; nothing was imported.",
                self.errors,
            )


# --- Import -----------------------------------------------------------------------------


def import_kle(path: Path) -> ImportResult:
    """Upsert KLE main groups, groups and topics from a CSV or KLE-Emneplan XML file."""
    data = _read(path)
    problems = _Problems()
    if _looks_like_xml(data):
        source_format, rows = "xml", _kle_rows_from_xml(data, problems)
    else:
        source_format = "csv"
        rows = _rows_from_csv(data, problems, ("code", "title"), ("level", "parent_code"))
        rows = [r for r in (_kle_row(raw, problems) for raw in rows) if r is not None]
    _check_rows(rows, problems, KleEntry, "KLE")
    problems.raise_if_any("KLE", path)
    return _upsert(KleEntry, "KLE", source_format, rows)


def import_form(path: Path) -> ImportResult:
    """Upsert FORM codes from a CSV file (`code,title[,parent_code]`).

    FORM has no public XML format we know of (FORM-online offers a REST service), so an
    XML file is refused.
    """
    data = _read(path)
    problems = _Problems()
    if _looks_like_xml(data):
        problems.add(
            "line 1",
            "FORM can only be imported from CSV (code,title,parent_code); this looks like XML.",
        )
        rows: list[_Row] = []
    else:
        raw_rows = _rows_from_csv(data, problems, ("code", "title"), ("parent_code",))
        rows = [r for r in (_form_row(raw, problems) for raw in raw_rows) if r is not None]
    _check_rows(rows, problems, FormEntry, "FORM")
    problems.raise_if_any("FORM", path)
    return _upsert(FormEntry, "FORM", "csv", rows)


def seed_reference_data() -> None:
    """Load the packaged KLE and FORM (seed/) into empty tables: for the demo."""
    if not db.session.scalar(select(exists().select_from(KleEntry))):
        import_kle(SEED_DIR / "kle.csv")
    if not db.session.scalar(select(exists().select_from(FormEntry))):
        import_form(SEED_DIR / "form.csv")


def _read(path: Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as e:
        raise TaxonomyImportError(f"{path}: cannot be read ({e.strerror or e}).") from e


def _looks_like_xml(data: bytes) -> bool:
    """By content, not by name: XML starts with '<' (after a byte-order mark and blanks)."""
    return data.removeprefix(b"\xef\xbb\xbf").lstrip()[:1] == b"<"


def _clean(value: str | None) -> str:
    """White space collapsed, NFC (KL's files and Danish keyboards may differ)."""
    return unicodedata.normalize("NFC", " ".join((value or "").split()))


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")  # a Danish spreadsheet's "CSV (semikolonsepareret)"
    except UnicodeDecodeError as e:
        raise TaxonomyImportError("The file is neither UTF-8 nor Windows-1252 text.") from e


def _rows_from_csv(
    data: bytes, problems: _Problems, required: tuple[str, ...], optional: tuple[str, ...]
) -> list[dict[str, Any]]:
    """Rows as dicts of the known columns, each with "where" ("line N")."""
    content = _decode(data)
    first_line = content.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=delimiter)
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [c for c in required if c not in header]
    if missing:
        problems.add(
            "line 1",
            f"the header must name the columns {', '.join(required + optional)}"
            f" (missing: {', '.join(missing)})",
        )
        return []
    columns = {name: header.index(name) for name in required + optional if name in header}
    rows = []
    for cells in reader:
        if not any(c.strip() for c in cells):
            continue
        row: dict[str, Any] = {"where": f"line {reader.line_num}"}
        for name, index in columns.items():
            row[name] = cells[index] if index < len(cells) else None
        rows.append(row)
    if not rows:
        problems.add("line 2", "the file has no rows")
    return rows


def _expected_parent(code: str) -> str | None:
    return code[:-3] if len(code) > 2 else None


def _kle_row(raw: dict[str, Any], problems: _Problems) -> _Row | None:
    where = raw["where"]
    code, title = _clean(raw.get("code")), _clean(raw.get("title"))
    ok = True
    if not KLE_CODE.fullmatch(code):
        problems.add(where, f"code '{code}' is not NN, NN.NN or NN.NN.NN")
        return None
    level = code.count(".") + 1
    if "level" in raw:
        given = _clean(raw["level"])
        if given != str(level):
            problems.add(where, f"level '{given}' does not match code {code} (level {level})")
            ok = False
    parent = _expected_parent(code)
    if "parent_code" in raw:
        given = _clean(raw["parent_code"]) or None
        if given != parent:
            problems.add(
                where,
                f"parent_code '{given or ''}' of {code} must be "
                + (f"'{parent}'" if parent else "empty (a main group has no parent)"),
            )
            ok = False
    ok = _check_title(where, code, title, problems) and ok
    return _Row(where, code, title, level, parent) if ok else None


def _form_row(raw: dict[str, Any], problems: _Problems) -> _Row | None:
    where = raw["where"]
    code, title = _clean(raw.get("code")), _clean(raw.get("title"))
    if not FORM_CODE.fullmatch(code):
        problems.add(where, f"code '{code}' is not a FORM code (NN, NN.NN, … up to 5 levels)")
        return None
    ok = True
    parent = _expected_parent(code)
    given = _clean(raw.get("parent_code")) or None
    if "parent_code" in raw and given != parent:
        problems.add(
            where,
            f"parent_code '{given or ''}' of {code} must be "
            + (f"'{parent}'" if parent else "empty (a top-level code has no parent)"),
        )
        ok = False
    ok = _check_title(where, code, title, problems) and ok
    return _Row(where, code, title, code.count(".") + 1, parent) if ok else None


def _check_title(where: str, code: str, title: str, problems: _Problems) -> bool:
    if not title:
        problems.add(where, f"{code} has no title")
        return False
    if "\x00" in title:
        problems.add(where, f"the title of {code} contains a NUL character")
        return False
    return True


def _check_rows(rows: list[_Row], problems: _Problems, model: Any, taxonomy: str) -> None:
    """Across rows: each code once, and each parent in the file or already in the database."""
    first_seen: dict[str, str] = {}
    for row in rows:
        if row.code in first_seen:
            problems.add(row.where, f"{row.code} appears twice (first at {first_seen[row.code]})")
        else:
            first_seen[row.code] = row.where
    wanted = {r.parent_code for r in rows if r.parent_code and r.parent_code not in first_seen}
    known = (
        set(db.session.scalars(select(model.code).where(model.code.in_(wanted))))
        if wanted
        else set()
    )
    for row in rows:
        if row.parent_code and row.parent_code not in first_seen and row.parent_code not in known:
            problems.add(
                row.where,
                f"the parent {row.parent_code} of {row.code} is neither in the file"
                f" nor in the {taxonomy} already imported",
            )


def _upsert(model: Any, taxonomy: str, source_format: str, rows: list[_Row]) -> ImportResult:
    """INSERT … ON CONFLICT (code) DO UPDATE, in the caller's transaction."""
    table = model.__table__
    # One import at a time, so the counts below describe what this one did.
    db.session.execute(
        text("select pg_advisory_xact_lock(hashtext(:key))"), {"key": f"autoproces:{table.name}"}
    )
    existing = {
        r.code: (r.title, r.parent_code, getattr(r, "level", None))
        for r in db.session.execute(select(*_columns(model)))
    }
    is_kle = model is KleEntry
    new, changed, unchanged = [], [], 0
    for row in rows:
        values: dict[str, Any] = {
            "code": row.code,
            "title": row.title,
            "parent_code": row.parent_code,
        }
        if is_kle:
            values["level"] = row.level
        before = existing.get(row.code)
        if before is None:
            new.append(values)
        elif before != (row.title, row.parent_code, row.level if is_kle else None):
            changed.append(values)
        else:
            unchanged += 1
    pending = new + changed
    for start in range(0, len(pending), _BATCH):
        stmt = insert(table).values(pending[start : start + _BATCH])
        updates = {c: stmt.excluded[c] for c in pending[0] if c != "code"}
        stmt = stmt.on_conflict_do_update(
            index_elements=["code"],
            set_=updates,
            where=or_(*(table.c[c].is_distinct_from(stmt.excluded[c]) for c in updates)),
        )
        db.session.execute(stmt)
    # Core statements bypass the ORM: entries already loaded in this session are stale.
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, model):
            db.session.expire(obj)
    seen = {r.code for r in rows}
    return ImportResult(
        taxonomy=taxonomy,
        source_format=source_format,
        inserted=len(new),
        updated=len(changed),
        unchanged=unchanged,
        kept=sum(1 for code in existing if code not in seen),
    )


def _columns(model: Any) -> list[Any]:
    columns = [model.code, model.title, model.parent_code]
    return [*columns, model.level] if model is KleEntry else columns


# --- KL's KLE-Emneplan XML ---------------------------------------------------------------
#
# <KLE-Emneplan>
#   <UdgivelsesDato>…</UdgivelsesDato>
#   <Hovedgruppe>
#     <HovedgruppeNr>00</HovedgruppeNr><HovedgruppeTitel>…</HovedgruppeTitel> …
#     <Gruppe>
#       <GruppeNr>00.01</GruppeNr><GruppeTitel>…</GruppeTitel> …
#       <Emne><EmneNr>00.01.00</EmneNr><EmneTitel>…</EmneTitel> …</Emne>
# as published by KL (klxml.dk "KLE-Emneplan_Version2-0.xml", kle-online.dk). Element
# names are matched without namespace prefix and case; guidance texts, legal references,
# filters and history are ignored. Levels and parents follow from the nesting.


@dataclass
class _Element:
    name: str  # local name, lower case
    line: int
    children: list[_Element] = field(default_factory=list)
    text: list[str] = field(default_factory=list)

    def child(self, name: str) -> _Element | None:
        return next((c for c in self.children if c.name == name), None)

    def all(self, name: str) -> list[_Element]:
        return [c for c in self.children if c.name == name]

    def iter(self, name: str) -> Iterator[_Element]:
        for c in self.children:
            if c.name == name:
                yield c
            else:
                yield from c.iter(name)


class _Refused(Exception):
    pass


def _parse_xml(data: bytes) -> _Element:
    """A small tree with line numbers (ElementTree has none); no DTDs or entities."""
    parser = expat.ParserCreate()
    root = _Element("#document", 0)
    stack = [root]

    def start(name: str, attrs: dict[str, str]) -> None:
        element = _Element(name.rsplit(":", 1)[-1].lower(), parser.CurrentLineNumber)
        stack[-1].children.append(element)
        stack.append(element)

    def end(name: str) -> None:
        stack.pop()

    def chars(data: str) -> None:
        stack[-1].text.append(data)

    def refuse_doctype(*args: Any) -> None:
        raise _Refused("a DOCTYPE is not allowed")

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    parser.StartDoctypeDeclHandler = refuse_doctype
    parser.EntityDeclHandler = refuse_doctype
    parser.Parse(data, True)
    return root


def _kle_rows_from_xml(data: bytes, problems: _Problems) -> list[_Row]:
    try:
        document = _parse_xml(data)
    except expat.ExpatError as e:
        problems.add(f"line {e.lineno}", f"not well-formed XML: {expat.ErrorString(e.code)}")
        return []
    except _Refused as e:
        problems.add("line 1", str(e))
        return []
    rows: list[_Row] = []
    main_groups = list(document.iter("hovedgruppe"))
    if not main_groups:
        root = document.children[0].name if document.children else "?"
        problems.add("line 1", f"no <Hovedgruppe> under <{root}>: not KL's KLE-Emneplan XML")
    for main in main_groups:
        code = _xml_entry(main, "Hovedgruppe", 1, None, problems, rows)
        for group in main.all("gruppe"):
            group_code = _xml_entry(group, "Gruppe", 2, code, problems, rows)
            for topic in group.all("emne"):
                _xml_entry(topic, "Emne", 3, group_code, problems, rows)
    return rows


def _xml_entry(
    element: _Element,
    kind: str,
    level: int,
    parent: str | None,
    problems: _Problems,
    rows: list[_Row],
) -> str | None:
    """Adds the row of a <Hovedgruppe>, <Gruppe> or <Emne>; returns its code if usable."""
    where = f"line {element.line} (<{kind}>)"
    number, title_element = (
        element.child(f"{kind.lower()}nr"),
        element.child(f"{kind.lower()}titel"),
    )
    code = _clean("".join(number.text)) if number is not None else ""
    title = _clean("".join(title_element.text)) if title_element is not None else ""
    if not code:
        problems.add(where, f"<{kind}Nr> is missing or empty")
        return None
    if not KLE_CODE.fullmatch(code) or code.count(".") + 1 != level:
        problems.add(where, f"<{kind}Nr> '{code}' is not {_KLE_PATTERNS[level]}")
        return None
    ok = _check_title(where, code, title, problems)
    # The nesting gives the parent (unknown when the enclosing number was bad).
    if parent is not None and _expected_parent(code) != parent:
        problems.add(where, f"{code} is inside {parent}; it belongs under {_expected_parent(code)}")
        ok = False
    if ok:
        rows.append(_Row(where, code, title, level, _expected_parent(code)))
    return code


_KLE_PATTERNS = {1: "a main group NN", 2: "a group NN.NN", 3: "a topic NN.NN.NN"}


# --- Look-ups ----------------------------------------------------------------------------

def _contains(column: Any, word: str) -> Any:
    """`word` (in lower case) in `column`, in any case (Danish capitals too)."""
    return search.contains(search.folded(column), word)


def _title_contains_all(words: Iterable[str]) -> Any:
    return and_(true(), *(_contains(KleEntry.title, w) for w in words))


def search_kle(q: str, limit: int = 20, levels: tuple[int, ...] = (2, 3)) -> list[KleEntry]:
    """KLE groups and topics for a picker: by code prefix ("32.1") or title words ("børn").

    Code prefix matches come first, then title matches, each by code. Terms that look
    like a code and words may be mixed ("27 børn": topics under 27 mentioning børn).
    """
    terms = unicodedata.normalize("NFC", q or "").lower().split()
    if not terms:
        return []
    limit = max(1, min(int(limit), 100))
    prefixes = [t for t in terms if CODE_PREFIX.fullmatch(t)]
    words = [t for t in terms if not CODE_PREFIX.fullmatch(t)]
    by_code = and_(true(), *(KleEntry.code.startswith(p, autoescape=True) for p in prefixes))
    order: list[Any] = []
    if prefixes and words:
        condition = and_(by_code, _title_contains_all(words))
    elif prefixes:
        # "32" may be a code or a number in a title ("§ 32"): both, codes first.
        condition = or_(by_code, _title_contains_all(prefixes))
        order.append(case((by_code, 0), else_=1))
    else:
        condition = _title_contains_all(words)
    return list(
        db.session.scalars(
            select(KleEntry)
            .where(KleEntry.level.in_(levels), condition)
            .order_by(*order, KleEntry.code)
            .limit(limit)
        )
    )


def kle_exists(code: str) -> bool:
    """Whether `code` is in the imported KLE (retired codes included)."""
    return kle_title(code) is not None


def kle_title(code: str | None) -> str | None:
    if not code or not KLE_CODE.fullmatch(code.strip()):
        return None
    return db.session.scalar(select(KleEntry.title).where(KleEntry.code == code.strip()))


def search_kle_topics(q: str, limit: int = 20) -> list[tuple[KleEntry, str | None]]:
    """KLE topics for the process form's picker, each with the title of its group.

    Only topics (`NN.NN.NN`), the codes a process takes. As `search_kle`, and a word may
    also match the group's title: "byggearbejde" finds 02.34.30 "Nedrivning af
    bebyggelse" under "Byggetilladelse og anmeldelse om byggearbejde". Code prefix
    matches come first, then topics whose own title has every word, then the rest.
    """
    terms = unicodedata.normalize("NFC", q or "").lower().split()
    if not terms:
        return []
    limit = max(1, min(int(limit), 101))
    group = aliased(KleEntry)
    prefixes = [t for t in terms if CODE_PREFIX.fullmatch(t)]
    words = [t for t in terms if not CODE_PREFIX.fullmatch(t)]
    by_code = and_(true(), *(KleEntry.code.startswith(p, autoescape=True) for p in prefixes))
    in_own_title = _title_contains_all(words)
    in_either_title = and_(
        true(), *(or_(_contains(KleEntry.title, w), _contains(group.title, w)) for w in words)
    )
    order: list[Any] = []
    if prefixes and words:
        condition = and_(by_code, in_either_title)
    elif prefixes:
        # "32" may be a code or a number in a title ("§ 32"): both, codes first.
        condition = or_(by_code, _title_contains_all(prefixes))
        order.append(case((by_code, 0), else_=1))
    else:
        condition = in_either_title
    if words:
        order.append(case((in_own_title, 0), else_=1))
    rows = db.session.execute(
        select(KleEntry, group.title)
        .outerjoin(group, group.code == KleEntry.parent_code)
        .where(KleEntry.level == 3, condition)
        .order_by(*order, KleEntry.code)
        .limit(limit)
    )
    return [(entry, group_title) for entry, group_title in rows]


def kle_topic(code: str | None) -> KleEntry | None:
    """The KLE topic `code` names (retired ones included), or None: for showing its title."""
    code = (code or "").strip()
    if not KLE_TOPIC.fullmatch(code):
        return None
    entry = db.session.get(KleEntry, code)
    return entry if entry is not None and entry.level == 3 else None

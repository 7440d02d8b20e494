"""The sheet's converters (D24): every column of the registry has one for its kind, each
kind comes back from a cell as it went in, and a fully filled process survives an export
and an import unchanged."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from helpers import add_kle_topic, bearer
from openpyxl import load_workbook

from autoproces.tenants.processes import exchange, fields
from autoproces.tenants.processes.exchange.converters import OMIT
from autoproces.tenants.processes.exchange.export import write_xlsx
from autoproces.tenants.processes.exchange.importer import read_sheet
from autoproces.tenants.processes.exchange.names import Lookup
from autoproces.tenants.processes.models import Process

PROCESS = uuid.uuid4()
TEA, KIM = uuid.uuid4(), uuid.uuid4()
ECONOMY, SOCIAL = uuid.uuid4(), uuid.uuid4()
MOMENT = datetime(2026, 3, 4, 12, 30, tzinfo=UTC)

# Per kind: a stored value, and what the import makes of the cell the export wrote for it.
SAMPLES = {
    "text": ("Løn og refusion", "Løn og refusion"),
    "code": ("32.18.08", "32.18.08"),
    "int": (1200, 1200),
    "decimal": (Decimal("7.5"), Decimal("7.5")),
    "date": (date(2026, 9, 1), "2026-09-01"),
    "datetime": (MOMENT, "2026-03-04T13:30:00+01:00"),  # Danish time in the sheet
    "flag": (True, True),
    "bool": (False, False),
    "enum": ("preanalysis", "preanalysis"),
    "optional_enum": ("weekly", "weekly"),
    "level": ("high", "high"),
    "list": (["RPA", "Chatbot"], ["RPA", "Chatbot"]),
    "it_systems": (
        [{"name": "KMD Nexus", "vendor": "KMD"}, {"name": "Outlook"}],
        [{"name": "KMD Nexus", "vendor": "KMD"}, {"name": "Outlook"}],
    ),
    "links": (
        [{"title": "Vejledning", "url": "https://example.dk/a"}, {"url": "https://example.dk/b"}],
        [{"title": "Vejledning", "url": "https://example.dk/a"}, {"url": "https://example.dk/b"}],
    ),
    "domains": (PROCESS, [str(ECONOMY), str(SOCIAL)]),
    "person": (TEA, str(TEA)),
    "people": (PROCESS, [str(TEA), str(KIM)]),
    "id": (PROCESS, PROCESS),
}
# Labels by kind for the sample column of each enum-like kind.
LABELS = {
    "enum": fields.BY_NAME["phase"].sheet.labels,
    "optional_enum": fields.BY_NAME["run_schedule"].sheet.labels,
    "level": fields.BY_NAME["professional_judgement"].sheet.labels,
}


def test_every_column_of_the_registry_has_a_converter_for_its_kind():
    assert [c.key for c in exchange.COLUMNS] == list(fields.SHEET_ORDER)
    for column in fields.sheet_columns():
        assert column.kind in exchange.CONVERTERS, (column.key, column.kind)
        assert exchange.converter_for(column) is exchange.CONVERTERS[column.kind]
    # Every kind is one a column uses, and this file has a sample of each.
    assert {c.kind for c in exchange.COLUMNS} == set(exchange.CONVERTERS) == set(SAMPLES)


def _names():
    return SimpleNamespace(
        people={TEA: "Tea Team", KIM: "Kim Kollega"},
        domains_of={PROCESS: "Økonomi;Social"},
        associated_of={PROCESS: "Tea Team;Kim Kollega"},
        user_columns=set(),
    )


def _lookup():
    lookup = Lookup.__new__(Lookup)  # the tenant's names, without a database
    lookup.domains = {"økonomi": ECONOMY, "social": SOCIAL}
    lookup.users = {"tea team": [TEA], "kim kollega": [KIM]}
    return lookup


def test_each_kind_comes_back_from_an_xlsx_as_it_went_in(app):
    """Export a value of each kind into a real sheet, read the sheet, import each cell."""
    columns = [
        fields.Column(f"c_{kind}", f"Kolonne {kind}", kind, LABELS.get(kind), number_format="0.0")
        for kind in SAMPLES
    ]
    with app.test_request_context():
        names = _names()
        cells = []
        for column in columns:
            converter = exchange.converter_for(column)
            show = converter.exporter(column, names) or (lambda v: v)
            cells.append(show(SAMPLES[column.kind][0]))
        assert names.user_columns == {"c_person_id"}  # the person column asks for its names
        data = write_xlsx([[c.header for c in columns], cells])
        header, rows = read_sheet(data)
        assert header == [c.header for c in columns]
        lookup = _lookup()
        ((_number, values),) = rows
        for column, value in zip(columns, values, strict=True):
            value = value.strip() if isinstance(value, str) else value
            read = exchange.converter_for(column).read(column, value, lookup)
            assert read == SAMPLES[column.kind][1], column.kind


def test_a_blank_cell_clears_keeps_or_resets_by_kind(app):
    expected = {
        "text": "",
        "code": None,
        "int": None,
        "decimal": None,
        "date": None,
        "datetime": None,
        "flag": False,
        "bool": None,
        "enum": OMIT,  # visibility, phase and status cannot be blank: the value stays
        "optional_enum": None,
        "level": "unset",
        "list": [],
        "it_systems": [],
        "links": [],
        "domains": [],
        "person": None,
        "people": [],
        "id": None,
    }
    assert set(expected) == set(exchange.CONVERTERS)
    with app.test_request_context():
        for kind, blank in expected.items():
            column = fields.Column("c", "C", kind, LABELS.get(kind))
            assert exchange.CONVERTERS[kind].read(column, None, _lookup()) == blank, kind


def test_cells_that_cannot_be_read_say_why_in_danish(app):
    from autoproces.tenants.processes.exchange.converters import CellError

    bad = {
        "int": (True, "Skal være et helt tal."),
        "decimal": ("syv", "Skal være et tal."),
        "date": ("32-13-2026", "Skal være en dato (ÅÅÅÅ-MM-DD)."),
        "datetime": ("i går", "Skal være et tidspunkt (ÅÅÅÅ-MM-DD TT:MM)."),
        "flag": ("måske", "Skriv Ja eller Nej."),
        "enum": ("Måske", "Ukendt værdi: Måske. Tilladt: Idé, "),
        "domains": ("Rumfart; Økonomi", "Ukendt fagområde: Rumfart."),
        "person": ("Ingen Ukendt", "Ukendt bruger: Ingen Ukendt."),
        "id": ("abc", "Ugyldigt id."),
    }
    with app.test_request_context():
        for kind, (value, message) in bad.items():
            column = fields.Column("c", "C", kind, LABELS.get(kind))
            with pytest.raises(CellError) as raised:
                exchange.CONVERTERS[kind].read(column, value, _lookup())
            assert str(raised.value).startswith(message), kind
        # Danish ways of writing a moment are read as Danish time.
        column = fields.Column("c", "C", "datetime")
        for written in ("2026-03-04 13:30", "04.03.2026 13:30", "2026-03-04T13:30:00"):
            read = exchange.CONVERTERS["datetime"].read(column, written, _lookup())
            assert datetime.fromisoformat(read) == MOMENT, written


# --- A whole process through the sheet and back ------------------------------------------


def _filled(column, users, domains) -> object:
    """A value of the column's kind that is not the field's default."""
    kind = column.kind
    if kind in ("enum", "optional_enum", "level"):
        default = Process.__table__.c[column.key].default
        codes = [str(code) for code in column.labels]
        return next(c for c in codes if default is None or c != str(default.arg))
    return {
        "text": f"Tekst i {column.key}",
        "code": "32.18.08",  # a KLE topic and a valid FORM code
        "int": 2,
        "decimal": Decimal("7.5"),
        "date": date(2026, 3, 4),
        "flag": True,
        "bool": True,
        "list": ["RPA", "Chatbot"],
        "it_systems": [{"name": "KMD Nexus", "vendor": "KMD"}, {"name": "Outlook"}],
        "links": [
            {"title": "Vejledning", "url": "https://example.dk/a"},
            {"url": "https://example.dk/b"},
        ],
        "domains": domains,
        "person": users[1].id,
        "people": [u.id for u in users],
    }[kind]


OVERRIDES = {"code_repository_url": "https://git.example.dk/robot"}


def _snapshot(app, user, process_id):
    from autoproces.platform.db import db, use_tenant
    from autoproces.platform.identity.models import User
    from autoproces.tenants.processes.history import snapshot
    from autoproces.tenants.processes.policy import get_process

    with app.app_context():
        use_tenant(user.tenant_id)
        u = db.session.get(User, (user.tenant_id, user.id))
        return snapshot(get_process(u, process_id))


def test_a_fully_filled_process_comes_back_the_same_through_the_sheet(app, client, make, su_engine):
    add_kle_topic(su_engine)
    tenant = make.tenant("alpha", "Alfa Kommune")
    team = make.user(tenant, "automation", name="Tea Team")
    kim = make.user(tenant, "employee", name="Kim Kollega")
    token = make.token(team)
    listed = client.get("/api/v1/domains", headers=bearer(token)).get_json()
    domains = [uuid.UUID(d["id"]) for d in listed[:2]]
    writable = [c for c in exchange.COLUMNS if not c.readonly and c.key != "id"]
    values = {c.key: OVERRIDES.get(c.key, _filled(c, [team, kim], domains)) for c in writable}
    original = make.process(team, **values)

    r = client.get("/api/v1/processes/export?format=xlsx", headers=bearer(token))
    assert r.status_code == 200
    # The same file back changes nothing: every cell reads as the value it was made from.
    r = client.post(
        "/api/v1/processes/import",
        data={"file": (io.BytesIO(r.data), "processer.xlsx")},
        headers=bearer(token),
        content_type="multipart/form-data",
    )
    assert r.get_json() == {"created": 0, "updated": 0, "unchanged": 1}, r.get_json()
    # Without its Id (and Version) the row is a new process with the same values.
    workbook = load_workbook(
        io.BytesIO(client.get("/api/v1/processes/export?format=xlsx", headers=bearer(token)).data)
    )
    sheet = workbook.worksheets[0]
    header = [c.value for c in sheet[1]]
    for title in ("Id", "Version"):
        sheet.cell(2, header.index(title) + 1).value = None
    buffer = io.BytesIO()
    workbook.save(buffer)
    r = client.post(
        "/api/v1/processes/import",
        data={"file": (io.BytesIO(buffer.getvalue()), "processer.xlsx")},
        headers=bearer(token),
        content_type="multipart/form-data",
    )
    assert r.get_json() == {"created": 1, "updated": 0, "unchanged": 0}, r.get_json()
    items = client.get("/api/v1/processes", headers=bearer(token)).get_json()["items"]
    (copy_id,) = {uuid.UUID(p["id"]) for p in items} - {original.id}

    before = _snapshot(app, team, original.id)
    after = _snapshot(app, team, copy_id)
    kinds = set()
    for column in writable:
        assert before[column.key] not in (None, "", [], False, "unset"), column.key
        assert after[column.key] == before[column.key], column.key
        kinds.add(column.kind)
    # Every kind the import writes was in the row (the others are export-only).
    assert kinds == {c.kind for c in exchange.COLUMNS if not c.readonly} - {"id"}

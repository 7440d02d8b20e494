"""The register as a spreadsheet: export to Excel and CSV of exactly what the user may see,
and the all-or-none import of an Excel sheet in the same layout."""

from __future__ import annotations

import io
import uuid
from datetime import date, datetime
from types import SimpleNamespace

import pytest
from helpers import bearer, login
from openpyxl import Workbook, load_workbook
from sqlalchemy import text


@pytest.fixture
def alpha(make):
    tenant = make.tenant("alpha", "Alfa Kommune")
    team = make.user(tenant, "automation", name="Tea Team")
    employee = make.user(tenant, "employee", name="Erik Medarbejder")
    colleague = make.user(tenant, "employee", name="Kim Kollega")
    beta = make.tenant("beta", "Beta Kommune")
    beta_team = make.user(beta, "automation", name="Bo Beta")
    make.process(beta_team, title="Betas proces")
    make.process(
        team,
        title="Lønrefusion",
        phase="preanalysis",
        minutes_per_occurrence=7.5,
        planned_start=date(2026, 9, 1),
        internal_notes="Kun til os",
    )
    make.process(team, title='=HYPERLINK("http://x")')
    make.process(colleague, title="Kims private idé", visibility="personal")
    return SimpleNamespace(
        tenant=tenant,
        team=team,
        employee=employee,
        team_token=make.token(team),
        employee_token=make.token(employee),
    )


def export(client, token, **query):
    r = client.get("/api/v1/processes/export", query_string=query, headers=bearer(token))
    assert r.status_code == 200, r.get_data(as_text=True)
    return r


def sheet_of(data: bytes):
    return load_workbook(io.BytesIO(data)).worksheets[0]


def as_dicts(sheet):
    rows = list(sheet.iter_rows())
    header = [c.value for c in rows[0]]
    return [{h: c for h, c in zip(header, row, strict=True)} for row in rows[1:]]


def xlsx(rows: list[list]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(client, token, data: bytes, name: str = "processer.xlsx"):
    return client.post(
        "/api/v1/processes/import",
        data={"file": (io.BytesIO(data), name)},
        headers=bearer(token),
        content_type="multipart/form-data",
    )


def count_processes(su_engine) -> int:
    with su_engine.connect() as conn:
        return conn.scalar(text("select count(*) from process"))


def test_xlsx_export_has_the_visible_rows_danish_headers_and_excel_types(client, alpha):
    r = export(client, alpha.employee_token, format="xlsx")
    assert r.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    today = date.today().isoformat()
    assert (
        r.headers["Content-Disposition"] == f'attachment; filename="processer-alpha-{today}.xlsx"'
    )
    sheet = sheet_of(r.data)
    header = [c.value for c in next(sheet.iter_rows())]
    for title in ("Titel", "Resumé", "Fagområder", "KLE-nummer", "Fase", "Status", "Id"):
        assert title in header
    assert "Interne noter" in header and "Sagsreference i ESDH" in header
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref.startswith("A1:")
    rows = {row["Titel"].value: row for row in as_dicts(sheet)}
    # The colleague's private idea and the other municipality's process are not there.
    assert set(rows) == {"Lønrefusion", '=HYPERLINK("http://x")'}
    row = rows["Lønrefusion"]
    assert row["Fase"].value == "Foranalyse" and row["Status"].value == "Ikke vurderet"
    assert row["Fagområder"].value == "Administration"
    assert row["Interne noter"].value == "Kun til os"
    assert isinstance(row["Planlagt start"].value, datetime) and row["Planlagt start"].is_date
    assert row["Planlagt start"].value.date() == date(2026, 9, 1)
    assert row["Minutter pr. gang"].data_type == "n" and row["Minutter pr. gang"].value == 7.5
    assert row["Forventede timer pr. år"].value == 100.0  # 1000 × 7.5 × 80 % / 60
    assert row["Oprettet"].is_date
    # Text that looks like a formula stays text.
    assert rows['=HYPERLINK("http://x")']["Titel"].data_type == "s"
    # The team sees the private idea; a filter narrows the export like the list.
    team_rows = as_dicts(sheet_of(export(client, alpha.team_token).data))
    assert "Kims private idé" in {r["Titel"].value for r in team_rows}
    filtered = as_dicts(sheet_of(export(client, alpha.team_token, phase="preanalysis").data))
    assert [r["Titel"].value for r in filtered] == ["Lønrefusion"]


def test_csv_export_has_bom_semicolons_and_the_same_headers(client, alpha):
    r = export(client, alpha.employee_token, format="csv", sort="title")
    assert r.mimetype == "text/csv" and "charset=utf-8" in r.headers["Content-Type"]
    assert r.headers["Content-Disposition"].endswith('.csv"')
    assert r.data.startswith(b"\xef\xbb\xbf")
    lines = r.data.decode("utf-8-sig").splitlines()
    header = lines[0].split(";")
    assert header[:4] == ["Nr.", "Titel", "Resumé", "Beskrivelse"] and header[-1] == "Id"
    body = "\n".join(lines[1:])
    # Each row starts with the process's number in the municipality (issue 8, B14).
    assert sorted(line.split(";")[0] for line in lines[1:]) == ["1", "2"]
    assert "Lønrefusion" in body and "7,5" in body and "2026-09-01" in body
    assert "Kims private idé" not in body and "Betas proces" not in body
    assert "'=HYPERLINK" in body  # neutralised for spreadsheets
    assert len(lines) == 3


def test_bad_export_format_is_refused(client, alpha):
    r = client.get("/api/v1/processes/export?format=pdf", headers=bearer(alpha.employee_token))
    assert r.status_code == 422


def test_round_trip_export_edit_import_applies_the_change_with_history(client, alpha):
    sheet_data = export(client, alpha.team_token, sort="title").data
    workbook = load_workbook(io.BytesIO(sheet_data))
    sheet = workbook.worksheets[0]
    header = [c.value for c in sheet[1]]
    col = {h: i + 1 for i, h in enumerate(header)}
    target = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, col["Titel"]).value == "Lønrefusion")
    sheet.cell(target, col["Titel"]).value = "Lønrefusion fra Virk"
    sheet.cell(target, col["Minutter pr. gang"]).value = 12
    new_row = sheet.max_row + 1
    sheet.cell(new_row, col["Titel"]).value = "Ny proces fra arket"
    sheet.cell(new_row, col["Resumé"]).value = "Oprettet ved indlæsning."
    sheet.cell(new_row, col["Fagområder"]).value = "Økonomi; Social"
    buffer = io.BytesIO()
    workbook.save(buffer)

    r = upload(client, alpha.team_token, buffer.getvalue())
    assert r.status_code == 200, r.get_json()
    assert r.get_json() == {"created": 1, "updated": 1, "unchanged": 2}
    items = client.get(
        "/api/v1/processes?per_page=100", headers=bearer(alpha.team_token)
    ).get_json()["items"]
    by_title = {p["title"]: p for p in items}
    changed = by_title["Lønrefusion fra Virk"]
    assert changed["minutes_per_occurrence"] == 12 and changed["internal_notes"] == "Kun til os"
    assert [d["name"] for d in by_title["Ny proces fra arket"]["domains"]] == [
        "Social",
        "Økonomi",
    ]
    history = client.get(
        f"/api/v1/processes/{changed['id']}/history", headers=bearer(alpha.team_token)
    ).get_json()
    assert {c["field"] for c in history} == {"title", "minutes_per_occurrence"}
    title = next(c for c in history if c["field"] == "title")
    assert title["old_value"] == "Lønrefusion" and title["user"]["name"] == "Tea Team"
    # The same sheet again is stale now: the Version column says the process moved on.
    r = upload(client, alpha.team_token, buffer.getvalue())
    assert r.status_code == 422
    assert {e["column"] for e in r.get_json()["errors"]} == {"Version"}


BAD_SHEET = [
    ["Titel", "Resumé", "Fase", "Minutter pr. gang", "Forventet automatiseringsgrad (%)",
     "Fagområder", "Planlagt start"],
    ["God række", "Helt i orden", "Idé", 5, 50, "Økonomi", date(2026, 1, 1)],
    ["Ukendt fase", "x", "Måske", None, None, None, None],
    ["Negative minutter", "x", None, -5, None, None, None],
    ["For høj andel", "x", None, None, 120, None, None],
    ["Ukendt fagområde", "x", None, None, None, "Rumfart", None],
    [None, "Mangler titel", None, None, None, None, None],
    ["Forkert dato", "x", None, None, None, None, "32-13-2026"],
]  # fmt: skip


def test_import_reports_every_error_by_row_and_column_and_writes_nothing(client, alpha, su_engine):
    before = count_processes(su_engine)
    r = upload(client, alpha.team_token, xlsx(BAD_SHEET))
    assert r.status_code == 422
    body = r.get_json()
    assert "Intet er gemt" in body["message"]
    found = {(e["row"], e["column"]): e["message"] for e in body["errors"]}
    assert set(found) == {
        (3, "Fase"),
        (4, "Minutter pr. gang"),
        (5, "Forventet automatiseringsgrad (%)"),
        (6, "Fagområder"),
        (7, "Titel"),
        (8, "Planlagt start"),
    }
    assert "Måske" in found[(3, "Fase")] and "Idé" in found[(3, "Fase")]
    assert "Rumfart" in found[(6, "Fagområder")]
    assert found[(7, "Titel")] == "Feltet skal udfyldes."
    assert found[(5, "Forventet automatiseringsgrad (%)")] == "Skal være mellem 0 og 100."
    assert count_processes(su_engine) == before


def test_import_checks_phase_rules_and_unknown_columns_all_or_none(client, alpha, su_engine):
    before = count_processes(su_engine)
    sheet = [
        ["Titel", "Resumé", "Fase", "Noter"],
        ["A", "a", "Idé", "x"],
    ]
    r = upload(client, alpha.team_token, xlsx(sheet))
    assert r.status_code == 422
    assert r.get_json()["errors"] == [{"row": 1, "column": "Noter", "message": "Ukendt kolonne."}]
    # The first row is fine; the second breaks a phase rule only found when applied.
    sheet = [["Titel", "Resumé", "Fase"], ["A", "a", "Idé"], ["B", "b", "I drift"]]
    r = upload(client, alpha.team_token, xlsx(sheet))
    assert r.status_code == 422
    errors = r.get_json()["errors"]
    assert {e["row"] for e in errors} == {3} and "Fase" in {e["column"] for e in errors}
    assert count_processes(su_engine) == before


def test_non_xlsx_upload_is_refused_clearly(client, alpha):
    r = upload(client, alpha.team_token, b"Titel;Resume\nA;B\n", name="processer.csv")
    assert r.status_code == 422
    assert r.get_json()["errors"][0]["message"] == "Filen er ikke et Excel-ark (.xlsx)."
    r = client.post("/api/v1/processes/import", headers=bearer(alpha.team_token))
    assert r.status_code == 400


def test_employees_may_not_import(client, alpha, su_engine):
    r = upload(client, alpha.employee_token, xlsx([["Titel", "Resumé"], ["A", "a"]]))
    assert r.status_code == 403
    login(client, alpha.employee)
    assert client.get("/alpha/processer/import").status_code == 403
    assert "Indlæs fra Excel" not in client.get("/alpha/processer").get_data(as_text=True)


def test_import_page_shows_errors_in_danish_and_a_receipt(client, alpha, su_engine):
    login(client, alpha.team)
    page = client.get("/alpha/processer/import")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="csrf_token"' in html and 'enctype="multipart/form-data"' in html
    assert '<label class="form-label" for="file">' in html
    r = client.post(
        "/alpha/processer/import",
        data={"file": (io.BytesIO(xlsx(BAD_SHEET)), "ark.xlsx")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert 'class="alert alert-error" role="alert"' in html
    assert "Arket blev ikke indlæst. Intet er gemt." in html
    assert "Række 3, kolonne “Fase”: Ukendt værdi: Måske." in html
    assert "Række 7, kolonne “Titel”: Feltet skal udfyldes." in html
    r = client.post(
        "/alpha/processer/import",
        data={"file": (io.BytesIO(xlsx([["Titel", "Resumé"], ["Ny", "Fra siden"]])), "a.xlsx")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 200
    assert "Arket er indlæst." in r.get_data(as_text=True) and "Oprettet: 1" in r.get_data(
        as_text=True
    )


def test_list_page_download_links_carry_the_filters(client, alpha):
    login(client, alpha.employee)
    html = client.get("/alpha/processer?phase=preanalysis&q=").get_data(as_text=True)
    assert "Hent som Excel" in html and "Hent som CSV" in html
    assert "/alpha/processer/hent?format=xlsx" in html and "phase=preanalysis" in html
    r = client.get("/alpha/processer/hent?format=csv&phase=preanalysis")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    lines = r.data.decode("utf-8-sig").splitlines()
    assert len(lines) == 2 and lines[1].startswith("1;Lønrefusion;")
    r = client.get("/alpha/processer/hent?format=xlsx")
    assert r.status_code == 200
    titles = {row["Titel"].value for row in as_dicts(sheet_of(r.data))}
    assert "Kims private idé" not in titles
    # Filters that cannot be used are dropped, as on the list page.
    r = client.get("/alpha/processer/hent?format=pdf&phase=nonsense")
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")


def test_export_honours_the_following_filter(client, alpha):
    team_ids = {
        p["title"]: p["id"]
        for p in client.get(
            "/api/v1/processes?per_page=100", headers=bearer(alpha.team_token)
        ).get_json()["items"]
    }
    # The employee reported nothing, so follows nothing yet.
    assert as_dicts(sheet_of(export(client, alpha.employee_token, following="true").data)) == []
    url = f"/api/v1/processes/{team_ids['Lønrefusion']}/follow"
    assert client.put(url, headers=bearer(alpha.employee_token)).status_code == 204
    rows = as_dicts(sheet_of(export(client, alpha.employee_token, following="true").data))
    assert [r["Titel"].value for r in rows] == ["Lønrefusion"]
    lines = (
        export(client, alpha.employee_token, format="csv", following="1")
        .data.decode("utf-8-sig")
        .splitlines()
    )
    assert len(lines) == 2 and lines[1].startswith("1;Lønrefusion;")
    # The team follows what it reported; the employee's follow does not count for it.
    rows = as_dicts(sheet_of(export(client, alpha.team_token, following="true").data))
    assert {r["Titel"].value for r in rows} == {"Lønrefusion", '=HYPERLINK("http://x")'}
    # The list page's download link carries the filter as the page writes it.
    login(client, alpha.employee)
    r = client.get("/alpha/processer/hent?format=csv&following=True")
    assert r.status_code == 200
    assert len(r.data.decode("utf-8-sig").splitlines()) == 2


def test_export_names_people_and_fagomraader_in_order(client, alpha, make):
    domains = {
        d["name"]: uuid.UUID(d["id"])
        for d in client.get("/api/v1/domains", headers=bearer(alpha.team_token)).get_json()
    }
    make.process(
        alpha.team,
        title="Navne",
        phase="preanalysis",
        domain_ids=[domains["Økonomi"], domains["Administration"]],
        owner_id=alpha.employee.id,
        contact_id=alpha.team.id,
        associated_user_ids=[alpha.team.id, alpha.employee.id],
    )
    rows = {r["Titel"].value: r for r in as_dicts(sheet_of(export(client, alpha.team_token).data))}
    row = rows["Navne"]
    assert row["Fagområder"].value == "Administration;Økonomi"  # the municipality's order
    assert row["Tilknyttede brugere"].value == "Erik Medarbejder;Tea Team"
    assert row["Faglig kontaktperson"].value == "Erik Medarbejder"
    assert row["Teknisk kontaktperson"].value == "Tea Team"
    assert row["Indberetter"].value == "Tea Team"
    idea = rows['=HYPERLINK("http://x")']
    assert idea["Fagområder"].value is None and idea["Faglig kontaktperson"].value is None
    assert idea["Tilknyttede brugere"].value is None

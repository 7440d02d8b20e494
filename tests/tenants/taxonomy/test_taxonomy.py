"""KLE and FORM: imports (CSV and KL's XML), validation, search, CLI, API and the picker."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import REPO_ROOT, app_env, bearer, login
from sqlalchemy import text

from autoproces.platform.cli import main

SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
SEED = REPO_ROOT / "tenants" / "taxonomy" / "seed"
KLE_CSV = SHARED_DATA / "kle.csv" if (SHARED_DATA / "kle.csv").is_file() else SEED / "kle.csv"
FORM_CSV = SHARED_DATA / "form.csv" if (SHARED_DATA / "form.csv").is_file() else SEED / "form.csv"

SMALL_KLE = """code,title,level,parent_code
17,Folkeskolen,1,
17.01,Folkeskolens styrelse,2,17
17.01.00,Folkeskolens styrelse i almindelighed,3,17.01
27,Social service,1,
27.66,Magtanvendelse,2,27
27.66.04,"Magtanvendelse, børn og unge",3,27.66
27.66.17,Ophold efter § 17,3,27.66
"""

KLE_XML = """<?xml version="1.0" encoding="UTF-8"?>
<KLE-Emneplan>
  <UdgivelsesDato>2025-05-01</UdgivelsesDato>
  <Hovedgruppe>
    <HovedgruppeNr>28</HovedgruppeNr>
    <HovedgruppeTitel>Dagtilbud til børn og unge</HovedgruppeTitel>
    <HovedgruppeVejledning><VejledningTekst><p>Vejledning med <ul><li>punkter</li></ul></p></VejledningTekst></HovedgruppeVejledning>
    <HovedgruppeAdministrativInfo><OprettetDato>1988-01-01</OprettetDato></HovedgruppeAdministrativInfo>
    <Gruppe>
      <GruppeNr>28.01</GruppeNr>
      <GruppeTitel>Dagtilbud</GruppeTitel>
      <GruppeAdministrativInfo>
        <OprettetDato>1988-01-01</OprettetDato>
        <Historisk><Flyttet><FlyttetDato>2010-01-01</FlyttetDato><AfloestAf><EmneNr>99.99.99</EmneNr></AfloestAf></Flyttet></Historisk>
      </GruppeAdministrativInfo>
      <Emne>
        <EmneNr>28.01.00</EmneNr>
        <EmneTitel>Dagtilbud i almindelighed</EmneTitel>
      </Emne>
      <Emne>
        <EmneNr>28.01.04</EmneNr>
        <EmneTitel>
          Pædagogiske læreplaner — Ærø og Åbenrå
        </EmneTitel>
      </Emne>
    </Gruppe>
  </Hovedgruppe>
  <Hovedgruppe>
    <HovedgruppeNr>29</HovedgruppeNr>
    <HovedgruppeTitel>Ældre</HovedgruppeTitel>
    <Gruppe>
      <GruppeNr>29.09</GruppeNr>
      <GruppeTitel>Ældreboliger</GruppeTitel>
      <Emne><EmneNr>29.09.02</EmneNr><EmneTitel>Tildeling af ældrebolig</EmneTitel></Emne>
    </Gruppe>
  </Hovedgruppe>
</KLE-Emneplan>
"""


def _write(tmp_path: Path, name: str, content: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_text(content, encoding=encoding)
    return path


def _in_app(app, fn, *args, **kwargs):
    """Run a service in its own committed transaction, as a command would."""
    from autoproces.platform.db import db

    with app.app_context():
        try:
            result = fn(*args, **kwargs)
            db.session.commit()
            return result
        finally:
            db.session.rollback()


def _import_kle(app, path):
    from autoproces.tenants.taxonomy.services import import_kle

    return _in_app(app, import_kle, path)


def _import_form(app, path):
    from autoproces.tenants.taxonomy.services import import_form

    return _in_app(app, import_form, path)


def _search(app, q, **kwargs):
    from autoproces.tenants.taxonomy.services import search_kle

    with app.app_context():
        return [(e.code, e.title) for e in search_kle(q, **kwargs)]


def _kle_rows(su_engine) -> dict[str, tuple]:
    with su_engine.connect() as conn:
        rows = conn.execute(text("select code, title, level, parent_code from kle_entry"))
        return {r.code: (r.title, r.level, r.parent_code) for r in rows}


@pytest.fixture
def small_kle(app, tmp_path):
    return _import_kle(app, _write(tmp_path, "kle.csv", SMALL_KLE))


# --- Import --------------------------------------------------------------------------------


def test_real_csvs_import_and_a_second_run_changes_nothing(app, su_engine):
    first = _import_kle(app, KLE_CSV)
    assert (first.inserted, first.updated, first.unchanged, first.kept) == (2925, 0, 0, 0)
    assert first.source_format == "csv"
    with su_engine.connect() as conn:
        by_level = dict(
            conn.execute(text("select level, count(*) from kle_entry group by 1")).all()
        )
        assert by_level == {1: 37, 2: 498, 3: 2390}
        orphans = conn.scalar(
            text(
                "select count(*) from kle_entry c left join kle_entry p on p.code = c.parent_code"
                " where c.parent_code is not null and p.code is null"
            )
        )
        assert orphans == 0
        assert conn.scalar(text("select title from kle_entry where code = '27.66.04'")) == (
            "Magtanvendelse, børn og unge"
        )
    second = _import_kle(app, KLE_CSV)
    assert (second.inserted, second.updated, second.unchanged) == (0, 0, 2925)

    form = _import_form(app, FORM_CSV)
    assert (form.inserted, form.updated, form.unchanged) == (34, 0, 0)
    assert _import_form(app, FORM_CSV).unchanged == 34
    with su_engine.connect() as conn:
        assert conn.scalar(text("select title from form_entry where code = '37'")) == "Miljø"
        assert conn.scalar(text("select count(*) from form_entry where parent_code is null")) == 34


def test_kl_xml_imports_with_levels_parents_and_danish_letters(app, su_engine, tmp_path):
    namespaced = KLE_XML.replace("<KLE-Emneplan>", '<KLE-Emneplan xmlns="urn:kl:kle-emneplan">')
    result = _import_kle(app, _write(tmp_path, "emneplan.dat", namespaced))  # by content
    assert result.source_format == "xml"
    assert (result.inserted, result.updated, result.unchanged) == (7, 0, 0)
    assert _kle_rows(su_engine) == {
        "28": ("Dagtilbud til børn og unge", 1, None),
        "28.01": ("Dagtilbud", 2, "28"),
        "28.01.00": ("Dagtilbud i almindelighed", 3, "28.01"),
        "28.01.04": ("Pædagogiske læreplaner — Ærø og Åbenrå", 3, "28.01"),
        "29": ("Ældre", 1, None),
        "29.09": ("Ældreboliger", 2, "29"),
        "29.09.02": ("Tildeling af ældrebolig", 3, "29.09"),
        # the history's <AfloestAf><EmneNr> is not an entry
    }
    assert "99.99.99" not in _kle_rows(su_engine)


def test_xml_update_changes_a_title_and_keeps_codes_not_in_the_file(app, su_engine, tmp_path):
    _import_kle(app, _write(tmp_path, "v1.xml", KLE_XML))
    # A namespace, prefixes and another encoding: matched by local name all the same.
    updated = (
        KLE_XML.replace("<KLE-Emneplan>", '<k:KLE-Emneplan xmlns:k="urn:kl:kle">')
        .replace("</KLE-Emneplan>", "</k:KLE-Emneplan>")
        .replace("<Emne>", "<k:Emne>")
        .replace("</Emne>", "</k:Emne>")
        .replace("Tildeling af ældrebolig", "Anvisning af ældrebolig")
        .replace('encoding="UTF-8"', 'encoding="ISO-8859-1"')
    )
    # Drop topic 28.01.00 from the file: it must stay in the database.
    updated = updated.replace(
        "<k:Emne>\n        <EmneNr>28.01.00</EmneNr>\n"
        "        <EmneTitel>Dagtilbud i almindelighed</EmneTitel>\n      </k:Emne>\n",
        "",
    )
    updated = updated.replace("—", "-")  # not in Latin-1
    path = tmp_path / "v2.xml"
    path.write_bytes(updated.encode("iso-8859-1"))
    result = _import_kle(app, path)
    assert (result.inserted, result.updated, result.unchanged, result.kept) == (0, 2, 4, 1)
    rows = _kle_rows(su_engine)
    assert rows["29.09.02"] == ("Anvisning af ældrebolig", 3, "29.09")
    assert rows["28.01.04"][0] == "Pædagogiske læreplaner - Ærø og Åbenrå"
    assert "28.01.00" in rows  # retired or left out: never deleted


def test_bad_csv_rows_are_named_by_line_and_nothing_is_written(app, su_engine, tmp_path):
    from autoproces.tenants.taxonomy.services import TaxonomyImportError, import_kle

    _import_kle(app, _write(tmp_path, "good.csv", SMALL_KLE))
    before = _kle_rows(su_engine)
    bad = _write(
        tmp_path,
        "bad.csv",
        "code,title,level,parent_code\n"
        "17.01.05,Nyt emne,3,17.01\n"  # line 2: fine, but must not be written
        "17.1,Forkert kode,2,17\n"  # line 3: code format
        "17.01.06,Forkert niveau,2,17.01\n"  # line 4: level mismatch
        "17.01.07,,3,17.01\n"  # line 5: no title
        "17.01.08,Forkert forælder,3,17.02\n"  # line 6: parent is not the prefix
        "17.01.00,Folkeskolens styrelse i almindelighed,3,17.01\n"  # line 7: fine
        "17.01.05,To gange,3,17.01\n"  # line 8: twice
        "31,Hovedgruppe med forælder,1,30\n"  # line 9: a main group has no parent
        "44.01.01,Uden gruppe,3,44.01\n",  # line 10: parent neither in file nor database
    )
    with app.app_context(), pytest.raises(TaxonomyImportError) as raised:
        import_kle(bad)
    errors = raised.value.errors
    assert set(errors) == {f"line {n}" for n in (3, 4, 5, 6, 8, 9, 10)}
    assert "17.1" in errors["line 3"][0]
    assert "level '2'" in errors["line 4"][0]
    assert "no title" in errors["line 5"][0]
    assert "'17.01'" in errors["line 6"][0]
    assert "line 2" in errors["line 8"][0]
    assert "empty" in errors["line 9"][0]
    assert "44.01" in errors["line 10"][0]
    assert "nothing was imported" in raised.value.message
    assert _kle_rows(su_engine) == before


def test_bad_xml_is_named_by_line_and_nothing_is_written(app, su_engine, tmp_path):
    from autoproces.tenants.taxonomy.services import TaxonomyImportError, import_kle

    wrong = KLE_XML.replace("<EmneNr>29.09.02</EmneNr>", "<EmneNr>29.10.02</EmneNr>").replace(
        "<EmneTitel>Dagtilbud i almindelighed</EmneTitel>", "<EmneTitel> </EmneTitel>"
    )
    with app.app_context(), pytest.raises(TaxonomyImportError) as raised:
        import_kle(_write(tmp_path, "wrong.xml", wrong))
    errors = raised.value.errors
    lines = [line.strip() for line in wrong.splitlines()]
    empty_title_line = lines.index("<Emne>") + 1  # the first <Emne> (28.01.00)
    assert errors[f"line {empty_title_line} (<Emne>)"] == ["28.01.00 has no title"]
    misplaced = [k for k, v in errors.items() if "29.10.02 is inside 29.09" in v[0]]
    assert len(misplaced) == 1 and misplaced[0].endswith("(<Emne>)")

    for content, message in [
        ("<KLE-Emneplan><Hovedgruppe>\n<HovedgruppeNr>28</Hovedgruppe>", "line 2"),
        ('<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY a "b">]><x/>', "DOCTYPE"),
        ("<Emneplan><Noget/></Emneplan>", "Hovedgruppe"),
        (
            "<KLE-Emneplan><Hovedgruppe><HovedgruppeNr>2</HovedgruppeNr>"
            "<HovedgruppeTitel>X</HovedgruppeTitel></Hovedgruppe></KLE-Emneplan>",
            "main group NN",
        ),
    ]:
        with app.app_context(), pytest.raises(TaxonomyImportError) as raised:
            import_kle(_write(tmp_path, "bad.xml", content))
        found = " ".join(f"{k}: {v}" for k, v in raised.value.errors.items())
        assert message in found, found
    assert _kle_rows(su_engine) == {}


def test_csv_is_read_leniently_but_a_missing_column_is_refused(app, su_engine, tmp_path):
    from autoproces.tenants.taxonomy.services import TaxonomyImportError, import_form

    # A spreadsheet's export: semicolons, Windows-1252, capitals, no level or parent columns.
    content = "Code;Title\n17;Folkeskolen\n17.01;Folkeskolens styrelse og børn\n"
    result = _import_kle(app, _write(tmp_path, "excel.csv", content, encoding="cp1252"))
    assert result.inserted == 2
    assert _kle_rows(su_engine)["17.01"] == ("Folkeskolens styrelse og børn", 2, "17")

    with app.app_context(), pytest.raises(TaxonomyImportError) as raised:
        import_form(_write(tmp_path, "form.csv", "kode,titel\n02,Internationale aftaler\n"))
    assert "missing: code, title" in raised.value.errors["line 1"][0]
    with app.app_context(), pytest.raises(TaxonomyImportError) as raised:
        import_form(_write(tmp_path, "form.xml", KLE_XML))
    assert "only be imported from CSV" in raised.value.errors["line 1"][0]
    with app.app_context(), pytest.raises(TaxonomyImportError) as raised:
        import_form(_write(tmp_path, "form2.csv", "code,title,parent_code\n06.02,Statistik,05\n"))
    assert "'06'" in raised.value.errors["line 2"][0]


def test_seed_reference_loads_only_what_is_empty(app, su_engine):
    from autoproces.tenants.taxonomy.component import component

    with su_engine.begin() as conn:
        conn.execute(text("insert into kle_entry values ('17', 'Folkeskolen', 1, null)"))
    assert component.seed_reference is not None
    _in_app(app, component.seed_reference)
    with su_engine.connect() as conn:
        assert conn.scalar(text("select count(*) from kle_entry")) == 1  # not empty: left alone
        assert conn.scalar(text("select count(*) from form_entry")) == 34


# --- Look-ups ------------------------------------------------------------------------------


def test_search_by_code_prefix_and_danish_words_on_real_kle(app):
    _import_kle(app, KLE_CSV)
    found = _search(app, "32.1", limit=100)
    codes = [c for c, _t in found]
    assert codes[:3] == ["32.10", "32.10.00", "32.10.04"]
    assert all(c.startswith("32.1") for c in codes) and codes == sorted(codes)

    children = _search(app, "børn", limit=100)
    assert len(children) > 40 and [c for c, _t in children] == sorted(c for c, _t in children)
    assert ("32.10", "Børnetilskud") in children  # "Børn" in capitals, and inside a word
    assert ("27.66.04", "Magtanvendelse, børn og unge") in children
    assert all("børn" in t.lower() for _c, t in children)
    assert _search(app, "BØRN", limit=100) == children
    assert all(len(c) > 2 for c, _t in children)  # groups and topics, no main groups

    assert len(_search(app, "børn")) == 20  # the default limit
    assert len(_search(app, "børn", limit=5)) == 5
    both = _search(app, "ungeydelse børne")  # every word, any order
    assert both and all("børne" in t.lower() and "ungeydelse" in t.lower() for _c, t in both)
    within = _search(app, "27 børn")  # a code prefix and a word: both must hold
    assert ("27.66.04", "Magtanvendelse, børn og unge") in within
    assert all(c.startswith("27") and "børn" in t.lower() for c, t in within)
    assert _search(app, "") == [] and _search(app, "   ") == []
    assert _search(app, "100%_") == []  # LIKE wildcards are literal


def test_code_matches_come_before_title_matches(app, small_kle):
    assert _search(app, "17") == [
        ("17.01", "Folkeskolens styrelse"),
        ("17.01.00", "Folkeskolens styrelse i almindelighed"),
        ("27.66.17", "Ophold efter § 17"),  # "17" in the title comes after the codes
    ]
    assert _search(app, "17", levels=(1, 2, 3))[0] == ("17", "Folkeskolen")
    assert _search(app, "MAGTANVENDELSE BØRN") == [("27.66.04", "Magtanvendelse, børn og unge")]


def test_kle_exists_and_title(app, small_kle):
    from autoproces.tenants.taxonomy.services import kle_exists, kle_title

    with app.app_context():
        assert kle_exists("27.66.04") and kle_exists(" 17 ")
        assert not kle_exists("27.66.99") and not kle_exists("") and not kle_exists("27%")
        assert kle_title("27.66.04") == "Magtanvendelse, børn og unge"
        assert kle_title("99.99.99") is None and kle_title(None) is None


# --- Command line --------------------------------------------------------------------------


@pytest.fixture
def cli(database):
    env = app_env(database)

    def run(*args: str):
        return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)

    return run


def test_cli_imports_and_fails_clearly(cli, su_engine, tmp_path):
    r = cli("taxonomy", "import-form", str(FORM_CSV))
    assert r.exit_code == 0, r.output
    assert "FORM (csv): 34 codes, 34 inserted, 0 updated, 0 unchanged" in r.output
    r = cli("taxonomy", "import-kle", str(_write(tmp_path, "kle.xml", KLE_XML)))
    assert r.exit_code == 0, r.output
    assert "KLE (xml): 7 codes, 7 inserted" in r.output
    r = cli("taxonomy", "import-kle", str(_write(tmp_path, "kle.xml", KLE_XML)))
    assert "0 inserted, 0 updated, 7 unchanged" in r.output

    bad = _write(tmp_path, "bad.csv", "code,title,level,parent_code\n28.01.08,,3,28.01\n")
    r = cli("taxonomy", "import-kle", str(bad))
    assert r.exit_code == 1
    assert "nothing was imported" in r.output and "line 2: 28.01.08 has no title" in r.output
    r = cli("taxonomy", "import-form", str(_write(tmp_path, "f.csv", "code,title\n2,X\n")))
    assert r.exit_code == 1 and "line 2: code '2' is not a FORM code" in r.output
    r = cli("taxonomy", "import-kle", str(tmp_path / "missing.csv"))
    assert r.exit_code == 2 and "does not exist" in r.output
    with su_engine.connect() as conn:
        assert conn.scalar(text("select count(*) from kle_entry")) == 7
        assert conn.scalar(text("select count(*) from form_entry")) == 34


# --- API and the picker fragment -----------------------------------------------------------


@pytest.fixture
def employee(make):
    tenant = make.tenant("alpha", "Alfa Kommune")
    user = make.user(tenant, "employee")
    return tenant, user


def test_api_searches_kle_with_a_token(client, make, employee, small_kle):
    _tenant, user = employee
    assert client.get("/api/v1/taxonomy/kle?q=børn").status_code == 401
    token = make.token(user)
    r = client.get("/api/v1/taxonomy/kle?q=børn", headers=bearer(token))
    assert r.status_code == 200
    assert r.get_json() == [
        {
            "code": "27.66.04",
            "title": "Magtanvendelse, børn og unge",
            "level": 3,
            "parent_code": "27.66",
        }
    ]
    r = client.get("/api/v1/taxonomy/kle?q=17&limit=1", headers=bearer(token))
    assert [e["code"] for e in r.get_json()] == ["17.01"]
    r = client.get("/api/v1/taxonomy/kle?q=" + "x" * 101, headers=bearer(token))
    assert r.status_code == 422 and "q" in r.get_json()["errors"]["query"]
    assert client.get("/api/v1/taxonomy/kle?q=x&limit=0", headers=bearer(token)).status_code == 422
    assert client.get("/api/v1/taxonomy/kle", headers=bearer(token)).get_json() == []


def test_picker_fragment_needs_login_and_lists_topics(client, employee, small_kle):
    # More in test_kle_picker.py.
    _tenant, user = employee
    r = client.get("/alpha/kle/soeg?q=børn")
    assert r.status_code == 302 and "/alpha/login" in r.headers["Location"]
    login(client, user)
    r = client.get("/alpha/kle/soeg?q=Magtanvendelse")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "<html" not in html  # a fragment, not a page
    # The topics (what a process takes), also those found by their group's title.
    assert 'data-value="27.66.04"' in html and 'data-value="27.66.17"' in html
    assert 'data-value="27.66"' not in html
    assert "Magtanvendelse, børn og unge" in html and 'role="option"' in html
    r = client.get("/alpha/kle/soeg?q=<script>")
    assert r.status_code == 200 and "<script>" not in r.get_data(as_text=True)
    assert "data-value" not in client.get("/alpha/kle/soeg?q=").get_data(as_text=True)
    assert client.get("/nowhere/kle/soeg?q=x").status_code == 404

"""Never a 500 for bad input (issue 8, A6): control characters and non-characters, lone
surrogates, deeply nested JSON, over-long text, a DTD in an import — through the API, the
HTML forms (posted as the page renders them) and the export of what is already stored."""

from __future__ import annotations

import io
import json
import random
import re
import string
import zipfile

import pytest
from helpers import bearer, login
from html_forms import Form, post_form, post_forms
from openpyxl import Workbook, load_workbook
from sqlalchemy import text
from werkzeug.datastructures import MultiDict

from autoproces.platform.textinput import MAX_JSON_DEPTH, clean
from autoproces.tenants.processes.schemas import LONG_TEXT, MAX_ITEMS

# What openpyxl (XML 1.0) refuses and arrives invisibly with pasted text.
NASTY = "a\x01b\x0bc\x1bd\ufffee\uffff\x08f"
CLEANED = "ab\ncdef"
LONG_FIELDS = (
    "description",
    "legal_basis",
    "current_process",
    "challenges",
    "solution_ideas",
    "time_comment",
    "risk_notes",
    "status_reason",
    "technical_notes",
    "organisational_notes",
    "what_worked",
    "what_did_not",
    "advice_to_others",
    "internal_notes",
)


@pytest.fixture
def alpha(make):
    tenant = make.tenant("alpha", "Alfa Kommune")
    team = make.user(tenant, "automation", name="Tea Team")
    return tenant, team, make.token(team)


def post_raw(client, url, body: str, token, method="post"):
    """A JSON body exactly as written: escapes such as \\ud800 reach the server unchanged."""
    return getattr(client, method)(
        url, data=body.encode(), content_type="application/json", headers=bearer(token)
    )


def exported_sheet(client, token) -> list[tuple]:
    r = client.get("/api/v1/processes/export?format=xlsx", headers=bearer(token))
    assert r.status_code == 200, r.status_code
    sheet = load_workbook(io.BytesIO(r.data), read_only=True).worksheets[0]
    return list(sheet.iter_rows(values_only=True))


# --- the rule ------------------------------------------------------------------------------


def test_clean_keeps_tab_and_line_breaks_and_drops_what_a_sheet_cannot_hold():
    assert clean("a\tb\nc\r\nd") == "a\tb\nc\r\nd"
    assert clean(NASTY) == CLEANED
    assert clean("æøå 😀 \x7f \ufdd0") == "æøå 😀 \x7f \ufdd0"  # XML 1.0 holds these
    assert clean("") == ""


# --- control characters: cleaned at input, and the export survives what is stored -----------


def test_control_characters_in_api_text_are_cleaned_and_the_export_works(client, alpha):
    _tenant, _team, token = alpha
    r = client.post(
        "/api/v1/processes",
        json={
            "title": "T" + NASTY,
            "summary": NASTY,
            "description": NASTY,
            "keywords": [NASTY],
            "it_systems": [{"name": NASTY, "vendor": NASTY}],
            "links": [{"title": NASTY, "url": "https://x.dk/a"}],
        },
        headers=bearer(token),
    )
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["title"] == "T" + CLEANED
    assert body["description"] == CLEANED
    assert body["keywords"] == [CLEANED]
    assert body["it_systems"] == [{"name": CLEANED, "vendor": CLEANED}]
    r = post_raw(
        client,
        f"/api/v1/processes/{body['id']}",
        json.dumps({"version": body["version"], "challenges": NASTY}),
        token,
        method="patch",
    )
    assert r.status_code == 200 and r.get_json()["challenges"] == CLEANED
    rows = exported_sheet(client, token)
    assert CLEANED in rows[1]


def test_the_export_survives_control_characters_stored_before_the_rule(
    client, make, alpha, su_engine
):
    _tenant, team, token = alpha
    process = make.process(team, title="Gammel")
    with su_engine.begin() as conn:
        conn.execute(
            text(
                "update process set description = :v, keywords = array[:v],"
                " title = :t where id = :id"
            ),
            {"v": NASTY, "t": "Gammel\x01", "id": process.id},
        )
    rows = exported_sheet(client, token)
    assert "Gammel" in rows[1] and CLEANED in rows[1]
    csv = client.get("/api/v1/processes/export?format=csv", headers=bearer(token))
    assert csv.status_code == 200


# --- lone surrogates and NUL: refused, naming the field --------------------------------------


@pytest.mark.parametrize(
    "body, path",
    [
        ('{"title": "a\\ud800b", "summary": "s"}', ["title"]),
        ('{"title": "t", "summary": "\\udfff"}', ["summary"]),
        (
            '{"title": "t", "summary": "s", "it_systems": [{"name": "\\ud83d"}]}',
            ["it_systems", "0", "name"],
        ),
        ('{"title": "t", "summary": "s", "keywords": ["ok", "\\u0000"]}', ["keywords", "1"]),
        ('{"title": "t", "summary": "s", "\\ud800": 1}', ["_schema"]),
    ],
)
def test_lone_surrogates_and_nul_in_json_are_a_422_naming_the_field(client, alpha, body, path):
    _tenant, _team, token = alpha
    r = post_raw(client, "/api/v1/processes", body, token)
    assert r.status_code == 422
    errors = r.get_json()["errors"]["json"]
    for key in path:
        errors = errors[key]
    assert errors == ["Teksten indeholder et ugyldigt tegn."]


def test_lone_surrogates_are_refused_in_every_json_endpoint(client, make, alpha):
    _tenant, team, token = alpha
    process = make.process(team)
    base = f"/api/v1/processes/{process.id}"
    for url, method in (
        (base, "patch"),
        (f"{base}/comments", "post"),
    ):
        r = post_raw(
            client, url, '{"version": 1, "body": "\\ud800", "title": "\\ud800"}', token, method
        )
        assert r.status_code == 422, (url, r.status_code)
    # Forms and query strings cannot carry one (UTF-8 has no surrogates): never a 500 either.
    login(client, team)
    assert client.get("/alpha/processer?q=%ED%A0%80").status_code == 200
    r = client.post(
        "/alpha/processer/ny",
        data=b"title=%ED%A0%80&summary=s",
        content_type="application/x-www-form-urlencoded",
    )
    assert r.status_code < 500


# --- nesting ---------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 1_000, 100_000])
def test_deeply_nested_json_is_a_400(client, make, alpha, depth):
    _tenant, team, token = alpha
    nested = "[" * depth + "]" * depth
    for url, method in (
        ("/api/v1/processes", "post"),
        (f"/api/v1/processes/{make.process(team).id}", "patch"),
    ):
        r = post_raw(
            client, url, '{"title": "t", "summary": "s", "keywords": ' + nested + "}", token, method
        )
        assert r.status_code == 400, (url, depth, r.status_code)
        assert r.get_json()["message"] == "JSON-dokumentet er for dybt indlejret."


def test_json_within_the_depth_limit_reaches_the_schema(client, alpha):
    _tenant, _team, token = alpha
    nested = "[" * (MAX_JSON_DEPTH - 2) + "]" * (MAX_JSON_DEPTH - 2)
    r = post_raw(
        client,
        "/api/v1/processes",
        '{"title": "t", "summary": "s", "keywords": ' + nested + "}",
        token,
    )
    assert r.status_code == 422 and "keywords" in r.get_json()["errors"]["json"]


def test_broken_json_is_a_400_in_danish(client, alpha):
    _tenant, _team, token = alpha
    r = post_raw(client, "/api/v1/processes", '{"title": ', token)
    assert r.status_code == 400
    assert r.get_json()["message"] == "Forespørgslens indhold er ikke gyldig JSON."


# --- lengths ---------------------------------------------------------------------------------


def words(n_chars: int, seed: int) -> str:
    """Distinct made-up words: the worst case for the search index (a tsvector ≤ 1 MB)."""
    rng = random.Random(seed)
    out, size = [], 0
    while size < n_chars - 12:
        word = "".join(rng.choices(string.ascii_lowercase, k=rng.randint(4, 10)))
        out.append(word)
        size += len(word) + 1
    return " ".join(out)[:n_chars]


def test_every_long_text_at_its_maximum_is_saved_and_searchable(client, alpha):
    _tenant, _team, token = alpha
    data = {"title": "Stor", "summary": "s"}
    data.update({name: words(LONG_TEXT, i) for i, name in enumerate(LONG_FIELDS)})
    r = client.post("/api/v1/processes", json=data, headers=bearer(token))
    assert r.status_code == 201, r.get_json()
    needle = data["description"].split()[5]
    found = client.get(f"/api/v1/processes?q={needle}", headers=bearer(token)).get_json()
    assert found["total"] == 1


@pytest.mark.parametrize("name", LONG_FIELDS)
def test_a_long_text_over_its_maximum_is_a_422_naming_it(client, alpha, name):
    _tenant, _team, token = alpha
    r = client.post(
        "/api/v1/processes",
        json={"title": "t", "summary": "s", name: "x" * (LONG_TEXT + 1)},
        headers=bearer(token),
    )
    assert r.status_code == 422
    assert r.get_json()["errors"]["json"] == {name: ["Højst 20000 tegn."]}


@pytest.mark.parametrize(
    "name, value",
    [
        ("title", "x" * 121),
        ("summary", "x" * 301),
        ("org_unit", "x" * 201),
        ("keywords", ["k"] * (MAX_ITEMS + 1)),
        ("technologies", ["x" * 201]),
        ("domain_ids", ["00000000-0000-0000-0000-000000000000"] * (MAX_ITEMS + 1)),
        ("associated_user_ids", ["00000000-0000-0000-0000-000000000000"] * (MAX_ITEMS + 1)),
        ("links", [{"url": "https://x.dk/" + "a" * 2_000}]),
        ("code_repository_url", "https://x.dk/" + "a" * 2_000),
    ],
)
def test_short_texts_and_lists_have_limits_too(client, alpha, name, value):
    _tenant, _team, token = alpha
    r = client.post(
        "/api/v1/processes", json={"title": "t", "summary": "s", name: value}, headers=bearer(token)
    )
    assert r.status_code == 422, r.status_code
    assert name in r.get_json()["errors"]["json"]


def test_a_comment_over_its_maximum_is_a_422(client, make, alpha):
    _tenant, team, token = alpha
    process = make.process(team)
    r = client.post(
        f"/api/v1/processes/{process.id}/comments",
        json={"body": "x" * 10_001},
        headers=bearer(token),
    )
    assert r.status_code == 422 and "body" in r.get_json()["errors"]["json"]


# --- a DTD in an import ----------------------------------------------------------------------


def xlsx_with_doctype() -> bytes:
    workbook = Workbook()
    workbook.active.append(["Titel", "Resumé"])
    workbook.active.append(["&lol;", "s"])
    plain = io.BytesIO()
    workbook.save(plain)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(plain.getvalue())) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(
                    b"<worksheet",
                    b'<!DOCTYPE x [<!ENTITY lol "lol"><!ENTITY a "&lol;&lol;">]><worksheet',
                    1,
                )
                assert b"<!DOCTYPE" in data
            dst.writestr(info, data)
    return out.getvalue()


def test_an_import_with_a_dtd_is_refused_in_danish(client, alpha):
    _tenant, team, token = alpha
    r = client.post(
        "/api/v1/processes/import",
        data={"file": (io.BytesIO(xlsx_with_doctype()), "ark.xlsx")},
        headers=bearer(token),
        content_type="multipart/form-data",
    )
    assert r.status_code == 422
    assert "DTD" in r.get_json()["errors"][0]["message"]
    login(client, team)
    r = client.post(
        "/alpha/processer/import",
        data={"file": (io.BytesIO(xlsx_with_doctype()), "ark.xlsx")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 422
    assert "Filen indeholder en DTD" in r.get_data(as_text=True)


# --- the HTML forms, posted as the page renders them ------------------------------------------


# Forms whose posting would end the test's session or remove what the next form needs.
SKIP = re.compile(r"slet|log-?ud|logout|deaktiv|tilbagekald|revoke|aktiv$|lang$|foelg|favorit")


def attack(client, page: str, values) -> tuple[int, list[tuple[str, str, int]]]:
    """Post every form of `page` once per text field and value, each time as the page is
    rendered afresh (a new version after a save); the count, and what answered 5xx."""

    def forms() -> list[Form]:
        html = client.get(page).get_data(as_text=True)
        return [f for f in post_forms(html) if not SKIP.search(f.action)]

    failures, count = [], 0
    plan = [(f.action, name) for f in forms() for name in f.texts]
    assert plan, page
    for action, name in plan:
        for value in values:
            form = next((f for f in forms() if f.action == action), None)
            if form is None:  # the form is gone after an earlier post (a phase moved on)
                continue
            r = client.post(action or page, data=MultiDict(form.data(**{name: value})))
            count += 1
            if r.status_code >= 500:
                failures.append((action, name, r.status_code))
    return count, failures


ATTACK_VALUES = (NASTY, "x" * (LONG_TEXT + 1), "\x00")


def test_the_register_forms_survive_every_bad_input(client, make, alpha):
    tenant, team, _token = alpha
    process = make.process(team, phase="operation")
    login(client, team)
    failures, posts = [], 0
    for page in (
        "/alpha/processer/ny",
        f"/alpha/processer/{process.id}/rediger",
        f"/alpha/processer/{process.id}",  # comments and attachments
    ):
        count, failed = attack(client, page, ATTACK_VALUES)
        posts, failures = posts + count, failures + failed
    assert failures == []
    assert posts > 100  # the edit form alone has dozens of text fields


def test_the_administrators_forms_survive_every_bad_input(client, make, alpha):
    tenant, _team, _token = alpha
    admin = make.user(tenant, "tenant_admin")
    login(client, admin)
    failures, posts = [], 0
    for page in ("/alpha/admin/log-in", "/alpha/admin/noegler", "/alpha/admin/invitationer"):
        assert client.get(page).status_code == 200, page
        count, failed = attack(client, page, ATTACK_VALUES)
        posts, failures = posts + count, failures + failed
    assert failures == []
    assert posts >= 20


def test_the_intake_form_cleans_text_and_shows_the_limit_in_danish(client, su_engine, alpha):
    _tenant, team, _token = alpha
    login(client, team)
    form = post_form(client.get("/alpha/processer/ny").get_data(as_text=True), "/alpha/processer/ny")
    r = client.post(
        "/alpha/processer/ny",
        data=MultiDict(
            form.data(title="Idé", summary="Kort", description="x" * (LONG_TEXT + 1))
        ),
    )
    assert r.status_code == 422
    assert "Højst 20000 tegn." in r.get_data(as_text=True)
    r = client.post(
        "/alpha/processer/ny", data=MultiDict(form.data(title="Idé" + NASTY, summary="Kort"))
    )
    assert r.status_code in (200, 302, 303)
    with su_engine.connect() as conn:
        assert conn.scalar(text("select title from process")) == "Idé" + CLEANED


def test_the_edit_form_names_an_over_long_field_in_danish(client, make, alpha):
    _tenant, team, _token = alpha
    process = make.process(team)
    login(client, team)
    page = f"/alpha/processer/{process.id}/rediger"
    form = post_form(client.get(page).get_data(as_text=True), page)
    r = client.post(page, data=MultiDict(form.data(description="x" * (LONG_TEXT + 1))))
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "Højst 20000 tegn." in html and "Beskrivelse" in html


def test_the_operators_forms_survive_every_bad_input(client, make, database):
    import pyotp
    from click.testing import CliRunner
    from helpers import app_env

    from autoproces.platform.cli import main

    make.tenant("alpha", "Alfa Kommune")
    r = CliRunner().invoke(
        main, ["operators", "create", "ops@os2.dk", "--name", "Olga"], env=app_env(database)
    )
    assert r.exit_code == 0, r.output
    password = re.search(r"^Password: (\S+)$", r.output, re.M).group(1)
    secret = re.search(r"^TOTP secret \(base32\): (\S+)$", r.output, re.M).group(1)
    r = client.post(
        "/operator/login",
        data={"email": "ops@os2.dk", "password": password, "code": pyotp.TOTP(secret).now()},
    )
    assert r.status_code == 302
    failures, posts = [], 0
    for page in (
        "/operator/kommuner/ny",
        "/operator/kommuner/alpha/rediger",
        "/operator/kommuner/alpha/log-in",
        "/operator/kommuner/alpha/inviter",
    ):
        count, failed = attack(client, page, ATTACK_VALUES)
        posts, failures = posts + count, failures + failed
    assert failures == []
    assert posts >= 20

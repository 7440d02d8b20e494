"""The KLE picker of the process edit form: the search fragment, the chosen topic's title,
the look-up page for browsers without JavaScript, and the field in the edit form."""

from __future__ import annotations

import re

import pytest
from helpers import login

KLE = """code,title,level,parent_code
02,Fysisk planlægning og naturbeskyttelse,1,
02.34,Byggetilladelse og anmeldelse om byggearbejde,2,02
02.34.00,Byggetilladelse og anmeldelse om byggearbejde i almindelighed,3,02.34
02.34.02,Byggetilladelse,3,02.34
02.34.24,Byggearbejder der kan udføres uden byggetilladelse,3,02.34
02.34.30,Nedrivning af bebyggelse,3,02.34
27,Social service,1,
27.66,Magtanvendelse,2,27
27.66.04,"Magtanvendelse, børn og unge",3,27.66
27.66.17,Ophold efter § 17,3,27.66
"""


@pytest.fixture
def kle(app, tmp_path):
    from autoproces.platform.db import db
    from autoproces.tenants.taxonomy.services import import_kle

    path = tmp_path / "kle.csv"
    path.write_text(KLE, encoding="utf-8")
    with app.app_context():
        import_kle(path)
        db.session.commit()


@pytest.fixture
def alpha(make, kle):
    tenant = make.tenant("alpha")
    return tenant, make.user(tenant, "automation", name="Tea Team")


def codes(html: str) -> list[str]:
    return re.findall(r'role="option"[^>]*data-value="([^"]+)"', html)


def get(client, url: str) -> str:
    r = client.get(url)
    assert r.status_code == 200, r.status_code
    return r.get_data(as_text=True)


# --- The search fragment -----------------------------------------------------------------


def test_search_by_words_offers_topics_only(client, alpha):
    login(client, alpha[1])
    html = get(client, "/alpha/kle/soeg?q=byggetilladelse")
    assert "<html" not in html  # a fragment, not a page
    # Topics only (a process takes a topic); a word in the group's title finds them too.
    assert codes(html) == ["02.34.00", "02.34.02", "02.34.24", "02.34.30"]
    assert 'role="listbox"' in html and 'aria-label="KLE-emner"' in html
    assert "Byggetilladelse og anmeldelse om byggearbejde" in html  # the group, as context
    assert 'data-picker-status="4 KLE-emner fundet."' in html
    # Topics with the word in their own title come before those with it in the group's.
    by_group = get(client, "/alpha/kle/soeg?q=byggearbejde")
    assert codes(by_group) == ["02.34.00", "02.34.24", "02.34.02", "02.34.30"]
    # Every word counts, in the topic's or in its group's title; case and æøå folded.
    assert codes(get(client, "/alpha/kle/soeg?q=NEDRIVNING+byggearbejde")) == ["02.34.30"]
    assert codes(get(client, "/alpha/kle/soeg?q=BØRN")) == ["27.66.04"]
    single = get(client, "/alpha/kle/soeg?q=Ophold")
    assert 'data-picker-status="1 KLE-emne fundet."' in single


def test_search_by_number_prefix(client, alpha):
    login(client, alpha[1])
    assert codes(get(client, "/alpha/kle/soeg?q=02.34")) == [
        "02.34.00",
        "02.34.02",
        "02.34.24",
        "02.34.30",
    ]
    assert codes(get(client, "/alpha/kle/soeg?q=02.34.0")) == ["02.34.00", "02.34.02"]
    # A number and a word together: topics under 27 mentioning børn.
    assert codes(get(client, "/alpha/kle/soeg?q=27+børn")) == ["27.66.04"]
    # A number is also looked for in titles, after the codes it begins.
    assert codes(get(client, "/alpha/kle/soeg?q=17")) == ["27.66.17"]


def test_search_escapes_input_and_says_when_nothing_matches(client, alpha):
    login(client, alpha[1])
    html = get(client, "/alpha/kle/soeg?q=<script>alert(1)</script>")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "Ingen KLE-emner passer til" in html and codes(html) == []
    # LIKE's wildcards are plain characters.
    assert codes(get(client, "/alpha/kle/soeg?q=%25")) == []
    assert codes(get(client, "/alpha/kle/soeg?q=_")) == []
    assert get(client, "/alpha/kle/soeg?q=+").strip() == ""  # nothing to show, nor to say
    assert codes(get(client, "/alpha/kle/soeg?q=" + "b" * 500)) == []  # shortened, not refused


def test_search_says_when_there_are_more(client, alpha, monkeypatch):
    from autoproces.tenants.taxonomy import views

    monkeypatch.setattr(views, "PICKER_LIMIT", 2)
    login(client, alpha[1])
    html = get(client, "/alpha/kle/soeg?q=02")
    assert codes(html) == ["02.34.00", "02.34.02"]
    assert "Mere end 2 KLE-emner passer. Skriv mere for at finde færre." in html


def test_fragments_need_a_user_of_the_municipality(client, make, alpha):
    for url in ("/alpha/kle/soeg?q=byg", "/alpha/kle/valgt?kle_code=02.34.02", "/alpha/kle/?q=b"):
        r = client.get(url)
        assert r.status_code == 302 and "/alpha/login" in r.headers["Location"]
    # KLE is shared reference data, but the tenant in the URL decides who may look.
    beta = make.tenant("beta")
    login(client, make.user(beta, "automation"))
    r = client.get("/alpha/kle/soeg?q=byg")
    assert r.status_code == 302 and r.headers["Location"].startswith("/alpha/login")
    assert client.get("/beta/kle/soeg?q=byggetilladelse").status_code == 200
    assert client.get("/nowhere/kle/soeg?q=x").status_code == 404


# --- The chosen topic and the look-up page ----------------------------------------------


def test_chosen_topic_fragment(client, alpha):
    login(client, alpha[1])
    html = get(client, "/alpha/kle/valgt?kle_code=02.34.02")
    assert html.strip() == "Valgt: 02.34.02 Byggetilladelse"
    assert get(client, "/alpha/kle/valgt?kle_code=+27.66.04+").strip() == (
        "Valgt: 27.66.04 Magtanvendelse, børn og unge"
    )
    assert get(client, "/alpha/kle/valgt?kle_code=99.99.99").strip() == "KLE-emnet findes ikke."
    # A Danish keyboard's comma, as the form reads it.
    html = get(client, "/alpha/kle/valgt?kle_code=02,34,02")
    assert html.strip() == "Valgt: 02.34.02 Byggetilladelse"
    # Half-typed codes and groups (not a process's topic) show nothing.
    for code in ("02.3", "02.34", "", "<b>x</b>"):
        assert get(client, "/alpha/kle/valgt?kle_code=" + code).strip() == ""


def test_lookup_page_without_javascript(client, alpha):
    login(client, alpha[1])
    html = get(client, "/alpha/kle/?q=byggetilladelse")
    assert "<html" in html and "<h1>Søg i KLE</h1>" in html
    assert 'name="q"' in html and 'value="byggetilladelse"' in html
    assert "<td>02.34.02</td><td>Byggetilladelse</td>" in html
    assert "Ingen KLE-emner passer til „faktura“." in get(client, "/alpha/kle/?q=faktura")
    assert 'id="kle-results"' not in get(client, "/alpha/kle/")


# --- In the edit form ---------------------------------------------------------------------


def edit_form(client, pid) -> tuple[str, str]:
    html = get(client, f"/alpha/processer/{pid}/rediger")
    return html, re.search(r'name="version" value="(\d+)"', html).group(1)


def post_edit(client, process, version, **fields):
    data = {"version": version, "title": process.title, "summary": process.summary}
    data.update(fields)
    return client.post(f"/alpha/processer/{process.id}/rediger", data=data)


def test_edit_form_has_the_picker_with_the_current_title(client, make, alpha):
    p = make.process(alpha[1], phase="preanalysis", kle_code="02.34.02")
    login(client, alpha[1])
    html, _version = edit_form(client, p.id)
    field = html[html.index('id="kle_code"') - 300 : html.index('id="kle_code-status"')]
    assert 'name="kle_code"' in field and 'value="02.34.02"' in field
    assert '<p class="app-picker-chosen" id="kle_code-chosen" aria-live="polite">' in field
    assert "Valgt: 02.34.02 Byggetilladelse</p>" in field
    assert 'aria-describedby="kle_code-hint kle_code-chosen"' in field
    assert '<label class="form-label" for="kle_code-search">Søg i KLE</label>' in field
    assert 'hx-get="/alpha/kle/soeg"' in field and 'hx-get="/alpha/kle/valgt"' in field
    assert 'hx-trigger="input changed delay:300ms, search-now"' in field
    # No decimal keypad: with a Danish locale it has "," and no ".".
    code_input = re.search(r'<input[^>]* id="kle_code" [^>]*>', html).group(0)
    assert "inputmode" not in code_input
    # Without JavaScript the search is a form of its own (forms cannot nest), after the
    # process form, which opens the look-up page.
    assert 'form="kle_code-search-form"' in field and 'name="q"' in field
    search_form = html.index('<form id="kle_code-search-form"')
    assert search_form > html.index("</form>", html.index('name="kle_code"'))
    assert 'action="/alpha/kle/"' in html[search_form : search_form + 200]
    # No inline scripts or handlers (the CSP forbids them).
    assert "<script>" not in html and " onclick=" not in html and " onkeydown=" not in html


def test_edit_form_without_classification_has_no_picker(client, make, alpha):
    p = make.process(alpha[1])  # an idea: classification opens in Foranalyse
    login(client, alpha[1])
    html, _version = edit_form(client, p.id)
    assert 'name="kle_code"' not in html
    # Only the KLE search's own empty form stands outside the process form, for the field
    # htmx brings in when Foranalyse is chosen (issue 8, B9).
    assert 'id="kle_code-search-form"' in html and 'form="kle_code-search-form"' not in html


def test_title_survives_a_validation_error(client, make, alpha):
    p = make.process(alpha[1], phase="preanalysis")
    login(client, alpha[1])
    _html, version = edit_form(client, p.id)
    r = post_edit(client, p, version, kle_code="02.34.24", automation_share_pct="150")
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert 'value="02.34.24"' in html
    assert "Valgt: 02.34.24 Byggearbejder der kan udføres uden byggetilladelse" in html
    # A code KLE does not have: the server's error, and no title.
    r = post_edit(client, p, version, kle_code="99.99.99")
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "KLE-emnet findes ikke." in html and "Valgt:" not in html
    assert 'aria-describedby="kle_code-hint kle_code-error kle_code-chosen"' in html
    # A group is not a topic.
    r = post_edit(client, p, version, kle_code="02.34")
    assert r.status_code == 422 and "Skal være et KLE-emne" in r.get_data(as_text=True)


def test_save_a_code_and_clear_it_again(client, make, alpha):
    p = make.process(alpha[1], phase="preanalysis")
    login(client, alpha[1])
    _html, version = edit_form(client, p.id)
    r = post_edit(client, p, version, kle_code=" 02.34.02 ", form_code="")
    assert r.status_code == 302, r.get_data(as_text=True)
    assert "02.34.02" in get(client, f"/alpha/processer/{p.id}")
    html, version = edit_form(client, p.id)
    assert "Valgt: 02.34.02 Byggetilladelse" in html
    # "02,34,02" from a keyboard with a comma (a Danish number pad) is 02.34.02.
    r = post_edit(client, p, version, kle_code=" 02,34,30 ", form_code="")
    assert r.status_code == 302, r.get_data(as_text=True)
    html, version = edit_form(client, p.id)
    assert 'value="02.34.30"' in html and "Valgt: 02.34.30 Nedrivning" in html
    # Blank codes are no codes, not invalid ones.
    r = post_edit(client, p, version, kle_code="", form_code="")
    assert r.status_code == 302, r.get_data(as_text=True)
    html, _version = edit_form(client, p.id)
    assert 'name="kle_code" type="text" value=""' in html and "Valgt:" not in html


def test_the_process_page_shows_the_topic_title_beside_the_code(client, make, alpha):
    tenant, team = alpha
    process = make.process(team, phase="preanalysis", kle_code="02.34.02")
    login(client, team)
    html = get(client, f"/alpha/processer/{process.id}")
    assert "02.34.02 Byggetilladelse" in html

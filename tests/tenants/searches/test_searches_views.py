"""The pages: "Gem søgning" on the register's list, posted as the page renders it, for every
role that reads the list; the form again with a Danish error; Min side's list with the
e-mail toggle, rename and delete; another user's searches answer 404."""

from __future__ import annotations

import lxml.html
import pytest
from helpers import login
from html_forms import post_form
from sqlalchemy import text
from werkzeug.datastructures import MultiDict

SAVE = "/alpha/gemte-soegninger"
ROLES = ("employee", "automation", "manager", "tenant_admin")  # every role reads the list


def _save_form(client, path: str):
    html = client.get(path).get_data(as_text=True)
    return html, post_form(html, SAVE)


def _checkbox(html: str, element_id: str) -> tuple[str, str]:
    box = lxml.html.fromstring(html).get_element_by_id(element_id)
    return box.get("name"), box.get("value")


def _save(client, path: str, name: str, notify: bool = False):
    html, form = _save_form(client, path)
    pairs = form.data(name=name)
    if notify:
        pairs.append(_checkbox(html, "save-search-notify"))
    return client.post(form.action, data=MultiDict(pairs))


def stored(su_engine) -> list:
    with su_engine.connect() as conn:
        return conn.execute(
            text("select name, query, notify from saved_search order by created_at")
        ).all()


@pytest.mark.parametrize("role", ROLES)
def test_every_role_saves_the_filters_in_view(client, world, su_engine, role):
    login(client, world.users[role])
    r = _save(client, "/alpha/processer?q=faktura&phase=operation&sort=relevance", "Drift", True)
    assert r.status_code == 303
    assert r.headers["Location"].startswith("/alpha/processer?")
    assert "phase=operation" in r.headers["Location"] and "q=faktura" in r.headers["Location"]
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Søgningen “Drift” er gemt." in page
    assert "Faktura i drift" in page and "Lønrefusion" not in page
    assert stored(su_engine) == [("Drift", {"q": "faktura", "phase": "operation"}, True)]


def test_the_panel_describes_the_filters_and_follows_an_htmx_update(client, world):
    login(client, world.employee)
    html = client.get("/alpha/processer?phase=operation&mine=true").get_data(as_text=True)
    assert "Filtre: Fase: I drift · Kun mine" in html
    # The list's own in-place update: the whole page, of which htmx keeps #results.
    partial = client.get("/alpha/processer?q=l%C3%B8n", headers={"HX-Request": "true"}).get_data(
        as_text=True
    )
    results = lxml.html.fromstring(partial).get_element_by_id("results")
    form = results.get_element_by_id("save-search-form")
    assert form.get("action") == "/alpha/gemte-soegninger?q=l%C3%B8n&sort=relevance"
    assert form.xpath('.//input[@name="csrf_token"]')
    assert "Filtre: Søgning: løn" in lxml.html.tostring(results, encoding="unicode")


def test_no_filters_saves_every_process(client, world, su_engine):
    login(client, world.employee)
    assert _save(client, "/alpha/processer", "Alt").status_code == 303
    assert stored(su_engine) == [("Alt", {}, False)]


@pytest.mark.parametrize(
    ("name", "status", "message"),
    [
        ("", 422, "Feltet skal udfyldes."),
        ("   ", 422, "Feltet skal udfyldes."),
        ("x" * 10_000, 422, "Højst 100 tegn."),
        ("drift", 409, "Du har allerede en gemt søgning med det navn."),
    ],
)
def test_a_bad_name_shows_the_form_again_with_a_danish_error(
    client, world, su_engine, name, status, message
):
    login(client, world.employee)
    _save(client, "/alpha/processer?phase=operation", "Drift")
    r = _save(client, "/alpha/processer?phase=operation&q=faktura", name)
    assert r.status_code == status
    html = r.get_data(as_text=True)
    assert message in html and "Navn på søgningen" in html
    assert "Filtre: Søgning: faktura · Fase: I drift" in html or "Fase: I drift" in html
    # The form again, with the filters: fixing the name saves them.
    form = post_form(html, SAVE)
    assert "q=faktura" in form.action
    assert client.post(form.action, data=MultiDict(form.data(name="Fakturaer"))).status_code == 303
    assert [row.name for row in stored(su_engine)] == ["Drift", "Fakturaer"]


def test_malformed_input_is_a_clear_4xx(client, world, su_engine):
    login(client, world.employee)
    _html, form = _save_form(client, "/alpha/processer")
    r = client.post(form.action, data=MultiDict(form.data(name="nul\x00")))
    assert r.status_code == 400
    # A lone surrogate as a form can carry it (its UTF-8-like bytes), and as \ud800 itself.
    for raw in ("name=surrogat%ED%A0%80", "name=%5Cud800"):
        r = client.post(form.action, data=raw, content_type="application/x-www-form-urlencoded")
        assert r.status_code in (303, 400, 422), raw
    # Control characters are cleaned, not refused.
    r = client.post(form.action, data=MultiDict(form.data(name="Fak\x07tura")))
    assert r.status_code == 303
    # A tampered address: an unknown filter or a bad value is named, not a 500.
    r = client.post(SAVE + "?phase=done&colour=red", data={"name": "Dårlig"})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "Fase: Ugyldig værdi" in html and "colour: Ukendt filter" in html
    r = client.post(SAVE + "?q=%00", data={"name": "Nul"})
    assert r.status_code == 400
    assert "Faktura" in [row.name for row in stored(su_engine)]


def test_the_cap_is_a_clear_error_on_the_page(client, world, as_user):
    from autoproces.tenants.searches import services
    from autoproces.tenants.searches.models import MAX_PER_USER

    with as_user(world.employee) as me:
        for n in range(MAX_PER_USER):
            services.create_search(me, f"S{n}", {})
    login(client, world.employee)
    r = _save(client, "/alpha/processer", "En til")
    assert r.status_code == 409
    assert f"Du kan højst gemme {MAX_PER_USER} søgninger" in r.get_data(as_text=True)


# --- Min side ----------------------------------------------------------------------------


def _my_page(client) -> str:
    r = client.get("/alpha/min-side")
    assert r.status_code == 200
    return r.get_data(as_text=True)


@pytest.mark.parametrize("role", ROLES)
def test_min_side_lists_the_users_searches_with_their_matches(client, world, role):
    login(client, world.users[role])
    _save(client, "/alpha/processer?q=faktura", "Fakturaer")
    _save(client, "/alpha/processer?phase=operation", "I drift", notify=True)
    html = _my_page(client)
    doc = lxml.html.fromstring(html)
    rows = doc.xpath('//table[@id="saved-searches"]/tbody/tr')
    assert [r.xpath("string(th)").strip() for r in rows] == ["Fakturaer", "I drift"]
    first, second = rows
    assert first.xpath("string(td[1])").strip() == "Søgning: faktura"
    assert first.xpath("string(td[2])").strip() == "2"
    assert second.xpath("string(td[2])").strip() == "1"
    assert "Fra" in first.xpath("string(td[3])") and "Til" in second.xpath("string(td[3])")
    # The name runs the search: the list with its filters.
    link = first.xpath(".//th/a/@href")[0]
    assert link == "/alpha/processer?q=faktura"
    listing = client.get(link).get_data(as_text=True)
    assert "Fakturahåndtering" in listing and "Lønrefusion" not in listing


def test_the_toggle_rename_and_delete_forms_work_as_rendered(client, world, su_engine):
    login(client, world.employee)
    _save(client, "/alpha/processer?q=faktura", "Fakturaer")
    [(search_id,)] = _ids(su_engine)
    html = _my_page(client)
    toggle = post_form(html, f"/alpha/gemte-soegninger/{search_id}/email")
    r = client.post(toggle.action, data=MultiDict(toggle.data()))
    assert r.status_code == 303 and r.headers["Location"].endswith(f"#soegning-{search_id}")
    assert stored(su_engine)[0].notify is True
    html = client.get("/alpha/min-side").get_data(as_text=True)
    assert "Du får en e-mail, når nye processer matcher “Fakturaer”" in html
    toggle = post_form(html, f"/alpha/gemte-soegninger/{search_id}/email")
    client.post(toggle.action, data=MultiDict(toggle.data()))
    assert stored(su_engine)[0].notify is False
    # Rename: the link, its page, its form.
    rename_page = f"/alpha/gemte-soegninger/{search_id}/omdoeb"
    assert f'href="{rename_page}"' in _my_page(client)
    form = post_form(client.get(rename_page).get_data(as_text=True), rename_page)
    r = client.post(rename_page, data=MultiDict(form.data(name="")))
    assert r.status_code == 422 and "Feltet skal udfyldes." in r.get_data(as_text=True)
    r = client.post(rename_page, data=MultiDict(form.data(name="x" * 10_000)))
    assert r.status_code == 422 and "Højst 100 tegn." in r.get_data(as_text=True)
    r = client.post(rename_page, data=MultiDict(form.data(name="Regninger")))
    assert r.status_code == 303
    assert stored(su_engine)[0].name == "Regninger"
    # Delete: the confirmation page, then its form.
    delete_page = f"/alpha/gemte-soegninger/{search_id}/slet"
    assert f'href="{delete_page}"' in _my_page(client)
    confirm = client.get(delete_page).get_data(as_text=True)
    assert "Slet den gemte søgning?" in confirm and "Regninger" in confirm
    form = post_form(confirm, delete_page)
    r = client.post(delete_page, data=MultiDict(form.data()))
    assert r.status_code == 303
    assert stored(su_engine) == []
    assert "Søgningen “Regninger” er slettet." in _my_page(client)
    assert "Du har ingen gemte søgninger endnu." in _my_page(client)


def _ids(su_engine) -> list:
    with su_engine.connect() as conn:
        return conn.execute(text("select id from saved_search order by created_at")).all()


def test_another_user_can_neither_see_run_change_nor_delete_them(client, world, su_engine):
    login(client, world.employee)
    _save(client, "/alpha/processer?q=faktura", "Mine fakturaer")
    [(search_id,)] = _ids(su_engine)
    client.get("/alpha/min-side")  # consume the flash
    login(client, world.other)
    assert "Mine fakturaer" not in _my_page(client)
    base = f"/alpha/gemte-soegninger/{search_id}"
    assert client.get(f"{base}/omdoeb").status_code == 404
    assert client.post(f"{base}/omdoeb", data={"name": "Stjålet"}).status_code == 404
    assert client.post(f"{base}/email", data={"notify": "true"}).status_code == 404
    assert client.get(f"{base}/slet").status_code == 404
    assert client.post(f"{base}/slet").status_code == 404
    assert stored(su_engine) == [("Mine fakturaer", {"q": "faktura"}, False)]


def test_another_municipality_gets_404_or_its_login(client, world, su_engine):
    login(client, world.employee)
    _save(client, "/alpha/processer", "Alt")
    [(search_id,)] = _ids(su_engine)
    login(client, world.stranger)
    for path in (
        f"/beta/gemte-soegninger/{search_id}/omdoeb",
        f"/beta/gemte-soegninger/{search_id}/slet",
    ):
        assert client.get(path).status_code == 404
        assert client.post(path, data={"name": "x"}).status_code == 404
    r = client.post(f"/alpha/gemte-soegninger/{search_id}/slet")
    assert r.status_code == 302 and "/alpha/login" in r.headers["Location"]
    assert len(stored(su_engine)) == 1

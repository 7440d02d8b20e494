"""The intake form's optional "Faglig kontaktperson" (the process's owner): typed as an
e-mail address without JavaScript, suggested from the municipality's active users while
typing with it; and an employee naming the owner through the API."""

from __future__ import annotations

import re
import uuid
from types import SimpleNamespace

import pytest
from helpers import bearer, login
from sqlalchemy import text


@pytest.fixture
def alpha(make, su_engine):
    tenant = make.tenant("alpha", "Alfa Kommune")
    reporter = make.user(tenant, "employee", email="erik@alfa.dk", name="Erik Medarbejder")
    anne = make.user(tenant, "employee", email="anne.hansen@alfa.dk", name="Anne Hansen")
    gone = make.user(tenant, "employee", email="hanne.gammel@alfa.dk", name="Hanne Gammel")
    with su_engine.begin() as conn:
        conn.execute(text("update app_user set active = false where id = :id"), {"id": gone.id})
    beta = make.tenant("beta", "Beta Kommune")
    stranger = make.user(beta, "employee", email="hans.fremmed@beta.dk", name="Hans Fremmed")
    return SimpleNamespace(
        tenant=tenant, reporter=reporter, anne=anne, gone=gone, beta=beta, stranger=stranger
    )


def intake(client, **extra):
    data = {"title": "Bogføring af bilag", "summary": "Bilag bogføres i hånden."}
    data.update(extra)
    return client.post("/alpha/processer/ny", data=data)


def saved_owners(su_engine) -> list:
    with su_engine.connect() as conn:
        return list(conn.scalars(text("select owner_id from process order by created_at")))


def options(html: str) -> list[str]:
    return re.findall(r'role="option"[^>]*data-value="([^"]*)"', html)


def search(client, q: str) -> str:
    r = client.get("/alpha/personer/soeg", query_string={"q": q})
    assert r.status_code == 200, r.status_code
    return r.get_data(as_text=True)


# --- Without JavaScript: the e-mail address, resolved by the server ----------------------


def test_the_form_asks_for_an_e_mail_address_not_a_list_of_everyone(client, alpha):
    login(client, alpha.reporter)
    html = client.get("/alpha/processer/ny").get_data(as_text=True)
    field = re.search(r'<input[^>]*id="owner_email"[^>]*>', html).group(0)
    assert 'name="owner_email"' in field and 'type="text"' in field
    assert '<label class="form-label" for="owner_email">Faglig kontaktperson</label>' in html
    assert "Hvem ved mest om opgaven? Skriv personens e-mailadresse. Det kan være dig selv." in html
    # No <select> of the municipality's users, and no one's address on the page.
    assert 'name="owner_id"' not in html and "anne.hansen@alfa.dk" not in html


def test_the_contact_by_e_mail_address(client, alpha, su_engine):
    login(client, alpha.reporter)
    r = intake(client, owner_email="anne.hansen@alfa.dk")
    assert r.status_code == 302
    assert saved_owners(su_engine) == [alpha.anne.id]
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert re.search(r"<dt>Faglig kontaktperson</dt><dd>Anne Hansen</dd>", page)


def test_the_address_in_any_case_and_with_spaces_around_it(client, alpha, su_engine):
    login(client, alpha.reporter)
    assert intake(client, owner_email="  Anne.HANSEN@Alfa.DK ").status_code == 302
    assert saved_owners(su_engine) == [alpha.anne.id]


def test_the_reporter_may_name_themselves_or_no_one(client, alpha, su_engine):
    login(client, alpha.reporter)
    assert intake(client, owner_email="erik@alfa.dk").status_code == 302
    assert intake(client, owner_email="   ").status_code == 302
    assert intake(client).status_code == 302
    assert saved_owners(su_engine) == [alpha.reporter.id, None, None]


@pytest.mark.parametrize(
    "address",
    ["ukendt@alfa.dk", "hanne.gammel@alfa.dk", "hans.fremmed@beta.dk", "Anne Hansen"],
    ids=["unknown", "inactive", "other municipality", "a name"],
)
def test_an_address_that_names_no_active_colleague_is_a_danish_error(
    client, alpha, su_engine, address
):
    login(client, alpha.reporter)
    r = intake(client, owner_email=address, description="Det tager tid.")
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    message = (
        "Ingen aktiv bruger i kommunen har den e-mailadresse. "
        "Ret adressen, eller lad feltet stå tomt."
    )
    # By the field, and in the list above the form, linking to the field.
    assert f'<span class="form-error-message" id="owner_email-error">{message}</span>' in html
    assert f'<a href="#owner_email">Faglig kontaktperson: {message}</a>' in html
    field = re.search(r'<input[^>]*id="owner_email"[^>]*>', html).group(0)
    assert "owner_email-error" in field  # aria-describedby
    # Nothing saved; what was typed stays.
    assert saved_owners(su_engine) == []
    assert f'value="{address}"' in field
    assert "Bogføring af bilag" in html and "Det tager tid." in html
    assert "Valgt:" not in html


def test_errors_are_listed_in_the_order_of_the_form(client, alpha):
    login(client, alpha.reporter)
    r = client.post(
        "/alpha/processer/ny",
        data={"title": "", "summary": "s", "owner_email": "ukendt@alfa.dk"},
    )
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    listed = re.findall(r'<li><a href="#([a-z_]+)">', html)
    assert listed == ["title", "owner_email"]


def test_a_known_contact_stays_chosen_when_another_field_is_wrong(client, alpha, su_engine):
    login(client, alpha.reporter)
    r = intake(client, title="", owner_email="anne.hansen@alfa.dk")
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert 'value="anne.hansen@alfa.dk"' in html
    assert re.search(r'id="owner_email-chosen"[^>]*>Valgt: Anne Hansen</p>', html)
    assert saved_owners(su_engine) == []


# --- With JavaScript: the suggestions -----------------------------------------------------


def test_suggestions_by_name_or_address(client, alpha, make):
    login(client, alpha.reporter)
    html = search(client, "hans")
    assert "<html" not in html  # a fragment, not a page
    assert options(html) == ["anne.hansen@alfa.dk"]
    assert 'role="listbox"' in html and 'aria-label="Personer"' in html
    assert 'data-picker-chosen-text="Valgt: Anne Hansen"' in html
    assert 'data-picker-status="1 person fundet."' in html
    # By address, any case; every word counts; the reporter is among them too.
    assert options(search(client, "ALFA.DK")) == [
        "anne.hansen@alfa.dk",
        "erik@alfa.dk",
    ]
    assert options(search(client, "anne alfa")) == ["anne.hansen@alfa.dk"]
    assert options(search(client, "erik")) == ["erik@alfa.dk"]
    # Danish letters in any case.
    make.user(alpha.tenant, "employee", email="soeren@alfa.dk", name="Søren Ærø")
    assert options(search(client, "ÆRØ")) == ["soeren@alfa.dk"]
    assert options(search(client, "søren")) == ["soeren@alfa.dk"]
    assert options(search(client, "anne.hansen erik")) == []  # every word must match
    assert 'data-picker-status="3 personer fundet."' in search(client, "alfa.dk")


def test_suggestions_show_only_name_and_address(client, alpha):
    login(client, alpha.reporter)
    html = search(client, "anne")
    assert str(alpha.anne.id) not in html and "employee" not in html
    option = re.search(r"<li[^>]*role=\"option\".*?</li>", html, re.S).group(0)
    visible = re.sub(r"<[^>]+>", " ", option).split()
    assert visible == ["Anne", "Hansen", ",", "anne.hansen@alfa.dk"]


def test_no_inactive_users_and_no_other_municipalitys(client, alpha, make):
    # A namesake in the other municipality, and one who has left.
    make.user(alpha.beta, "automation", email="anne.hansen@beta.dk", name="Anne Hansen")
    login(client, alpha.reporter)
    assert options(search(client, "hanne")) == []
    assert options(search(client, "gammel")) == []
    assert options(search(client, "fremmed")) == []
    assert options(search(client, "beta")) == []
    assert options(search(client, "anne")) == ["anne.hansen@alfa.dk"]
    nobody = search(client, "fremmed")
    assert 'data-picker-status="Ingen personer passer til „fremmed“."' in nobody
    # The other municipality's users see only their own.
    login(client, alpha.stranger)
    r = client.get("/beta/personer/soeg?q=anne")
    assert options(r.get_data(as_text=True)) == ["anne.hansen@beta.dk"]
    # …and cannot search this one's.
    r = client.get("/alpha/personer/soeg?q=anne")
    assert r.status_code == 302 and r.headers["Location"].startswith("/alpha/login")


def test_two_characters_before_anything_is_suggested(client, alpha):
    login(client, alpha.reporter)
    assert search(client, "a").strip() == ""
    assert search(client, " e ").strip() == ""
    assert search(client, "").strip() == ""
    assert options(search(client, "er")) == ["erik@alfa.dk"]


def test_at_most_ten_suggestions(client, alpha, make):
    for i in range(12):
        make.user(
            alpha.tenant, "employee", email=f"kollega{i:02d}@alfa.dk", name=f"Kollega {i:02d}"
        )
    login(client, alpha.reporter)
    html = search(client, "kollega")
    assert options(html) == [f"kollega{i:02d}@alfa.dk" for i in range(10)]
    assert "Mere end 10 personer passer. Skriv mere for at finde færre." in html


def test_names_beginning_with_the_text_come_first(client, alpha, make):
    make.user(alpha.tenant, "employee", email="bo.andersen@alfa.dk", name="Bo Andersen")
    make.user(alpha.tenant, "employee", email="anders.berg@alfa.dk", name="Anders Berg")
    login(client, alpha.reporter)
    assert options(search(client, "anders")) == ["anders.berg@alfa.dk", "bo.andersen@alfa.dk"]


def test_suggestions_are_escaped(client, alpha, make):
    make.user(
        alpha.tenant,
        "employee",
        email='x"><img/src=x>@alfa.dk',
        name="<script>alert(1)</script> Ondsindet",
    )
    login(client, alpha.reporter)
    html = search(client, "ondsindet")
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Ondsindet" in html
    assert 'data-value="x&#34;&gt;&lt;img/src=x&gt;@alfa.dk"' in html
    assert (
        'data-picker-chosen-text="Valgt: &lt;script&gt;alert(1)&lt;/script&gt; Ondsindet"' in html
    )
    # What was typed is escaped too; LIKE's wildcards are plain characters.
    typed = search(client, "<b>%_")
    assert "<b>" not in typed and "&lt;b&gt;%_" in typed and options(typed) == []
    assert options(search(client, "%%")) == [] and options(search(client, "__")) == []


def test_the_search_needs_a_logged_in_user_who_may_report(client, alpha, make):
    r = client.get("/alpha/personer/soeg?q=anne")
    assert r.status_code == 302 and "/alpha/login" in r.headers["Location"]
    # Every role may report an idea, so every role may look.
    for role in ("employee", "automation", "manager", "tenant_admin"):
        login(client, make.user(alpha.tenant, role))
        assert options(search(client, "anne")) == ["anne.hansen@alfa.dk"], role


# --- The API: an employee may name the owner -----------------------------------------------


def test_an_employee_names_the_owner_through_the_api(client, alpha, make):
    token = make.token(alpha.reporter)
    r = client.post(
        "/api/v1/processes",
        json={"title": "t", "summary": "s", "owner_id": str(alpha.anne.id)},
        headers=bearer(token),
    )
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["owner"] == {"id": str(alpha.anne.id), "name": "Anne Hansen"}
    # Not another municipality's user, nor one that does not exist.
    for owner in (str(alpha.stranger.id), str(uuid.uuid4())):
        r = client.post(
            "/api/v1/processes",
            json={"title": "t", "summary": "s", "owner_id": owner},
            headers=bearer(token),
        )
        assert r.status_code == 422
        assert set(r.get_json()["errors"]["json"]) == {"owner_id"}
    # The technical contact is still the team's to set.
    r = client.post(
        "/api/v1/processes",
        json={"title": "t", "summary": "s", "contact_id": str(alpha.anne.id)},
        headers=bearer(token),
    )
    assert r.status_code == 422 and set(r.get_json()["errors"]["json"]) == {"contact_id"}

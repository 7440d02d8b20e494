""" "Kontakt kommunen": a message from a reader to the publisher's automation team, by real
SMTP (aiosmtpd) and in the publisher's inbox; the publisher stays unnamed to the reader;
length checked and rate limited per user."""

from __future__ import annotations

import uuid

import lxml.html
import pytest
from helpers import bearer, login
from html_forms import submitted
from reuse_world import SmtpServer, build, outbox
from werkzeug.datastructures import MultiDict


@pytest.fixture
def smtp():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def world(app, make):
    return build(app, make)


@pytest.fixture
def anonymous_world(app, make):
    return build(app, make, anonymous=True)


def contact_page(client, world, user) -> str:
    login(client, user)
    entry = client.get(f"/beta/katalog/{world.entry_id}").get_data(as_text=True)
    link = lxml.html.fromstring(entry).get_element_by_id("contact-link").get("href")
    response = client.get(link)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def send(client, world, user, body: str):
    html = contact_page(client, world, user)
    pairs = [p for p in submitted(html, "contact-form") if p[0] != "body"] + [("body", body)]
    return client.post(f"/beta/katalog/{world.entry_id}/kontakt", data=MultiDict(pairs))


# Every role of the reading municipality sees the form.
@pytest.mark.parametrize("role", ["bo", "bea", "mia", "ada"])
def test_a_reader_writes_to_the_publishers_team_by_mail_and_inbox(
    app, client, world, smtp, su_engine, role
):
    sender = getattr(world, role)
    r = send(client, world, sender, "Hvordan fik I leverandøren med?")
    assert r.status_code == 302, r.get_data(as_text=True)
    mails = outbox(su_engine, "catalogue.contact")
    assert [(m.tenant_id, m.to_address) for m in mails] == [(world.alpha.id, "tea@alpha.dk")]
    assert smtp.deliver(app) == 1
    (message,) = smtp.messages
    assert message["To"] == "tea@alpha.dk"
    body = message.get_content()
    assert "Hvordan fik I leverandøren med?" in body
    assert sender.name in body and "Beta Kommune" in body and sender.email in body
    # The inbox of the publisher's team shows it.
    login(client, world.team)
    inbox = client.get("/alpha/katalog/indbakke")
    assert inbox.status_code == 200
    html = inbox.get_data(as_text=True)
    assert "Hvordan fik I leverandøren med?" in html and sender.email in html
    assert "Kontrol af leverandørfakturaer" in html
    # Nobody else's inbox has it; an employee has no inbox.
    login(client, world.bea)
    assert "Hvordan fik I" not in client.get("/beta/katalog/indbakke").get_data(as_text=True)
    login(client, world.erik)
    assert client.get("/alpha/katalog/indbakke").status_code == 403


def test_the_reader_never_sees_an_address_of_the_publisher(client, world):
    html = contact_page(client, world, world.bo)
    assert "tea@alpha.dk" not in html and "Tea Team" not in html
    entry = client.get(f"/beta/katalog/{world.entry_id}").get_data(as_text=True)
    assert "tea@alpha.dk" not in entry and "Tea Team" not in entry


def test_an_anonymous_publisher_stays_anonymous(client, anonymous_world, su_engine):
    world = anonymous_world
    html = contact_page(client, world, world.bo)
    r = send(client, world, world.bo, "Må vi se jeres robot?")
    assert r.status_code == 302
    after = client.get(r.headers["Location"]).get_data(as_text=True)
    for page in (html, after):
        assert "Alfa" not in page and "alpha" not in page.replace("/beta/", "")
    api = client.post(
        f"/api/v1/catalogue/{world.entry_id}/contact",
        json={"body": "Og via API'et?"},
        headers=bearer(world.bo_token),
    )
    assert api.status_code == 202 and api.data in (b"", b"null\n", b"{}\n")
    assert len(outbox(su_engine, "catalogue.contact")) == 2


def test_the_api_names_the_field_and_hides_what_the_caller_may_not_see(client, world):
    headers = bearer(world.bo_token)
    url = f"/api/v1/catalogue/{world.entry_id}/contact"
    for body in ({}, {"body": "   "}, {"body": "x" * 5001}):
        r = client.post(url, json=body, headers=headers)
        assert r.status_code == 422, body
        assert "body" in str(r.get_json())
    r = client.post(
        f"/api/v1/catalogue/{uuid.uuid4()}/contact", json={"body": "x"}, headers=headers
    )
    assert r.status_code == 404
    # The publisher writing to itself is refused, in Danish.
    r = client.post(url, json={"body": "Hej"}, headers=bearer(world.team_token))
    assert r.status_code == 403 and "Det er jeres egen katalogpost." in str(r.get_json())


def test_the_form_names_the_field_in_danish(client, world, su_engine):
    r = send(client, world, world.bo, "x" * 5001)
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "Højst 5000 tegn." in html and 'href="#body"' in html
    r = send(client, world, world.bo, "")
    assert r.status_code == 422
    errors = lxml.html.fromstring(r.get_data(as_text=True)).xpath('//*[@id="body-error"]')
    assert len(errors) == 1 and len(errors[0].text_content()) > 1
    assert outbox(su_engine, "catalogue.contact") == []


def test_contact_is_rate_limited_per_user(app, client, world, monkeypatch):
    monkeypatch.setitem(app.config, "CATALOGUE_CONTACT_RATE_LIMIT", "2/hour")
    assert send(client, world, world.bo, "Første").status_code == 302
    assert send(client, world, world.bo, "Anden").status_code == 302
    assert send(client, world, world.bo, "Tredje").status_code == 429
    # The API counts against the same person's budget; another person has their own.
    r = client.post(
        f"/api/v1/catalogue/{world.entry_id}/contact",
        json={"body": "Fjerde"},
        headers=bearer(world.bo_token),
    )
    assert r.status_code == 429
    assert send(client, world, world.bea, "Fra Bea").status_code == 302


def test_the_form_says_how_long_a_message_may_be_before_it_is_sent(client, world):
    html = contact_page(client, world, world.bo)
    textarea = lxml.html.fromstring(html).get_element_by_id("body")
    assert textarea.get("aria-describedby") == "body-hint"
    assert "Op til 5.000 tegn." in html

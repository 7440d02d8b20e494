""" "Vi vil også gerne": once per municipality, a count for everyone and the list of
municipalities for the publisher only; withdrawing it."""

from __future__ import annotations

import uuid

import lxml.html
import pytest
from helpers import bearer, login
from html_forms import submitted
from reuse_world import build
from sqlalchemy import text
from werkzeug.datastructures import MultiDict


@pytest.fixture
def world(app, make):
    return build(app, make)


def entry_page(client, slug, world) -> str:
    response = client.get(f"/{slug}/katalog/{world.entry_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def press_interest(client, world, user, wants_to_help: bool = False):
    login(client, user)
    html = entry_page(client, "beta", world)
    pairs = [p for p in submitted(html, "interest-form") if p[0] != "wants_to_help"]
    if wants_to_help:
        pairs.append(("wants_to_help", "1"))
    return client.post(f"/beta/katalog/{world.entry_id}/interesse", data=MultiDict(pairs))


def counts_text(html: str) -> str:
    return lxml.html.fromstring(html).get_element_by_id("entry-counts").text_content()


# Every role of the reading municipality sees the form.
@pytest.mark.parametrize("role", ["bo", "bea", "mia", "ada"])
def test_interest_counts_once_per_municipality_and_the_publisher_sees_who(
    client, world, su_engine, role
):
    assert (
        press_interest(client, world, getattr(world, role), wants_to_help=True).status_code == 302
    )
    other = world.bea if role == "bo" else world.bo
    # Once per municipality: a colleague sees the municipality's interest, not a new button.
    login(client, other)
    html = entry_page(client, "beta", world)
    assert "Jeres kommune har sagt, at I også gerne vil." in html
    assert "Træk jeres interesse tilbage" in html and 'name="wants_to_help"' not in html
    with su_engine.connect() as conn:
        rows = conn.execute(text("select tenant_id, wants_to_help from catalogue_interest")).all()
    assert rows == [(world.beta.id, True)]
    html = entry_page(client, "beta", world)
    assert "1 kommune vil også gerne" in counts_text(html)
    assert "interested" not in lxml.html.fromstring(html).xpath("//@id")
    login(client, world.team)
    html = entry_page(client, "alpha", world)
    assert "1 kommune vil også gerne" in counts_text(html)
    assert (
        lxml.html.fromstring(html)
        .get_element_by_id("interested")
        .text_content()
        .strip()
        .startswith("Beta Kommune")
    )


def test_the_help_checkbox_shows_to_the_publisher(client, world):
    press_interest(client, world, world.bo, wants_to_help=True)
    login(client, world.team)
    listed = lxml.html.fromstring(entry_page(client, "alpha", world)).get_element_by_id(
        "interested"
    )
    assert "udvikle eller finansiere" in listed.text_content()


def test_interest_can_be_withdrawn_from_the_page(client, world, su_engine):
    press_interest(client, world, world.bo)
    html = entry_page(client, "beta", world)
    assert "Træk jeres interesse tilbage" in html
    r = client.post(
        f"/beta/katalog/{world.entry_id}/interesse",
        data=MultiDict(submitted(html, "interest-form")),
    )
    assert r.status_code == 302
    assert "0 kommuner vil også gerne" in counts_text(entry_page(client, "beta", world))
    with su_engine.connect() as conn:
        assert conn.scalar(text("select count(*) from catalogue_interest")) == 0


def test_the_api_signals_and_withdraws_interest(client, world):
    url = f"/api/v1/catalogue/{world.entry_id}/interest"
    headers = bearer(world.gitte_token)
    r = client.post(url, json={"wants_to_help": True}, headers=headers)
    assert r.status_code == 200 and r.get_json()["wants_to_help"] is True
    assert client.post(url, json={"wants_to_help": "maybe"}, headers=headers).status_code == 422
    login(client, world.team)
    assert "1 kommune vil også gerne" in counts_text(entry_page(client, "alpha", world))
    assert client.delete(url, headers=headers).status_code == 204
    assert "0 kommuner vil også gerne" in counts_text(entry_page(client, "alpha", world))
    assert (
        client.post(
            f"/api/v1/catalogue/{uuid.uuid4()}/interest", json={}, headers=headers
        ).status_code
        == 404
    )
    # The publisher cannot want its own entry.
    r = client.post(url, json={}, headers=bearer(world.team_token))
    assert r.status_code == 403 and "Det er jeres egen katalogpost." in str(r.get_json())


def test_the_list_function_answers_the_publisher_only(app, world):
    from autoproces.platform.db import db
    from autoproces.platform.identity.models import User
    from autoproces.platform.tenancy import Tenant, activate_tenant
    from autoproces.shared_catalog import reuse

    with app.test_request_context():
        activate_tenant(db.session.get(Tenant, world.beta.id))
        bo = db.session.get(User, (world.beta.id, world.bo.id))
        reuse.signal_interest(bo, world.entry_id, False)
        assert reuse.interested(bo, world.entry_id) == []
        db.session.commit()
        activate_tenant(db.session.get(Tenant, world.alpha.id))
        team = db.session.get(User, (world.alpha.id, world.team.id))
        assert [i.name for i in reuse.interested(team, world.entry_id)] == ["Beta Kommune"]
        db.session.rollback()


def test_a_withdrawn_entry_takes_no_new_interest_but_keeps_the_way_out(client, world, app):
    press_interest(client, world, world.bo)  # before the withdrawal
    login(client, world.team)
    assert client.post(f"/alpha/katalog/{world.entry_id}/traek-tilbage").status_code == 302
    login(client, world.bo)
    html = entry_page(client, "beta", world)
    assert "Træk jeres interesse tilbage" in html  # an interest given can still go
    assert "copy-form" not in html
    r = client.post(f"/beta/katalog/{world.entry_id}/interesse", data={"withdraw": "1"})
    assert r.status_code == 302
    html = entry_page(client, "beta", world)
    assert "interest-form" not in html and "Vi vil også gerne" not in html
    r = client.post(f"/beta/katalog/{world.entry_id}/interesse", data={"wants_to_help": "1"})
    assert r.status_code == 422 and "Katalogposten er trukket tilbage." in r.get_data(as_text=True)
    assert "0 kommuner vil også gerne" in counts_text(entry_page(client, "beta", world))

"""The operator's moderation of the catalogue: the console lists entries by their metadata
only, hides one with a reason (audited in both logs, the publisher's team told by e-mail,
the entry gone for every other municipality and shown as hidden to its publisher), and
shows it again. Every form is posted as the console renders it."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from helpers import bearer, login, operator_login
from html_forms import post_form, submitted
from sqlalchemy import text
from werkzeug.datastructures import MultiDict


def publish(client, token, process_id, anonymous=False) -> str:
    preview = client.post(
        f"/api/v1/processes/{process_id}/publish/preview", json={}, headers=bearer(token)
    ).get_json()
    answer = client.post(
        f"/api/v1/processes/{process_id}/publish",
        json={"fingerprint": preview["fingerprint"], "size_band": "small", "anonymous": anonymous},
        headers=bearer(token),
    )
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["id"]


@pytest.fixture
def world(make, client):
    alpha = make.tenant("alpha", "Alfa Kommune")
    team = make.user(alpha, "automation", name="Tea Team", email="tea@alpha.dk")
    colleague = make.user(alpha, "employee", name="Erik Medarbejder", email="erik@alpha.dk")
    beta = make.tenant("beta", "Beta Kommune")
    reader = make.user(beta, "employee", name="Bo Beta")
    process = make.process(
        team,
        title="Kontrol af leverandørfakturaer",
        summary="Fakturaer kontrolleres automatisk mod ordren.",
        description="Hemmelig intern beskrivelse af KMD Opera-opsætningen.",
    )
    operator = make.operator()
    entry = publish(client, make.token(team), process.id)
    return SimpleNamespace(
        alpha=alpha,
        team=team,
        colleague=colleague,
        beta=beta,
        reader=reader,
        process=process,
        operator=operator,
        entry=entry,
        reader_token=make.token(reader),
        team_token=make.token(team),
    )


def console(app, operator):
    c = app.test_client()
    operator_login(c, operator)
    return c


def hide_from_page(c, entry, reason):
    page = c.get(f"/operator/katalog/{entry}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    pairs = [(n, reason if n == "reason" else v) for n, v in submitted(html, "hide-form")]
    return c.post(post_form(html, f"/operator/katalog/{entry}/skjul").action, data=MultiDict(pairs))


def test_the_console_lists_entries_by_metadata_only(app, world):
    c = console(app, world.operator)
    html = c.get("/operator/").get_data(as_text=True)
    assert "/operator/katalog/" in html  # in the console's menu
    listing = c.get("/operator/katalog/").get_data(as_text=True)
    assert "Kontrol af leverandørfakturaer" in listing and "Alfa Kommune" in listing
    assert 'data-status="published"' in listing
    page = c.get(f"/operator/katalog/{world.entry}").get_data(as_text=True)
    assert world.entry in page and "Alfa Kommune" in page
    # Metadata, never the content: neither the description nor the process behind it.
    for html in (listing, page):
        assert "Hemmelig intern beskrivelse" not in html
        assert "Fakturaer kontrolleres" not in html
        assert str(world.process.id) not in html


def test_the_console_needs_an_operator(app, world):
    anonymous = app.test_client()
    for path in ("/operator/katalog/", f"/operator/katalog/{world.entry}"):
        assert anonymous.get(path).status_code == 302
    refused = anonymous.post(f"/operator/katalog/{world.entry}/skjul", data={"reason": "x"})
    assert refused.status_code == 302
    user = app.test_client()
    login(user, world.team)
    assert user.get("/operator/katalog/").status_code == 302  # a tenant's session opens nothing


def test_hiding_needs_a_reason(app, world, su_engine):
    c = console(app, world.operator)
    answer = hide_from_page(c, world.entry, "   ")
    assert answer.status_code == 422
    assert "Skriv, hvorfor katalogposten skjules." in answer.get_data(as_text=True)
    with su_engine.connect() as conn:
        assert conn.scalar(text("select hidden_at from catalogue_entry")) is None


def test_hiding_an_entry(app, world, su_engine):
    c = console(app, world.operator)
    reason = "Posten nævner en borger ved navn i løsningsbeskrivelsen."
    answer = hide_from_page(c, world.entry, reason)
    assert answer.status_code == 302
    page = c.get(f"/operator/katalog/{world.entry}").get_data(as_text=True)
    assert 'data-status="hidden"' in page and reason in page
    log = c.get("/operator/log?kommune=alpha").get_data(as_text=True)
    assert f"Begrundelse: {reason}" in log
    # The catalogue's own actions and details have their labels there (Component.audit_labels).
    assert "Katalogpost skjult" in log and "catalogue.hide" not in log
    assert "Titel: " in log and "title:" not in log
    with su_engine.connect() as conn:
        row = conn.execute(text("select hidden_at, hidden_reason from catalogue_entry")).one()
        assert row.hidden_at is not None and row.hidden_reason == reason
        # Audited in the operator's log and in the municipality's own.
        audit = conn.execute(
            text(
                "select action, subject_tenant_slug, details from operator_audit"
                " where action like 'catalogue.%'"
            )
        ).one()
        assert audit.action == "catalogue.hide" and audit.subject_tenant_slug == "alpha"
        assert audit.details["note"] == reason and audit.details["entry"] == world.entry
        own = conn.execute(
            text(
                "select action, actor_name, details from tenant_audit"
                " where action = 'catalogue.hidden'"
            )
        ).one()
        assert own.details["note"] == reason and own.actor_name.startswith("operator:")
        # The publisher's automation team is told, with the reason and the link.
        mail = conn.execute(
            text("select to_address, subject, body_text, kind from outbox_message")
        ).all()
    assert [m.to_address for m in mail] == ["tea@alpha.dk"]
    assert mail[0].kind == "catalogue_hidden" and "er skjult" in mail[0].subject
    assert reason in mail[0].body_text
    assert f"http://localhost/alpha/katalog/{world.entry}" in mail[0].body_text


def test_a_hidden_entry_is_gone_for_other_municipalities(app, world):
    hide_from_page(console(app, world.operator), world.entry, "Personoplysninger")
    reader = app.test_client()
    login(reader, world.reader)
    assert "Kontrol af leverandørfakturaer" not in reader.get("/beta/katalog").get_data(
        as_text=True
    )
    searched = reader.get("/beta/katalog?q=leverandørfaktura").get_data(as_text=True)
    assert "Kontrol af leverandørfakturaer" not in searched
    assert reader.get(f"/beta/katalog/{world.entry}").status_code == 404
    assert reader.get(f"/beta/katalog/{world.entry}/versions/1").status_code == 404
    h = bearer(world.reader_token)
    found = reader.get("/api/v1/catalogue?q=leverandørfaktura", headers=h).get_json()
    assert found["total"] == 0, found
    assert reader.get(f"/api/v1/catalogue/{world.entry}", headers=h).status_code == 404
    assert reader.get(f"/api/v1/catalogue/{world.entry}/versions", headers=h).status_code == 404
    # … and from the public feed.
    feed = app.test_client().get("/katalog/feed.jsonld").get_json()
    assert feed["dcat:dataset"] == []


def test_the_publisher_sees_that_it_is_hidden_and_why(app, world):
    hide_from_page(console(app, world.operator), world.entry, "Personoplysninger i teksten")
    for who in (world.team, world.colleague):
        c = app.test_client()
        login(c, who)
        page = c.get(f"/alpha/katalog/{world.entry}")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert 'id="hidden"' in html and "Personoplysninger i teksten" in html
    answer = app.test_client().get(
        f"/api/v1/catalogue/{world.entry}", headers=bearer(world.team_token)
    )
    assert answer.status_code == 200
    assert answer.get_json()["hidden_reason"] == "Personoplysninger i teksten"


def test_showing_it_again(app, world, su_engine):
    c = console(app, world.operator)
    hide_from_page(c, world.entry, "Personoplysninger")
    html = c.get(f"/operator/katalog/{world.entry}").get_data(as_text=True)
    assert 'id="hide-form"' not in html
    form = post_form(html, f"/operator/katalog/{world.entry}/vis")
    assert c.post(form.action, data=MultiDict(form.data())).status_code == 302
    reader = app.test_client()
    login(reader, world.reader)
    assert reader.get(f"/beta/katalog/{world.entry}").status_code == 200
    with su_engine.connect() as conn:
        row = conn.execute(text("select hidden_at, hidden_reason from catalogue_entry")).one()
        assert tuple(row) == (None, None)
        actions = conn.scalars(
            text("select action from operator_audit where action like 'catalogue.%' order by at")
        ).all()
        kinds = conn.scalars(text("select kind from outbox_message order by created_at")).all()
    assert actions == ["catalogue.hide", "catalogue.unhide"]
    assert kinds == ["catalogue_hidden", "catalogue_unhidden"]


def test_an_anonymous_entry_shows_its_publisher_to_the_operator_only(app, world, make, client):
    other = make.process(world.team, title="Anonym proces", summary="Kort.")
    entry = publish(client, world.team_token, other.id, anonymous=True)
    page = console(app, world.operator).get(f"/operator/katalog/{entry}").get_data(as_text=True)
    assert "Alfa Kommune" in page and "en kommune" in page
    reader = app.test_client()
    login(reader, world.reader)
    assert "Alfa Kommune" not in reader.get(f"/beta/katalog/{entry}").get_data(as_text=True)

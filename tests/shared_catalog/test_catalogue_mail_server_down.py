"""The catalogue's mail while the SMTP server is away: "Kontakt kommunen" and the e-mail
about a new version to a copy's followers are accepted all the same (queued in the
outbox, the request never waits for or fails on the mail server) and delivered, once,
when the server (a real aiosmtpd on loopback) answers again."""

from __future__ import annotations

import pytest
from helpers import bearer
from reuse_world import SmtpServer, build, publish
from sqlalchemy import text


@pytest.fixture
def smtp_down():
    """A port where no server listens until start()."""
    server = SmtpServer()
    yield server
    server.stop()


@pytest.fixture
def world(app, make):
    return build(app, make)


def pending(su_engine, kind: str) -> list:
    with su_engine.connect() as conn:
        return conn.execute(
            text(
                "select to_address, status, attempts, sent_at from outbox_message"
                " where kind = :k order by to_address"
            ),
            {"k": kind},
        ).all()


def test_contact_and_a_new_version_are_queued_while_smtp_is_down_and_sent_when_back(
    app, client, world, smtp_down, su_engine
):
    # Beta copies the entry (Bo follows the copy), then writes to the publisher.
    copied = client.post(f"/api/v1/catalogue/{world.entry_id}/copy", headers=bearer(world.bo_token))
    assert copied.status_code == 201
    r = client.post(
        f"/api/v1/catalogue/{world.entry_id}/contact",
        json={"body": "Hvordan fik I leverandøren med?"},
        headers=bearer(world.bo_token),
    )
    assert r.status_code == 202, r.get_json()
    # Alfa publishes a new version: Bo is to be told.
    publish(app, world.team, world.process.id, summary="Fakturaer kontrolleres mod aftalen.")
    assert [m.to_address for m in pending(su_engine, "catalogue.contact")] == ["tea@alpha.dk"]
    assert [m.to_address for m in pending(su_engine, "catalogue.new_version")] == ["bo@beta.dk"]

    # The server is down: nothing is sent, nothing lost, no attempt counted against them.
    for _ in range(3):
        assert smtp_down.deliver(app) == 0
    for kind in ("catalogue.contact", "catalogue.new_version"):
        assert [(m.status, m.attempts, m.sent_at) for m in pending(su_engine, kind)] == [
            ("pending", 0, None)
        ]

    # It answers again: both go at the next look, once.
    smtp_down.start()
    assert smtp_down.deliver(app) == 2
    assert smtp_down.deliver(app) == 0
    by_recipient = {m["To"]: m for m in smtp_down.messages}
    assert set(by_recipient) == {"tea@alpha.dk", "bo@beta.dk"}
    contact = by_recipient["tea@alpha.dk"]
    assert "Hvordan fik I leverandøren med?" in contact.get_content()
    assert "bo@beta.dk" in contact.get_content()
    assert "Kontrol af leverandørfakturaer" in by_recipient["bo@beta.dk"]["Subject"]
    for kind in ("catalogue.contact", "catalogue.new_version"):
        assert [m.status for m in pending(su_engine, kind)] == ["sent"]

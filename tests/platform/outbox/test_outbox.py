"""The e-mail worker against a real SMTP server (aiosmtpd on loopback): every tenant's
messages, sent once, kept and retried with backoff while the server is down."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from helpers import SmtpServer, app_env, bearer
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError


@pytest.fixture
def smtp_down():
    """A port where no server listens (yet): start() brings one up on it."""
    server = SmtpServer()
    yield server
    server.stop()


def queue(app, tenant, n: int, subject: str = "Ny kommentar til “Lønrefusion”") -> None:
    from autoproces.platform.db import db, use_tenant
    from autoproces.platform.outbox.models import OutboxMessage

    with app.app_context():
        use_tenant(tenant.id)
        for i in range(n):
            db.session.add(
                OutboxMessage(
                    tenant_id=tenant.id,
                    to_address=f"person{i}@{tenant.slug}.dk",
                    subject=subject,
                    body_text=f"Hej nr. {i}\n\nSe processen: https://x/{tenant.slug}",
                    kind="comment_added",
                )
            )
        db.session.commit()


def rows(su_engine) -> list:
    with su_engine.connect() as conn:
        return conn.execute(
            text(
                "select tenant_id, id, status, attempts, next_attempt_at, locked_until, sent_at,"
                " last_error from outbox_message order by to_address"
            )
        ).all()


def run_once(app, server, **kw) -> int:
    from autoproces.platform.outbox.sender import run_worker

    with app.app_context():
        return run_worker(server.config(), once=True, **kw)


def test_the_worker_sends_every_tenants_mail_once(app, make, smtp, su_engine):
    alpha, beta = make.tenant("alpha"), make.tenant("beta")
    queue(app, alpha, 3)
    queue(app, beta, 2)
    assert run_once(app, smtp) == 5
    assert len(smtp.messages) == 5
    assert {m["To"] for m in smtp.messages} >= {"person0@alpha.dk", "person1@beta.dk"}
    message = smtp.messages[0]
    assert message["Subject"] == "Ny kommentar til “Lønrefusion”"  # Danish, encoded and back
    assert message["From"] == "autoproces@kommune.example"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content().startswith("Hej nr.")
    assert all(r.status == "sent" and r.sent_at and r.attempts == 1 for r in rows(su_engine))
    assert run_once(app, smtp) == 0 and len(smtp.messages) == 5


def test_a_comment_reaches_the_follower_by_mail(app, client, make, smtp, su_engine):
    tenant = make.tenant("alpha", "Alfa Kommune")
    erik = make.user(tenant, "employee", name="Erik", email="erik@alpha.dk")
    mona = make.user(tenant, "employee", name="Mona", email="mona@alpha.dk")
    process = make.process(erik, title="Lønrefusion")
    r = client.post(
        f"/api/v1/processes/{process.id}/comments",
        json={"body": "Vi har det samme problem"},
        headers=bearer(make.token(mona)),
    )
    assert r.status_code == 201
    assert run_once(app, smtp) == 1
    (message,) = smtp.messages
    assert message["To"] == "erik@alpha.dk"
    assert message["Subject"] == "Ny kommentar til “Lønrefusion”"
    body = message.get_content()
    assert "Mona har skrevet en kommentar til “Lønrefusion”" in body
    assert f"/alpha/processer/{process.id}" in body


def test_nothing_is_lost_while_the_mail_server_is_down(app, make, smtp_down, su_engine):
    from autoproces.platform.outbox.sender import deliver_due

    tenant = make.tenant("alpha")
    queue(app, tenant, 3)
    with app.app_context():
        report = deliver_due(smtp_down.config())
    assert (report.claimed, report.sent, report.retried) == (3, 0, 3) and report.server_down
    for r in rows(su_engine):
        # Handed back untried: not an attempt, no backoff, still due.
        assert r.status == "pending" and r.attempts == 0 and r.sent_at is None
        assert r.locked_until is None and "connect" in r.last_error
        assert r.next_attempt_at <= datetime.now(UTC)
    # Down for a long while: still nothing counted against the messages.
    for _ in range(12):
        assert run_once(app, smtp_down) == 0
    assert {r.attempts for r in rows(su_engine)} == {0}
    # The server answers again: the very next look sends everything, once.
    smtp_down.start()
    assert run_once(app, smtp_down) == 3
    assert run_once(app, smtp_down) == 0
    assert len(smtp_down.messages) == 3
    assert {(r.status, r.attempts, r.last_error) for r in rows(su_engine)} == {("sent", 1, None)}


def test_the_worker_looks_again_after_its_interval_while_the_server_is_down(
    app, make, smtp_down, su_engine
):
    from autoproces.platform.outbox.sender import run_worker

    tenant = make.tenant("alpha")
    queue(app, tenant, 2)
    stop = threading.Event()
    sent: list[int] = []

    def work() -> None:
        with app.app_context():
            sent.append(run_worker(smtp_down.config(), interval=0.2, stop=stop))

    worker = threading.Thread(target=work)
    worker.start()
    try:
        threading.Event().wait(1.0)  # a few looks with the server away
        smtp_down.start()
        for _ in range(50):  # the mail goes out within a look or two, not after a backoff
            if len(smtp_down.messages) == 2:
                break
            threading.Event().wait(0.1)
    finally:
        stop.set()
        worker.join(timeout=10)
    assert len(smtp_down.messages) == 2 and sent == [2]


def test_a_refused_recipient_does_not_hold_up_the_others(app, make, smtp, su_engine):
    from autoproces.platform.db import db, use_tenant
    from autoproces.platform.outbox.models import OutboxMessage

    tenant = make.tenant("alpha")
    queue(app, tenant, 2)
    with app.app_context():
        use_tenant(tenant.id)
        db.session.add(
            OutboxMessage(
                tenant_id=tenant.id,
                to_address="refuse@alpha.dk",
                subject="Ny fase",
                body_text="Hej",
                kind="process_changed",
            )
        )
        db.session.commit()
    assert run_once(app, smtp) == 2
    by_status = {r.status: r for r in rows(su_engine)}
    assert len(smtp.messages) == 2
    refused = [r for r in rows(su_engine) if r.status == "pending"]
    assert len(refused) == 1 and refused[0].attempts == 1 and "550" in refused[0].last_error
    assert "sent" in by_status


def test_retries_back_off_and_give_up_after_ten_attempts(app, make, app_engine, su_engine):
    tenant = make.tenant("alpha")
    queue(app, tenant, 1)
    delays = []
    for _attempt in range(10):
        with su_engine.begin() as conn:
            conn.execute(text("update outbox_message set next_attempt_at = now()"))
        with app_engine.begin() as conn:  # as the app role, no tenant set
            (row,) = conn.execute(text("select * from outbox_claim(10, 60)")).all()
            conn.execute(
                text("select outbox_mark(:t, :i, false, 'boom')"), {"t": row.tenant_id, "i": row.id}
            )
        (r,) = rows(su_engine)
        delays.append(round((r.next_attempt_at - datetime.now(UTC)).total_seconds() / 60))
        if r.attempts < 10:
            assert r.status == "pending"
    assert delays[:9] == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    (r,) = rows(su_engine)
    assert (r.status, r.attempts, r.last_error) == ("failed", 10, "boom")
    with app_engine.begin() as conn:
        assert conn.execute(text("select * from outbox_claim(10, 60)")).all() == []


def test_two_claims_never_share_a_message(app, make, app_engine):
    tenant = make.tenant("alpha")
    queue(app, tenant, 4)
    with app_engine.connect() as first, app_engine.connect() as second:
        with first.begin():
            claimed = first.execute(text("select id from outbox_claim(100, 60)")).all()
            assert len(claimed) == 4
            # Still uncommitted: the rows are locked and skipped, not waited for.
            with second.begin():
                assert second.execute(text("select id from outbox_claim(100, 60)")).all() == []
        # Committed: the lease (locked_until) keeps them from a second worker.
        with second.begin():
            assert second.execute(text("select id from outbox_claim(100, 60)")).all() == []


def test_two_workers_at_once_send_each_message_once(app, make, smtp, su_engine):
    alpha, beta = make.tenant("alpha"), make.tenant("beta")
    queue(app, alpha, 30)
    queue(app, beta, 30)
    start = threading.Barrier(2)
    sent: list[int] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            start.wait()
            sent.append(run_once(app, smtp, batch=4))
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert sum(sent) == 60
    ids = [m["Message-ID"] for m in smtp.messages]
    assert len(ids) == 60 and len(set(ids)) == 60
    assert {r.status for r in rows(su_engine)} == {"sent"}


def test_the_app_role_cannot_change_or_read_other_tenants_mail(app, make, app_engine):
    alpha, beta = make.tenant("alpha"), make.tenant("beta")
    queue(app, alpha, 1)
    with app_engine.begin() as conn:
        conn.execute(text("select set_config('app.tenant_id', :t, true)"), {"t": str(beta.id)})
        assert conn.scalar(text("select count(*) from outbox_message")) == 0
    with app_engine.begin() as conn:
        conn.execute(text("select set_config('app.tenant_id', :t, true)"), {"t": str(alpha.id)})
        assert conn.scalar(text("select count(*) from outbox_message")) == 1
    with pytest.raises(DBAPIError, match="permission denied"):
        with app_engine.begin() as conn:
            conn.execute(text("select set_config('app.tenant_id', :t, true)"), {"t": str(alpha.id)})
            conn.execute(text("update outbox_message set status = 'sent'"))


def test_the_worker_command(database, app, make, smtp, su_engine):
    from autoproces.platform.cli import main

    tenant = make.tenant("alpha")
    queue(app, tenant, 2)
    env = app_env(database, SMTP_HOST="127.0.0.1", SMTP_PORT=str(smtp.port))
    result = CliRunner().invoke(main, ["worker", "--once"], env=env)
    assert result.exit_code == 0, result.output
    assert "Sent 2 e-mail(s)." in result.output
    assert len(smtp.messages) == 2
    result = CliRunner().invoke(main, ["worker", "--once"], env={**env, "SMTP_HOST": ""})
    assert result.exit_code != 0 and "SMTP_HOST" in result.output


def test_a_message_for_another_municipalitys_team_reaches_only_that_team(
    app, make, smtp, su_engine
):
    from autoproces.platform.db import db, use_tenant
    from autoproces.platform.outbox.services import queue_for_team

    alpha, beta = make.tenant("alpha"), make.tenant("beta")
    asker = make.user(alpha, "automation", email="asker@alpha.dk")
    make.user(alpha, "automation", email="team@alpha.dk")
    make.user(beta, "automation", email="team1@beta.dk")
    make.user(beta, "automation", email="team2@beta.dk")
    make.user(beta, "employee", email="employee@beta.dk")
    gone = make.user(beta, "automation", email="gone@beta.dk")
    with su_engine.begin() as conn:
        conn.execute(text("update app_user set active = false where id = :id"), {"id": gone.id})
        # An integration's service account is on the team by role, but is not a person.
        conn.execute(
            text(
                "insert into app_user (tenant_id, email, name, roles, kind) values"
                " (:t, 'robot@service.invalid', 'Robot', '{automation}', 'service')"
            ),
            {"t": beta.id},
        )
    with app.app_context():
        use_tenant(asker.tenant_id)
        n = queue_for_team(beta.id, "Spørgsmål om jeres proces", "Hej\n\nVi vil høre…", "contact")
        assert n == 2
        # The caller learns nothing more, and stays in its own municipality.
        assert db.session.scalar(text("select count(*) from outbox_message")) == 0
        assert db.session.scalar(text("select current_setting('app.tenant_id')")) == str(alpha.id)
        assert db.session.scalar(text("select count(*) from app_user")) == 2  # alpha's own
        db.session.commit()
    by_tenant = {(r.tenant_id, r.status) for r in rows(su_engine)}
    assert by_tenant == {(beta.id, "pending")}
    assert run_once(app, smtp) == 2
    assert sorted(m["To"] for m in smtp.messages) == ["team1@beta.dk", "team2@beta.dk"]


def test_no_team_mail_to_a_suspended_or_unknown_municipality(app, make, su_engine):
    import uuid

    from autoproces.platform.db import db, use_tenant
    from autoproces.platform.outbox.services import queue_for_team
    from autoproces.platform.tenancy import TenantStatus, set_tenant_status

    alpha, beta = make.tenant("alpha"), make.tenant("beta")
    make.user(beta, "automation")
    with app.app_context():
        set_tenant_status("beta", TenantStatus.SUSPENDED)
        db.session.commit()
        use_tenant(alpha.id)
        assert queue_for_team(beta.id, "Emne", "Tekst", "contact") == 0
        assert queue_for_team(uuid.uuid4(), "Emne", "Tekst", "contact") == 0
        db.session.commit()
    assert rows(su_engine) == []


@pytest.mark.parametrize(
    ("address", "queued"),
    [
        ("esdh@tjenestekonto.invalid", False),
        ("X@Foo.INVALID.", False),
        ("erik@alpha.dk", True),
        ("someone@invalid.dk", True),
    ],
)
def test_an_undeliverable_address_is_never_queued(app, make, su_engine, address, queued):
    from autoproces.platform.db import db
    from autoproces.platform.outbox.services import queue_mail
    from autoproces.platform.tenancy import activate_tenant

    tenant = make.tenant("alfa")
    with app.app_context():
        activate_tenant(tenant)
        message = queue_mail(tenant.id, address, "Emne", "Tekst", "test")
        db.session.commit()
    assert (message is not None) is queued
    with su_engine.connect() as conn:
        count = conn.execute(text("select count(*) from outbox_message")).scalar_one()
    assert count == int(queued)

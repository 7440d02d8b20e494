"""D22: the register announces its writes by signal; engagement and attachments listen.

The listeners run in the write's transaction (a rollback undoes their mail), and the
register works with no listener at all.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from types import SimpleNamespace

import pytest
from helpers import REPO_ROOT, app_env
from sqlalchemy import text

from autoproces.tenants.processes import signals


@pytest.fixture
def alpha(make):
    tenant = make.tenant("alpha", "Alfa Kommune")
    return SimpleNamespace(
        tenant=tenant,
        team=make.user(tenant, "automation", name="Tea Team", email="tea@alpha.dk"),
        erik=make.user(tenant, "employee", name="Erik Medarbejder", email="erik@alpha.dk"),
    )


def _count(su_engine, sql: str) -> int:
    with su_engine.connect() as conn:
        return conn.scalar(text(sql))


def _as(app, user):
    from autoproces.platform.db import db, use_tenant
    from autoproces.platform.identity.models import User

    use_tenant(user.tenant_id)
    return db.session.get(User, (user.tenant_id, user.id))


def test_each_write_sends_its_signal_with_what_changed(app, alpha):
    from autoproces.platform.db import db
    from autoproces.tenants.processes import services

    seen: list[tuple[str, uuid.UUID, dict]] = []

    def recorder(name):
        return lambda sender, **kw: seen.append((name, sender.id, {**kw, "user": kw["user"].id}))

    created, changed, deleting = (
        recorder("created"),
        recorder("changed"),
        recorder("deleting"),
    )
    with (
        app.app_context(),
        signals.process_created.connected_to(created),
        signals.process_changed.connected_to(changed),
        signals.process_deleting.connected_to(deleting),
    ):
        team = _as(app, alpha.team)
        p = services.create_process(team, {"title": "Post", "summary": "Journalisering."})
        process_id = p.id
        services.update_process(team, p, {"version": p.version, "status": "in_progress"})
        # The rows are still there when process_deleting is sent (same transaction).
        still_there: list[int] = []
        with signals.process_deleting.connected_to(
            lambda sender, **_: still_there.append(
                db.session.scalar(text("select count(*) from process"))
            )
        ):
            services.delete_process(team, p)
        db.session.commit()
    assert [name for name, _s, _k in seen] == ["created", "changed", "deleting"]
    assert all(kw["user"] == alpha.team.id for _n, _s, kw in seen)
    assert seen[1][2]["changes"]["status"] == ("not_assessed", "in_progress")
    assert {s for _n, s, _k in seen} == {process_id}
    assert still_there == [1]


def test_the_app_connects_engagement_and_attachments_to_the_register(app):
    names = {
        signal.name: {r.__module__ for r in signal.receivers_for(object())}
        for signal in (
            signals.process_created,
            signals.process_changed,
            signals.process_deleting,
            signals.idea_submitted,
        )
    }
    assert "autoproces.tenants.engagement.receivers" in names["process-created"]
    assert "autoproces.tenants.engagement.receivers" in names["process-changed"]
    assert "autoproces.tenants.engagement.receivers" in names["idea-submitted"]
    assert "autoproces.tenants.processes.attachments.services" in names["process-deleting"]
    assert "following" in signals.list_filters


def test_any_process_that_builds_the_app_has_the_listeners(database):
    """The CLI and the worker build the app with create_app: the listeners come with it."""
    script = (
        "import json, sys\n"
        "from autoproces.platform.app import create_app\n"
        "from autoproces.tenants.processes import signals\n"
        "create_app(json.loads(sys.argv[1]))\n"
        "print(len(list(signals.process_changed.receivers_for(object()))))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script, json.dumps(app_env(database))],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert int(run.stdout.split()[-1]) >= 1


def test_the_register_works_with_no_listener(app, alpha, su_engine):
    from autoproces.platform.db import db
    from autoproces.tenants.processes import services

    with (
        app.app_context(),
        signals.process_created.muted(),
        signals.process_changed.muted(),
        signals.process_deleting.muted(),
    ):
        team = _as(app, alpha.team)
        p = services.create_process(team, {"title": "Post", "summary": "Journalisering."})
        p = services.update_process(team, p, {"version": p.version, "status": "in_progress"})
        gone = services.create_process(team, {"title": "Væk", "summary": "Slettes."})
        services.delete_process(team, gone)
        db.session.commit()
    assert _count(su_engine, "select count(*) from process") == 1
    assert _count(su_engine, "select count(*) from process_follower") == 0  # nobody followed
    assert _count(su_engine, "select count(*) from outbox_message") == 0


def test_the_listeners_follow_and_mail_and_a_rollback_leaves_neither(app, alpha, su_engine):
    from autoproces.platform.db import db
    from autoproces.tenants.processes import services

    with app.app_context():
        erik = _as(app, alpha.erik)
        p = services.create_process(erik, {"title": "Post", "summary": "Journalisering."})
        db.session.commit()
        assert _count(su_engine, "select count(*) from process_follower") == 1  # the reporter
        team = _as(app, alpha.team)
        services.update_process(team, p, {"version": p.version, "status": "in_progress"})
        assert db.session.scalar(text("select count(*) from outbox_message")) == 1  # to Erik
        db.session.rollback()
        # A rolled-back report leaves no follow behind either.
        erik = _as(app, alpha.erik)
        services.create_process(erik, {"title": "Nej", "summary": "Fortrydes."})
        db.session.rollback()
    assert _count(su_engine, "select count(*) from outbox_message") == 0
    assert _count(su_engine, "select count(*) from process_follower") == 1

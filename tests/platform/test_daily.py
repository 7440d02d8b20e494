"""Daily jobs (platform/daily.py): each (municipality, job) runs once a day, a failed job is
retried and does not stop the others, the worker runs the day's jobs when its clock steps to a
new date and delivers what they queue in the same pass, and `autoproces daily` runs them from a
shell."""

from __future__ import annotations

from datetime import date

import pytest
from click.testing import CliRunner
from helpers import SmtpServer, app_env
from sqlalchemy import text

from autoproces.platform.components import Component


@pytest.fixture
def jobs(app):
    """A component with two daily jobs: one counts its calls, one fails while told to."""
    calls: list[tuple[str, date]] = []
    state = {"fail": True}

    def counting(tenant, day):
        calls.append((tenant.slug, day))
        return 1

    def failing(tenant, day):
        from autoproces.platform.db import db
        from autoproces.platform.outbox.services import queue_mail

        # Half-written work that must not survive the failure.
        queue_mail(tenant.id, "x@alpha.dk", "Halvt", "Halvt", kind="test.failing")
        db.session.flush()
        if state["fail"]:
            raise RuntimeError("boom")
        return 2

    extra = Component(
        name="zz-test",
        init_app=lambda app, api: None,
        daily=(("test.counting", counting), ("test.failing", failing)),
    )
    components = app.extensions["autoproces.components"]
    components.append(extra)
    yield calls, state
    components.remove(extra)


def run(app, day, **kwargs):
    from autoproces.platform.daily import run_daily

    with app.app_context():
        return run_daily(day, **kwargs)


def test_each_municipality_runs_a_job_once_a_day(app, make, jobs):
    calls, _ = jobs
    make.tenant("alpha", "Alfa Kommune")
    make.tenant("beta", "Beta Kommune")
    first = run(app, date(2026, 3, 1), only="test.counting")
    assert first.done == {"test.counting": 2} and first.skipped == 0
    again = run(app, date(2026, 3, 1), only="test.counting")
    assert again.done == {} and again.skipped == 2
    assert run(app, date(2026, 3, 1), only="test.counting", force=True).total == 2
    assert run(app, date(2026, 3, 2), only="test.counting").total == 2
    assert sorted(calls) == sorted(
        [(s, date(2026, 3, 1)) for s in ("alpha", "beta")] * 2
        + [(s, date(2026, 3, 2)) for s in ("alpha", "beta")]
    )


def test_a_suspended_municipality_is_left_alone(app, make, jobs, su_engine):
    calls, _ = jobs
    make.tenant("alpha", "Alfa Kommune")
    make.tenant("beta", "Beta Kommune")
    with su_engine.begin() as conn:
        conn.execute(text("update tenant set status = 'suspended' where slug = 'beta'"))
    run(app, date(2026, 3, 1), only="test.counting")
    assert calls == [("alpha", date(2026, 3, 1))]


def test_a_failing_job_is_rolled_back_retried_and_does_not_stop_the_others(
    app, make, jobs, su_engine
):
    calls, state = jobs
    make.tenant("alpha", "Alfa Kommune")
    report = run(app, date(2026, 3, 1))
    assert report.failed == 1 and report.done.get("test.counting") == 1
    with su_engine.connect() as conn:
        assert conn.scalar(text("select count(*) from outbox_message")) == 0
        claimed = conn.execute(text("select job from daily_run order by job")).scalars().all()
    assert "test.failing" not in claimed and "test.counting" in claimed
    state["fail"] = False
    report = run(app, date(2026, 3, 1))
    assert report.done.get("test.failing") == 2 and report.failed == 0
    assert report.skipped >= 1  # the counting job had already run that day
    with su_engine.connect() as conn:
        done = conn.scalar(text("select done from daily_run where job = 'test.failing'"))
    assert done == 2


def test_the_schedule_runs_when_the_date_changes(app, make, jobs):
    from autoproces.platform.daily import DailySchedule

    calls, state = jobs
    state["fail"] = False
    make.tenant("alpha", "Alfa Kommune")
    clock = [date(2026, 3, 1)]
    schedule = DailySchedule(lambda: clock[0])
    with app.app_context():
        assert schedule.tick() is not None
        assert schedule.tick() is None  # the same day: not even a look
        clock[0] = date(2026, 3, 2)
        assert schedule.tick().done["test.counting"] == 1
    assert [d for _, d in calls] == [date(2026, 3, 1), date(2026, 3, 2)]


def test_a_day_with_a_failure_is_looked_at_again(app, make, jobs):
    from autoproces.platform.daily import DailySchedule

    calls, state = jobs
    make.tenant("alpha", "Alfa Kommune")
    schedule = DailySchedule(lambda: date(2026, 3, 1))
    with app.app_context():
        assert schedule.tick().failed == 1
        state["fail"] = False
        assert schedule.tick().done == {"test.failing": 2}
        assert schedule.tick() is None
    assert len(calls) == 1


def test_the_worker_sends_a_reminder_the_day_it_falls_due(app, make, su_engine):
    """End to end through the real worker loop and a real SMTP server: a process in drift
    whose legal basis was checked on 1 January; the worker's clock steps from 30 June to
    1 July; the owner gets one e-mail, on 1 July, and no more on 2 July."""
    from autoproces.platform.daily import DailySchedule
    from autoproces.platform.outbox.sender import run_worker

    tenant = make.tenant("alpha", "Alfa Kommune")
    team = make.user(tenant, "automation", name="Tea Team", email="tea@alpha.dk")
    owner = make.user(tenant, "employee", name="Olga Ejer", email="olga@alpha.dk")
    make.process(
        team,
        title="Fakturascanning",
        phase="operation",
        owner_id=owner.id,
        legal_basis_verified_at=date(2026, 1, 1),
        put_into_operation_at=date(2025, 1, 1),  # long ago: no lessons reminder
    )
    with su_engine.begin() as conn:  # changed lately: only the legal basis is due
        conn.execute(text("update process set updated_at = '2026-06-15'"))
    smtp = SmtpServer()
    smtp.start()
    try:
        clock = [date(2026, 6, 30)]
        schedule = DailySchedule(lambda: clock[0])
        with app.app_context():
            assert run_worker(smtp.config(), once=True, schedule=schedule) == 0
            clock[0] = date(2026, 7, 1)
            assert run_worker(smtp.config(), once=True, schedule=schedule) == 1
            clock[0] = date(2026, 7, 2)
            assert run_worker(smtp.config(), once=True, schedule=schedule) == 0
    finally:
        smtp.stop()
    [message] = smtp.messages
    assert message["To"] == "olga@alpha.dk"
    assert message["Subject"] == "Lovgrundlaget for Fakturascanning skal kontrolleres"


def test_the_daily_command(app, database, make):
    from autoproces.platform.cli import main

    make.tenant("alpha", "Alfa Kommune")
    env = app_env(database)
    listed = CliRunner().invoke(main, ["daily", "--list"], env=env)
    assert listed.exit_code == 0, listed.output
    assert {"processes.reminders", "runs.lessons"} <= set(listed.output.split())
    first = CliRunner().invoke(main, ["daily", "--today", "2026-03-01"], env=env)
    assert first.exit_code == 0, first.output
    assert "processes.reminders: 0" in first.output
    second = CliRunner().invoke(main, ["daily", "--today", "2026-03-01"], env=env)
    assert "Already run on 2026-03-01" in second.output
    unknown = CliRunner().invoke(main, ["daily", "--job", "nej"], env=env)
    assert unknown.exit_code == 2 and "processes.reminders" in unknown.output
    bad = CliRunner().invoke(main, ["daily", "--today", "i går"], env=env)
    assert bad.exit_code == 2

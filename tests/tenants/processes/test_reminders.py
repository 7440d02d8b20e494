"""The register's periodic reminders (legal basis not checked for 6 months, no change for 12
months): each fires once per period under a real clock step through the daily jobs, goes to
the owner (else the automation team), restarts after a check or a change, agrees with its
Python twin, and drives the list's filter "Lovgrundlag skal kontrolleres"."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest
from helpers import bearer, login
from sqlalchemy import text

from autoproces.tenants.processes import reminders


@pytest.fixture
def alpha(make):
    tenant = make.tenant("alpha", "Alfa Kommune")
    team = make.user(tenant, "automation", name="Tea Team", email="tea@alpha.dk")
    owner = make.user(tenant, "employee", name="Olga Ejer", email="olga@alpha.dk")
    erik = make.user(tenant, "employee", name="Erik Medarbejder", email="erik@alpha.dk")
    return SimpleNamespace(tenant=tenant, team=team, owner=owner, erik=erik)


def mails(su_engine, kind: str) -> list:
    with su_engine.connect() as conn:
        return conn.execute(
            text(
                "select to_address, subject, body_text from outbox_message where kind = :k"
                " order by created_at, to_address"
            ),
            {"k": kind},
        ).all()


def set_updated(su_engine, process, day: date) -> None:
    """The last change was on `day` (noon, Danish time)."""
    with su_engine.begin() as conn:
        conn.execute(
            text("update process set updated_at = :t where id = :id"),
            {"t": datetime(day.year, day.month, day.day, 11, tzinfo=UTC), "id": process.id},
        )


def daily(app, day: date, job: str = "processes.reminders", force: bool = False) -> int:
    from autoproces.platform.daily import run_daily

    with app.app_context():
        report = run_daily(day, only=job, force=force)
        assert not report.failed
        return report.total


def in_operation(make, alpha, **data):
    data.setdefault("title", "Fakturascanning")
    data.setdefault("owner_id", alpha.owner.id)
    data.setdefault("put_into_operation_at", date(2026, 1, 15))
    return make.process(alpha.team, phase="operation", **data)


# --- Legal basis ---------------------------------------------------------------------------


def test_the_legal_basis_reminder_fires_once_per_six_months(app, make, alpha, su_engine):
    process = in_operation(make, alpha, legal_basis_verified_at=date(2026, 1, 31))
    set_updated(su_engine, process, date(2026, 7, 1))  # changed lately: only the legal basis
    # A clock step over the due day: 31 January + 6 months is 31 July.
    assert daily(app, date(2026, 7, 30)) == 0
    assert daily(app, date(2026, 7, 31)) == 1
    assert daily(app, date(2026, 7, 31), force=True) == 0  # the same day again
    for day in (date(2026, 8, 1), date(2026, 10, 15), date(2027, 1, 30)):
        assert daily(app, day) == 0
    [(to, subject, body)] = mails(su_engine, "processes.legal_basis")
    assert to == "olga@alpha.dk"
    assert subject == "Lovgrundlaget for Fakturascanning skal kontrolleres"
    assert "31.01.2026" in body
    assert f"/alpha/processer/{process.id}/rediger" in body
    # Still not checked a year on: the second period, one more e-mail.
    assert daily(app, date(2027, 1, 31)) == 1
    assert daily(app, date(2027, 2, 1)) == 0
    assert len(mails(su_engine, "processes.legal_basis")) == 2


def test_a_check_of_the_legal_basis_starts_the_count_again(app, client, make, alpha, su_engine):
    from autoproces.platform.db import db
    from autoproces.platform.identity.models import User
    from autoproces.platform.tenancy import activate_tenant, tenant_by_slug
    from autoproces.tenants.processes.models import Process
    from autoproces.tenants.processes.services import update_process

    process = in_operation(make, alpha, legal_basis_verified_at=date(2026, 1, 10))
    assert daily(app, date(2026, 7, 10)) == 1
    with app.app_context():
        activate_tenant(tenant_by_slug("alpha"))
        team = db.session.get(User, (alpha.tenant.id, alpha.team.id))
        p = db.session.get(Process, (alpha.tenant.id, process.id))
        update_process(
            team, p, {"legal_basis_verified_at": date(2026, 7, 12), "version": p.version}
        )
        db.session.commit()
    assert daily(app, date(2026, 7, 13)) == 0
    assert daily(app, date(2027, 1, 11)) == 0
    assert daily(app, date(2027, 1, 12)) == 1
    assert len(mails(su_engine, "processes.legal_basis")) == 2


def test_never_checked_counts_from_going_into_operation(app, make, alpha, su_engine):
    in_operation(make, alpha, put_into_operation_at=date(2026, 2, 1))
    assert daily(app, date(2026, 7, 31)) == 0
    assert daily(app, date(2026, 8, 1)) == 1


def test_no_reminder_outside_operation(app, make, alpha, su_engine):
    make.process(alpha.team, title="Idé", owner_id=alpha.owner.id)
    make.process(alpha.team, title="Udvikles", phase="development", owner_id=alpha.owner.id)
    assert daily(app, date(2027, 6, 1)) == 0
    assert mails(su_engine, "processes.legal_basis") == []


def test_without_an_active_owner_the_team_is_told(app, make, alpha, su_engine):
    from autoproces.platform.db import db
    from autoproces.platform.identity.models import User
    from autoproces.platform.tenancy import activate_tenant, tenant_by_slug

    in_operation(make, alpha, legal_basis_verified_at=date(2026, 1, 1))
    with app.app_context():
        activate_tenant(tenant_by_slug("alpha"))
        db.session.get(User, (alpha.tenant.id, alpha.owner.id)).active = False
        db.session.commit()
    assert daily(app, date(2026, 7, 1)) == 1
    assert [m.to_address for m in mails(su_engine, "processes.legal_basis")] == ["tea@alpha.dk"]


# --- No change for 12 months ---------------------------------------------------------------


def test_the_unchanged_reminder_fires_once_per_year(app, make, alpha, su_engine):
    process = make.process(
        alpha.team, title="Robot til løn", phase="development", owner_id=alpha.owner.id
    )
    set_updated(su_engine, process, date(2025, 11, 30))
    assert daily(app, date(2026, 11, 29)) == 0
    assert daily(app, date(2026, 11, 30)) == 1
    assert daily(app, date(2026, 12, 1)) == 0
    assert daily(app, date(2027, 11, 29)) == 0
    [(to, subject, body)] = mails(su_engine, "processes.unchanged")
    assert to == "olga@alpha.dk"
    assert subject == "Robot til løn er ikke ændret i et år"
    assert "30.11.2025" in body
    # A change moves the count: nothing a year after the old date, one a year after the new.
    set_updated(su_engine, process, date(2026, 12, 5))
    assert daily(app, date(2027, 11, 30)) == 0
    assert daily(app, date(2027, 12, 5)) == 1


def test_ideas_are_not_nagged_for_standing_still(app, make, alpha, su_engine):
    process = make.process(alpha.team, title="Idé", owner_id=alpha.owner.id)
    set_updated(su_engine, process, date(2020, 1, 1))
    assert daily(app, date(2026, 12, 1)) == 0


# --- The rule's twins and the list filter --------------------------------------------------


def test_months_between_follows_postgresql_age(app):
    from autoproces.platform.db import db

    rng = random.Random(7)
    with app.app_context():
        for _ in range(300):
            a = date(2024, 1, 1) + timedelta(days=rng.randrange(1200))
            b = a + timedelta(days=rng.randrange(900))
            sql = db.session.scalar(
                text(
                    "select (extract(year from age(:b, :a)) * 12"
                    " + extract(month from age(:b, :a)))::int"
                ),
                {"a": a, "b": b},
            )
            assert reminders.months_between(a, b) == sql, (a, b)
        assert reminders.months_between(date(2026, 5, 2), date(2026, 5, 1)) == 0


def test_the_sql_rule_and_the_python_twin_agree(app, make, alpha, su_engine):
    from sqlalchemy import select

    from autoproces.platform.db import db
    from autoproces.platform.tenancy import activate_tenant, tenant_by_slug
    from autoproces.tenants.processes.models import Process

    rng = random.Random(3)
    phases = ["idea", "development", "implementation", "operation", "decommissioned"]
    for i in range(40):
        verified = date(2025, 1, 1) + timedelta(days=rng.randrange(700))
        p = make.process(
            alpha.team,
            title=f"Proces {i}",
            phase=rng.choice(phases),
            legal_basis_verified_at=verified if rng.random() < 0.6 else None,
            put_into_operation_at=date(2025, 1, 1) + timedelta(days=rng.randrange(600)),
        )
        set_updated(su_engine, p, date(2024, 6, 1) + timedelta(days=rng.randrange(900)))
    with app.app_context():
        activate_tenant(tenant_by_slug("alpha"))
        for day in (date(2026, 3, 1), date(2026, 12, 2), date(2027, 8, 31)):
            for rule in reminders.RULES.values():
                rows = db.session.execute(
                    select(Process, reminders.period_sql(rule, day), reminders.due_sql(rule, day))
                ).all()
                for process, period, due in rows:
                    expected = reminders.period(rule, process, day)
                    if process.phase in [ph.value for ph in rule.phases]:
                        assert period == expected, (rule.kind, process.title, day)
                    assert bool(due) == (expected >= 1), (rule.kind, process.title, day)


def test_the_list_filter_shows_what_needs_its_legal_basis_checked(client, make, alpha):

    old = in_operation(
        make, alpha, title="Gammel kontrol", legal_basis_verified_at=date(2020, 1, 1)
    )
    in_operation(make, alpha, title="Frisk kontrol", legal_basis_verified_at=date.today())
    make.process(alpha.team, title="Bare en idé")
    login(client, alpha.erik)
    page = client.get("/alpha/processer").get_data(as_text=True)
    assert '<option value="legal_basis"' in page and "Lovgrundlag skal kontrolleres" in page
    filtered = client.get("/alpha/processer?attention=legal_basis").get_data(as_text=True)
    assert "Gammel kontrol" in filtered
    assert "Frisk kontrol" not in filtered and "Bare en idé" not in filtered
    assert 'value="legal_basis" selected' in filtered
    # The process page says why.
    shown = client.get(f"/alpha/processer/{old.id}").get_data(as_text=True)
    assert 'id="attention"' in shown and "ikke kontrolleret siden" in shown
    # The API takes the same filter; a wrong value names the field.
    headers = bearer(make.token(alpha.team))
    api = client.get("/api/v1/processes?attention=legal_basis", headers=headers)
    assert [p["title"] for p in api.get_json()["items"]] == ["Gammel kontrol"]
    bad = client.get("/api/v1/processes?attention=nej", headers=headers)
    assert bad.status_code == 422 and "attention" in bad.get_data(as_text=True)


def test_another_municipality_gets_no_reminder_of_alphas(app, make, alpha, su_engine):
    beta = make.tenant("beta", "Beta Kommune")
    make.user(beta, "automation", name="Bo Beta", email="bo@beta.dk")
    in_operation(make, alpha, legal_basis_verified_at=date(2026, 1, 1))
    assert daily(app, date(2026, 7, 1)) == 1
    with su_engine.connect() as conn:
        rows = conn.execute(
            text("select tenant_id, to_address from outbox_message where kind like 'processes.%'")
        ).all()
        reminded = conn.execute(text("select tenant_id from process_reminder")).all()
    assert rows == [(alpha.tenant.id, "olga@alpha.dk")]
    assert reminded == [(alpha.tenant.id,)]

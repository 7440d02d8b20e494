"""The daily digest (job "searches.digest"): one e-mail per user and day listing, per saved
search with e-mail on, the processes created since the last digest that the search finds
now and the user may see; nothing new, nothing sent; never twice; not to a deactivated user."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from autoproces.tenants.searches import services


def _run(app, day: date, force: bool = False):
    from autoproces.platform.daily import run_daily

    with app.app_context():
        return run_daily(day, only="searches.digest", force=force)


def mails(su_engine) -> list:
    with su_engine.connect() as conn:
        return conn.execute(
            text(
                "select to_address, subject, body_text from outbox_message"
                " where kind = 'searches.digest' order by created_at"
            )
        ).all()


@pytest.fixture
def searches(as_user, world):
    with as_user(world.employee) as me:
        services.create_search(me, "Fakturaer", {"q": "faktura"}, notify=True)
        services.create_search(me, "I drift", {"phase": "operation"}, notify=True)
        services.create_search(me, "Uden e-mail", {}, notify=False)
    with as_user(world.other) as other:  # nothing of theirs matches what is added below
        services.create_search(other, "Kultur", {"q": "teater"}, notify=True)


def test_the_digest_lists_new_matches_once(app, make, world, searches, su_engine):
    assert _run(app, date(2026, 12, 1)).done == {"searches.digest": 0}
    assert mails(su_engine) == []
    # What comes after that digest: a match, a match of both searches, one that matches no
    # search, and a match the employee may not see (the team's private process).
    match = make.process(world.team, title="Faktura fra leverandør", summary="Ny faktura.")
    both = make.process(world.team, title="Faktura i drift nu", phase="operation")
    make.process(world.team, title="Vejvedligehold", summary="Huller i vejen.")
    make.process(world.team, title="Privat faktura", visibility="personal")
    report = _run(app, date(2026, 12, 2))
    assert report.done == {"searches.digest": 1} and not report.failed
    [(to, subject, body)] = mails(su_engine)
    assert to == "employee@alpha.dk"
    assert subject == "Nye processer i 2 af dine gemte søgninger"
    assert body.startswith("Hej Employee Alfa\n\nDer er nye processer i Alfa Kommune")
    fakturaer, drift = body.split("\n\n")[2:4]
    assert fakturaer.splitlines()[0] == "Fakturaer (Søgning: faktura)"
    assert f"- Idé nr. {match.number}: Faktura fra leverandør" in fakturaer
    assert f"http://localhost/alpha/processer/{match.id}" in fakturaer
    assert f"Proces nr. {both.number}: Faktura i drift nu" in fakturaer
    assert "Se søgningen: http://localhost/alpha/processer?q=faktura" in fakturaer
    assert drift.splitlines()[0] == "I drift (Fase: I drift)"
    assert f"Proces nr. {both.number}: Faktura i drift nu" in drift
    assert "Faktura fra leverandør" not in drift
    for absent in ("Vejvedligehold", "Privat faktura", "Fakturahåndtering", "Uden e-mail"):
        assert absent not in body
    assert "Min side: http://localhost/alpha/min-side" in body
    # The same day again (forced past the day's claim) and the next day: nothing new.
    assert _run(app, date(2026, 12, 2)).skipped >= 1
    assert _run(app, date(2026, 12, 2), force=True).done == {"searches.digest": 0}
    assert _run(app, date(2026, 12, 3)).done == {"searches.digest": 0}
    assert len(mails(su_engine)) == 1


def test_a_deactivated_user_gets_nothing_and_nothing_piles_up(
    app, make, world, searches, su_engine
):
    from autoproces.platform.db import db
    from autoproces.platform.identity.services import set_user_active
    from autoproces.platform.tenancy import activate_tenant, tenant_by_slug

    _run(app, date(2026, 12, 1))
    make.process(world.team, title="Faktura nummer to")

    def set_active(active: bool) -> None:
        with app.app_context():
            tenant = tenant_by_slug("alpha")
            activate_tenant(tenant)
            set_user_active(tenant, world.employee.id, active)
            db.session.commit()

    set_active(False)
    assert _run(app, date(2026, 12, 2)).done == {"searches.digest": 0}
    set_active(True)
    assert _run(app, date(2026, 12, 3)).done == {"searches.digest": 0}
    assert mails(su_engine) == []


def test_turning_the_email_off_stops_it_and_on_again_starts_from_then(
    app, as_user, make, world, searches, su_engine
):
    _run(app, date(2026, 12, 1))
    stopped = []
    with as_user(world.employee) as me:
        for search in services.list_searches(me):
            if search.notify:
                services.update_search(me, search, notify=False)
                stopped.append(search.id)
    make.process(world.team, title="Faktura mens e-mail er slået fra")
    assert _run(app, date(2026, 12, 2)).done == {"searches.digest": 0}
    with as_user(world.employee) as me:
        for search_id in stopped:
            services.update_search(me, services.get_search(me, search_id), notify=True)
    assert _run(app, date(2026, 12, 3)).done == {"searches.digest": 0}
    make.process(world.team, title="Faktura efter")
    assert _run(app, date(2026, 12, 4)).done == {"searches.digest": 1}
    [(_to, subject, body)] = mails(su_engine)
    assert subject == "Nye processer i din gemte søgning “Fakturaer”"
    assert "Faktura efter" in body and "mens e-mail er slået fra" not in body


def test_many_new_matches_are_listed_up_to_a_limit_with_the_rest_a_link_away(
    app, make, world, searches, su_engine
):
    from autoproces.tenants.searches.digest import LISTED

    _run(app, date(2026, 12, 1))
    for n in range(LISTED + 2):
        make.process(world.team, title=f"Faktura {n}")
    assert _run(app, date(2026, 12, 2)).done == {"searches.digest": 1}
    [(_to, _subject, body)] = mails(su_engine)
    assert body.count("\n- ") == LISTED
    assert "… og 2 flere." in body


def test_a_service_account_or_an_undeliverable_address_gets_no_mail(
    app, as_user, make, world, su_engine
):
    ghost = make.user(world.alpha, "employee", email="ghost@alpha.invalid")
    with as_user(ghost) as me:
        services.create_search(me, "Alt", {}, notify=True)
    _run(app, date(2026, 12, 1))
    make.process(world.team, title="Noget nyt")
    assert _run(app, date(2026, 12, 2)).done == {"searches.digest": 0}


def test_the_job_is_registered_for_the_worker_and_the_cli(app, runner):
    from autoproces.platform.daily import daily_jobs

    with app.app_context():
        assert "searches.digest" in [name for name, _job in daily_jobs()]

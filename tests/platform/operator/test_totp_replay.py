"""An operator's TOTP code is good once: the last accepted time step is kept per operator
(platform_operator.totp_last_step), a code whose step is not newer is refused, and of two
logins with the same code at the same time only one gets in."""

from __future__ import annotations

import threading
import time

import pyotp
import pytest
from sqlalchemy import text


@pytest.fixture
def account(app):
    from autoproces.platform.db import db
    from autoproces.platform.operator.services import create_local_operator

    with app.app_context():
        new = create_local_operator("ops@os2.dk", password="en-lang-adgangskode")
        db.session.commit()
    return {"email": "ops@os2.dk", "password": "en-lang-adgangskode", "secret": new.totp_secret}


def post_login(client, account, code: str):
    return client.post(
        "/operator/login",
        data={"email": account["email"], "password": account["password"], "code": code},
    )


def failures(su_engine) -> list[str]:
    with su_engine.connect() as conn:
        return list(
            conn.scalars(
                text(
                    "select details->>'reason' from operator_audit"
                    " where action = 'login_failed' order by id"
                )
            )
        )


def test_a_code_is_refused_the_second_time_and_an_older_one_too(app, account, su_engine):
    totp = pyotp.TOTP(account["secret"])
    now = time.time()
    code = totp.at(now)
    assert post_login(app.test_client(), account, code).status_code == 302
    # The same code again, from another browser within its 30 s: refused, one message.
    r = post_login(app.test_client(), account, code)
    assert r.status_code == 422
    assert "adgangskoden eller engangskoden er forkert" in r.get_data(as_text=True)
    assert failures(su_engine) == ["code_reused"]
    # The next step's code (the clock drift allowed) is newer: accepted; then the current
    # one, older than it, is not.
    assert post_login(app.test_client(), account, totp.at(now + 30)).status_code == 302
    assert post_login(app.test_client(), account, code).status_code == 422
    assert failures(su_engine) == ["code_reused", "code_reused"]
    with su_engine.connect() as conn:
        step = conn.scalar(text("select totp_last_step from platform_operator"))
    assert step == int(now) // 30 + 1


def test_a_wrong_code_does_not_use_up_the_step(app, account, su_engine):
    totp = pyotp.TOTP(account["secret"])
    wrong = "000000" if totp.now() != "000000" else "111111"
    assert post_login(app.test_client(), account, wrong).status_code == 422
    assert post_login(app.test_client(), account, totp.now()).status_code == 302
    assert failures(su_engine) == ["wrong_code"]


def test_the_console_shows_the_reason_in_danish(app, account, make, su_engine):
    from helpers import operator_login

    code = pyotp.TOTP(account["secret"]).now()
    post_login(app.test_client(), account, code)
    post_login(app.test_client(), account, code)
    client = app.test_client()
    operator_login(client, make.operator("anden@os2.dk"))
    assert "engangskoden var allerede brugt" in client.get("/operator/log").get_data(as_text=True)


def test_two_logins_with_one_code_at_once_only_one_gets_in(app, account):
    """The first login holds the operator's row until it commits; the second waits on it,
    then finds the step taken."""
    from autoproces.platform.db import db
    from autoproces.platform.operator import services

    code = pyotp.TOTP(account["secret"]).now()
    first_has_row, release = threading.Event(), threading.Event()
    results: dict[str, str] = {}

    def attempt(name: str, hold: bool) -> None:
        with app.app_context():
            try:
                services.authenticate_local(account["email"], account["password"], code)
            except services.LoginFailed as e:
                db.session.rollback()
                results[name] = e.reason
                return
            if hold:
                first_has_row.set()
                release.wait(20)
            db.session.commit()
            results[name] = "ok"

    first = threading.Thread(target=attempt, args=("first", True))
    second = threading.Thread(target=attempt, args=("second", False))
    first.start()
    assert first_has_row.wait(20)
    second.start()
    second.join(1.5)
    assert second.is_alive(), results  # waiting for the first login's row lock
    release.set()
    first.join(20)
    second.join(20)
    assert results == {"first": "ok", "second": "code_reused"}


def test_many_simultaneous_logins_with_one_code_let_in_exactly_one(app, account):
    code = pyotp.TOTP(account["secret"]).now()
    barrier = threading.Barrier(4)
    statuses: list[int] = []
    lock = threading.Lock()

    def attempt() -> None:
        client = app.test_client()
        barrier.wait(20)
        status = post_login(client, account, code).status_code
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(statuses) == [302, 422, 422, 422]

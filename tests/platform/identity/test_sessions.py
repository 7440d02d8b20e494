"""Ending sessions on the server: a copy of the session cookie taken before logout,
deactivation or a role change is refused afterwards, for reading and for writing."""

from __future__ import annotations

import time

import pytest
from helpers import login
from sqlalchemy import text


@pytest.fixture
def alpha(make):
    return make.tenant("alpha", "Alfa Kommune")


def _copy(client, app):
    """A second browser holding a copy of `client`'s session cookie."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    return thief


def _count_processes(su_engine) -> int:
    with su_engine.connect() as conn:
        return conn.scalar(text("select count(*) from process"))


def _assert_refused(copy, su_engine) -> None:
    r = copy.get("/alpha/processer")
    assert r.status_code == 302 and r.headers["Location"].startswith("/alpha/login")
    before = _count_processes(su_engine)
    r = copy.post(
        "/alpha/processer/ny",
        data={"title": "Indsat bagefter", "summary": "Med en gammel cookie."},
    )
    assert r.status_code == 302 and r.headers["Location"].startswith("/alpha/login")
    assert _count_processes(su_engine) == before


def _assert_accepted(copy) -> None:
    assert copy.get("/alpha/processer").status_code == 200


def test_a_copied_cookie_is_refused_after_logout(demo_app, make, alpha, su_engine):
    user = make.user(alpha, "employee")
    client = demo_app.test_client()
    r = client.post("/alpha/dev-login", data={"user_id": str(user.id)})
    assert r.status_code == 302
    copy = _copy(client, demo_app)
    _assert_accepted(copy)  # the copy works while the session lives
    # It can write too, before logout.
    r = copy.post("/alpha/processer/ny", data={"title": "Før log-ud", "summary": "Virker."})
    assert r.status_code in (200, 302, 303) and _count_processes(su_engine) == 1
    assert client.post("/alpha/logout").status_code == 303
    _assert_refused(copy, su_engine)
    # Signing in again gives a new session; the old copy stays dead.
    client.post("/alpha/dev-login", data={"user_id": str(user.id)})
    _assert_accepted(client)
    _assert_refused(copy, su_engine)


def test_deactivation_ends_the_users_sessions_even_after_reactivation(
    client, app, make, alpha, su_engine
):
    user = make.user(alpha, "employee")
    admin_client = app.test_client()
    login(admin_client, make.user(alpha, "tenant_admin"))
    login(client, user)
    _assert_accepted(client)
    admin_client.post(f"/alpha/admin/brugere/{user.id}/aktiv", data={"active": "0"})
    _assert_refused(client, su_engine)
    admin_client.post(f"/alpha/admin/brugere/{user.id}/aktiv", data={"active": "1"})
    _assert_refused(client, su_engine)  # reactivated, but the old session stays ended


def test_a_role_change_by_the_administrator_ends_the_users_sessions(
    client, app, make, alpha, su_engine
):
    user = make.user(alpha, "employee")
    admin_client = app.test_client()
    login(admin_client, make.user(alpha, "tenant_admin"))
    login(client, user)
    _assert_accepted(client)
    # Saving the same roles changes nothing and ends nothing.
    admin_client.post(f"/alpha/admin/brugere/{user.id}/roller", data={"roles": ["employee"]})
    _assert_accepted(client)
    admin_client.post(
        f"/alpha/admin/brugere/{user.id}/roller", data={"roles": ["employee", "automation"]}
    )
    _assert_refused(client, su_engine)


@pytest.mark.parametrize(
    "command",
    [
        ("users", "set-roles", "alpha", "erik@alpha.dk", "--role", "manager"),
        ("users", "deactivate", "alpha", "erik@alpha.dk"),
    ],
)
def test_a_change_on_the_command_line_ends_the_users_sessions(
    client, database, make, alpha, su_engine, command
):
    from click.testing import CliRunner
    from helpers import app_env

    from autoproces.platform.cli import main

    user = make.user(alpha, "employee", email="erik@alpha.dk")
    login(client, user)
    _assert_accepted(client)
    result = CliRunner().invoke(main, list(command), env=app_env(database))
    assert result.exit_code == 0, result.output
    _assert_refused(client, su_engine)


def test_a_role_change_by_the_providers_mapping_ends_other_sessions(
    client, app, make, alpha, su_engine
):
    from autoproces.platform.db import db
    from autoproces.platform.identity.services import get_idp, save_idp, sso_user
    from autoproces.platform.tenancy import activate_tenant, tenant_by_slug

    def sign_in(roles: list[str]):
        with app.app_context():
            tenant = tenant_by_slug("alpha")
            activate_tenant(tenant)
            if get_idp(tenant) is None:
                save_idp(
                    tenant,
                    issuer="https://login.alpha.dk",
                    client_id="autoproces",
                    client_secret="s3cret",
                    role_mapping={"rpa": "automation", "staff": "employee"},
                )
            user = sso_user(tenant, get_idp(tenant), {"sub": "u1", "email": "a@alpha.dk", **roles})
            db.session.commit()
            return user.get_id(), user

    session_id, _user = sign_in({"roles": ["staff"]})
    with client.session_transaction() as sess:
        sess["_user_id"] = session_id
        sess["signed_in_at"] = int(time.time())
    _assert_accepted(client)
    sign_in({"roles": ["staff"]})  # the same roles: nothing ends
    _assert_accepted(client)
    sign_in({"roles": ["rpa"]})  # a login elsewhere brings new roles
    _assert_refused(client, su_engine)


def test_a_session_from_before_epochs_or_with_a_forged_epoch_is_refused(client, make, alpha):
    user = make.user(alpha, "employee")
    for forged in (f"{user.tenant_id}:{user.id}", f"{user.tenant_id}:{user.id}:7", "x:y:z"):
        with client.session_transaction() as sess:
            sess["_user_id"] = forged
        assert client.get("/alpha/processer").status_code == 302, forged
    login(client, user)  # tests' helper: user.get_id() carries the epoch
    assert client.get("/alpha/processer").status_code == 200


def test_a_service_account_never_holds_a_session(client, app, make, alpha):
    from autoproces.platform.db import db
    from autoproces.platform.identity.services import create_service_account
    from autoproces.platform.tenancy import activate_tenant, tenant_by_slug

    with app.app_context():
        tenant = tenant_by_slug("alpha")
        activate_tenant(tenant)
        account = create_service_account(tenant, "ESDH", ["employee"], "test")
        db.session.commit()
        session_id = account.get_id()
    with client.session_transaction() as sess:
        sess["_user_id"] = session_id
        sess["signed_in_at"] = int(time.time())
    assert client.get("/alpha/processer").status_code == 302


def test_the_development_login_refuses_a_service_account(demo_app, app, make, alpha):
    from autoproces.platform.db import db
    from autoproces.platform.identity.services import create_service_account
    from autoproces.platform.tenancy import activate_tenant, tenant_by_slug

    with app.app_context():
        tenant = tenant_by_slug("alpha")
        activate_tenant(tenant)
        account_id = create_service_account(tenant, "ESDH", ["employee"], "test").id
        db.session.commit()
    client = demo_app.test_client()
    assert "ESDH" not in client.get("/alpha/login").get_data(as_text=True)
    assert client.post("/alpha/dev-login", data={"user_id": str(account_id)}).status_code == 400


# --- the operator's console -------------------------------------------------------------


def test_a_copied_operator_cookie_is_refused_after_logout(demo_app, app):
    from autoproces.platform.db import db
    from autoproces.platform.demo import _seed_demo_operator

    with demo_app.app_context():
        _seed_demo_operator()
        db.session.commit()
    client = demo_app.test_client()
    assert client.post("/operator/dev-login").status_code == 302
    copy, copy_for_post = _copy(client, demo_app), _copy(client, demo_app)
    assert copy.get("/operator/").status_code == 200
    assert client.post("/operator/logout").status_code == 303
    r = copy.get("/operator/")
    assert r.status_code == 302 and r.headers["Location"].startswith("/operator/login")
    r = copy_for_post.post("/operator/kommuner/ny", data={"slug": "ny", "name": "Ny Kommune"})
    assert r.status_code == 302 and r.headers["Location"].startswith("/operator/login")
    with demo_app.app_context():
        from autoproces.platform.tenancy import tenant_by_slug

        assert tenant_by_slug("ny") is None


@pytest.mark.parametrize(
    "stamp", [None, "yesterday", -12 * 3600 - 1, 3600], ids=["none", "text", "too-old", "future"]
)
def test_a_session_ends_hours_after_sign_in_however_active(client, make, alpha, stamp):
    """The idle timeout renews with every request; the absolute lifetime (12 hours) does not,
    so a copied cookie used every few minutes still dies. A missing or odd stamp counts as old."""
    user = make.user(alpha, "employee")
    login(client, user)
    assert client.get("/alpha/processer").status_code == 200
    with client.session_transaction() as sess:
        if stamp is None:
            del sess["signed_in_at"]
        else:
            sess["signed_in_at"] = stamp if isinstance(stamp, str) else int(time.time()) + stamp
    assert client.get("/alpha/processer").status_code == 302


def test_a_session_within_its_lifetime_is_kept(client, make, alpha):
    user = make.user(alpha, "employee")
    login(client, user)
    with client.session_transaction() as sess:
        sess["signed_in_at"] = int(time.time()) - 12 * 3600 + 60
    assert client.get("/alpha/processer").status_code == 200

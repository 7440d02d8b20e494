"""Operators signing in through the platform's own OpenID provider (npm oidc-provider on
loopback): admitted only with the operator role claim, keyed by (issuer, subject)."""

from __future__ import annotations

import html as html_lib
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from helpers import app_env
from oidc_provider import OidcProvider, login_via_provider
from sqlalchemy import text

BASE = "http://localhost"  # the Flask test client's host
CLIENT = {
    "client_id": "autoproces-operator",
    "client_secret": "operator-secret",
    "redirect_uris": [f"{BASE}/operator/auth/callback"],
    "post_logout_redirect_uris": [f"{BASE}/operator/logget-ud"],
    "token_endpoint_auth_method": "client_secret_basic",
}


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    idp = OidcProvider(tmp_path_factory.mktemp("idp-operator"), [CLIENT]).start()
    yield idp
    idp.stop()


@pytest.fixture(scope="module")
def oidc_app(database, provider):
    from autoproces.platform.app import create_app

    return create_app(
        app_env(
            database,
            OPERATOR_OIDC_ISSUER=provider.issuer,
            OPERATOR_OIDC_CLIENT_ID=CLIENT["client_id"],
            OPERATOR_OIDC_CLIENT_SECRET=CLIENT["client_secret"],
        ),
        TESTING=True,
        WTF_CSRF_ENABLED=False,
        LOGIN_RATE_LIMIT="10000/minute",
    )


@pytest.fixture
def client(oidc_app, provider):
    provider.set_account(
        "olga", email="Olga@OS2.dk", name="Olga Operatør", roles=["operator", "andet"]
    )
    provider.set_account("kurt", email="kurt@os2.dk", name="Kurt Kommune", roles=["rpa-team"])
    provider.set_account("ingen", email="ingen@os2.dk", name="Uden Roller")
    return oidc_app.test_client()


def start_login(client, next_url: str | None = None) -> str:
    r = client.get("/operator/login" + (f"?next={next_url}" if next_url else ""))
    assert r.status_code == 302, r.get_data(as_text=True)
    return r.headers["Location"]


def operator_sso(client, login: str, next_url: str | None = None):
    callback = login_via_provider(start_login(client, next_url), login)
    assert callback.startswith(f"{BASE}/operator/auth/callback?")
    return client.get(callback[len(BASE) :]), callback[len(BASE) :]


def operators(su_engine):
    with su_engine.connect() as conn:
        return (
            conn.execute(text("select * from platform_operator order by created_at"))
            .mappings()
            .all()
        )


def audit(su_engine, action: str):
    with su_engine.connect() as conn:
        return (
            conn.execute(
                text("select * from operator_audit where action = :a order by id"), {"a": action}
            )
            .mappings()
            .all()
        )


def test_login_goes_to_the_platform_provider_with_pkce_and_the_role_scope(client, provider):
    location = start_login(client)
    assert location.startswith(provider.issuer)
    query = parse_qs(urlsplit(location).query)
    assert query["client_id"] == ["autoproces-operator"]
    assert query["redirect_uri"] == [f"{BASE}/operator/auth/callback"]
    assert query["code_challenge_method"] == ["S256"] and query["state"] and query["nonce"]
    assert "roles" in query["scope"][0].split()


def test_an_operator_with_the_role_claim_is_admitted_and_kept_by_issuer_and_subject(
    client, provider, su_engine
):
    r, _ = operator_sso(client, "olga", next_url="/operator/log")
    assert r.status_code == 302 and r.headers["Location"] == "/operator/log"
    html = client.get("/operator/").get_data(as_text=True)
    assert "Olga Operatør" in html and "Kommuner" in html
    with client.session_transaction() as sess:
        assert sess["operator_id"] and sess.permanent and "_user_id" not in sess
    [row] = operators(su_engine)
    assert (row["issuer"], row["subject"], row["email"], row["name"]) == (
        provider.issuer,
        "olga",
        "olga@os2.dk",
        "Olga Operatør",
    )
    assert row["password_hash"] is None and row["totp_secret_encrypted"] is None
    [entry] = audit(su_engine, "login")
    assert entry["operator_id"] == row["id"] and entry["details"] == {"method": "oidc"}

    # The next login finds the same operator and refreshes name and e-mail.
    client.post("/operator/logout")
    provider.set_account("olga", email="olga.n@os2.dk", name="Olga Nielsen", roles=["operator"])
    r, _ = operator_sso(client, "olga")
    assert r.status_code == 302 and r.headers["Location"] == "/operator/"
    [row] = operators(su_engine)
    assert (row["email"], row["name"]) == ("olga.n@os2.dk", "Olga Nielsen")


@pytest.mark.parametrize("login", ["kurt", "ingen"])
def test_without_the_role_claim_the_login_is_refused(client, su_engine, login):
    r, _ = operator_sso(client, login)
    html = r.get_data(as_text=True)
    assert r.status_code == 403
    assert "Du har ikke adgang" in html and "rollen som operatør" in html
    assert client.get("/operator/").status_code == 302
    assert operators(su_engine) == []
    [entry] = audit(su_engine, "login_failed")
    assert entry["operator_id"] is None and entry["operator_email"] == f"{login}@os2.dk"
    assert entry["details"] == {"method": "oidc", "reason": "missing_role"}


def test_a_deactivated_operator_is_refused_even_with_the_role(client, su_engine):
    r, _ = operator_sso(client, "olga")
    assert r.status_code == 302
    with su_engine.begin() as conn:
        conn.execute(text("update platform_operator set active = false"))
    assert client.get("/operator/").status_code == 302  # the open session ends
    r, _ = operator_sso(client, "olga")
    assert r.status_code == 403 and "deaktiveret" in r.get_data(as_text=True)


def test_no_local_password_login_while_the_provider_is_configured(client, su_engine):
    r = client.post(
        "/operator/login", data={"email": "olga@os2.dk", "password": "x" * 20, "code": "123456"}
    )
    assert r.status_code == 404
    assert operators(su_engine) == []


def test_replayed_and_forged_callbacks_are_rejected(client):
    r, callback = operator_sso(client, "olga")
    assert r.status_code == 302
    client.post("/operator/logout")
    r = client.get(callback)
    assert r.status_code == 400 and "Log-in kunne ikke gennemføres" in r.get_data(as_text=True)
    assert client.get("/operator/auth/callback?code=x&state=forged").status_code == 400
    assert client.get("/operator/").status_code == 302


def test_logout_ends_the_providers_session_too(client, provider, su_engine):
    operator_sso(client, "olga")
    r = client.post("/operator/logout")
    assert r.status_code == 303 and r.headers["Location"] == "/operator/log-ud-hos-udbyder"
    html = client.get("/operator/log-ud-hos-udbyder").get_data(as_text=True)
    match = re.search(r'<meta http-equiv="refresh" content="0; url=([^"]+)">', html)
    assert match and html_lib.unescape(match.group(1)).startswith(provider.issuer)
    query = parse_qs(urlsplit(html_lib.unescape(match.group(1))).query)
    assert query["post_logout_redirect_uri"] == [f"{BASE}/operator/logget-ud"]
    assert query["id_token_hint"]
    assert client.get("/operator/").status_code == 302
    assert len(audit(su_engine, "logout")) == 1


def test_the_operator_session_opens_no_tenant_page(client, app, su_engine):
    from autoproces.platform.db import db
    from autoproces.platform.tenancy import create_tenant

    with app.app_context():
        create_tenant("alpha", "Alfa Kommune")
        db.session.commit()
    operator_sso(client, "olga")
    r = client.get("/alpha/processer")
    assert r.status_code == 302 and r.headers["Location"].startswith("/alpha/login")
    assert client.get("/api/v1/processes").status_code == 401

"""Single sign-on against a real OpenID provider (npm oidc-provider on loopback):
two municipalities on two providers with different issuers and role claims."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from oidc_provider import OidcProvider, login_via_provider, logout_via_provider

BASE = "http://localhost"  # the Flask test client's host


def _client(slug: str) -> dict:
    return {
        "client_id": f"autoproces-{slug}",
        "client_secret": f"secret-{slug}",
        "redirect_uris": [f"{BASE}/{slug}/auth/callback"],
        "post_logout_redirect_uris": [f"{BASE}/{slug}/logget-ud"],
        "token_endpoint_auth_method": "client_secret_basic",
    }


@pytest.fixture(scope="module")
def providers(tmp_path_factory):
    alpha = OidcProvider(tmp_path_factory.mktemp("idp-alpha"), [_client("alpha")]).start()
    beta = OidcProvider(tmp_path_factory.mktemp("idp-beta"), [_client("beta")]).start()
    yield {"alpha": alpha, "beta": beta}
    alpha.stop()
    beta.stop()


@pytest.fixture
def municipalities(app, make, providers):
    """Alfa signs in with `roles`, Beta with `groups`, each mapped its own way."""
    from autoproces.platform.db import db
    from autoproces.platform.identity.services import save_idp
    from autoproces.platform.tenancy import activate_tenant, tenant_by_slug

    make.tenant("alpha", "Alfa Kommune")
    make.tenant("beta", "Beta Kommune")
    with app.app_context():
        activate_tenant(tenant_by_slug("alpha"))
        save_idp(
            tenant_by_slug("alpha"),
            issuer=providers["alpha"].issuer,
            client_id="autoproces-alpha",
            client_secret="secret-alpha",
            scopes="openid profile email roles",
            role_claim="roles",
            role_mapping={"rpa-team": "automation", "ledelse": "manager"},
            default_role="employee",
            allowed_domains=["alpha.dk"],
        )
        db.session.commit()
        activate_tenant(tenant_by_slug("beta"))
        save_idp(
            tenant_by_slug("beta"),
            issuer=providers["beta"].issuer,
            client_id="autoproces-beta",
            client_secret="secret-beta",
            scopes="openid profile email groups",
            role_claim="groups",
            role_mapping={"GG-Digitalisering": "automation", "GG-IT": "tenant_admin"},
            default_role=None,
        )
        db.session.commit()
    providers["alpha"].set_account("ada", email="ada@alpha.dk", name="Ada Alfa", roles=["rpa-team"])
    providers["alpha"].set_account("eve", email="eve@evil.dk", name="Eve")
    providers["beta"].set_account(
        "bo", email="bo@beta.dk", name="Bo Beta", groups=["GG-IT", "GG-Andet"]
    )
    providers["beta"].set_account("nobody", email="nobody@beta.dk", name="Uden Gruppe")
    return providers


def start_login(client, slug: str, next_url: str | None = None) -> str:
    r = client.get(f"/{slug}/login" + (f"?next={next_url}" if next_url else ""))
    assert r.status_code == 302, r.get_data(as_text=True)
    return r.headers["Location"]


def sso_login(client, slug: str, login: str, next_url: str | None = None):
    callback = login_via_provider(start_login(client, slug, next_url), login)
    assert callback.startswith(f"{BASE}/{slug}/auth/callback?")
    return client.get(callback[len(BASE) :]), callback[len(BASE) :]


def test_login_redirect_uses_pkce_state_and_nonce(client, municipalities):
    location = start_login(client, "alpha")
    assert location.startswith(municipalities["alpha"].issuer)
    query = parse_qs(urlsplit(location).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"]
    assert query["state"] and query["nonce"] and query["client_id"] == ["autoproces-alpha"]
    assert query["redirect_uri"] == [f"{BASE}/alpha/auth/callback"]


def test_a_forged_host_header_never_reaches_the_provider(client, municipalities):
    r = client.get("/alpha/login", headers={"Host": "evil.example"})
    assert r.status_code == 302
    query = parse_qs(urlsplit(r.headers["Location"]).query)
    assert query["redirect_uri"] == [f"{BASE}/alpha/auth/callback"]  # AUTOPROCES_BASE_URL


def test_first_login_creates_the_user_with_mapped_roles_and_lands_where_asked(
    client, municipalities, su_engine
):
    from sqlalchemy import text

    r, _ = sso_login(client, "alpha", "ada", next_url="/alpha/processer/ny")
    assert r.status_code == 302 and r.headers["Location"] == "/alpha/processer/ny"
    html = client.get("/alpha/processer/ny").get_data(as_text=True)
    assert "Ada Alfa" in html and "Automatiseringskonsulent" in html
    with su_engine.connect() as conn:
        row = conn.execute(
            text("select email, name, roles, issuer, subject, roles_source from app_user")
        ).one()
    assert row == (
        "ada@alpha.dk",
        "Ada Alfa",
        ["automation"],
        municipalities["alpha"].issuer,
        "ada",
        "mapping",
    )


def test_role_mapping_changes_at_the_next_login(client, municipalities, su_engine):
    from sqlalchemy import text

    sso_login(client, "alpha", "ada")
    municipalities["alpha"].set_account(
        "ada", email="ada@alpha.dk", name="Ada Lovelace", roles=["ledelse"]
    )
    client.post("/alpha/logout")
    sso_login(client, "alpha", "ada")
    with su_engine.connect() as conn:
        assert conn.execute(text("select name, roles from app_user")).one() == (
            "Ada Lovelace",
            ["manager"],
        )
        assert conn.scalar(text("select count(*) from app_user")) == 1


def test_second_municipality_uses_its_own_provider_and_claim(client, municipalities):
    r, _ = sso_login(client, "beta", "bo")
    assert r.status_code == 302
    assert client.get("/beta/admin/brugere").status_code == 200  # GG-IT -> tenant_admin
    # Beta refuses users the mapping does not match (no default role).
    client.post("/beta/logout")
    r, _ = sso_login(client, "beta", "nobody")
    assert r.status_code == 403 and "Du har ikke adgang" in r.get_data(as_text=True)


def test_a_session_opens_nothing_in_another_municipality(client, municipalities):
    sso_login(client, "alpha", "ada")
    assert client.get("/alpha/processer").status_code == 200
    r = client.get("/beta/processer")
    assert r.status_code == 302 and r.headers["Location"].startswith("/beta/login")
    # Beta's login goes to Beta's provider, not Alfa's.
    assert start_login(client, "beta").startswith(municipalities["beta"].issuer)


def test_replayed_callback_is_rejected(client, municipalities):
    r, callback = sso_login(client, "alpha", "ada")
    assert r.status_code == 302
    client.post("/alpha/logout")
    r = client.get(callback)
    assert r.status_code == 400 and "Log-in kunne ikke gennemføres" in r.get_data(as_text=True)
    assert client.get("/alpha/processer").status_code == 302


def test_forged_and_refused_callbacks_are_rejected(client, municipalities):
    assert client.get("/alpha/auth/callback?code=abc&state=forged").status_code == 400
    assert client.get("/alpha/auth/callback").status_code == 400
    location = start_login(client, "alpha")
    state = parse_qs(urlsplit(location).query)["state"][0]
    r = client.get(f"/alpha/auth/callback?error=access_denied&state={state}")
    assert r.status_code == 400
    # A code for Alfa's state presented at Beta's callback.
    callback = login_via_provider(start_login(client, "alpha"), "ada")
    r = client.get(callback[len(BASE) :].replace("/alpha/", "/beta/"))
    assert r.status_code == 400


def test_user_outside_the_allowed_domains_is_refused(client, municipalities):
    r, _ = sso_login(client, "alpha", "eve")
    assert r.status_code == 403
    assert "evil.dk" in r.get_data(as_text=True)
    assert client.get("/alpha/processer").status_code == 302


def test_provider_down_gives_a_danish_503(client, municipalities, tmp_path):
    from autoproces.platform.identity import oidc

    down = OidcProvider(tmp_path, [_client("alpha")]).start()
    issuer = down.issuer
    down.stop()
    from autoproces.platform.db import db
    from autoproces.platform.identity.services import save_idp
    from autoproces.platform.tenancy import activate_tenant, tenant_by_slug

    with client.application.app_context():
        t = tenant_by_slug("alpha")
        activate_tenant(t)
        save_idp(t, issuer=issuer, client_id="autoproces-alpha", client_secret=None)
        db.session.commit()
    oidc._cache.clear()
    r = client.get("/alpha/login")
    assert r.status_code == 503
    assert "Log-in er ikke tilgængelig lige nu" in r.get_data(as_text=True)


def test_provider_down_between_login_and_callback(client, app, make, tmp_path):
    from autoproces.platform.db import db
    from autoproces.platform.identity import oidc
    from autoproces.platform.identity.services import save_idp
    from autoproces.platform.tenancy import activate_tenant, tenant_by_slug

    gamma = OidcProvider(tmp_path, [_client("gamma")]).start()
    try:
        make.tenant("gamma", "Gamma Kommune")
        with app.app_context():
            activate_tenant(tenant_by_slug("gamma"))
            save_idp(
                tenant_by_slug("gamma"),
                issuer=gamma.issuer,
                client_id="autoproces-gamma",
                client_secret="secret-gamma",
            )
            db.session.commit()
        gamma.set_account("gus", email="gus@gamma.dk")
        callback = login_via_provider(start_login(client, "gamma"), "gus")
    finally:
        gamma.stop()
    oidc._cache.clear()
    r = client.get(callback[len(BASE) :])
    assert r.status_code == 503
    assert "Log-in er ikke tilgængelig lige nu" in r.get_data(as_text=True)


def test_logout_ends_the_providers_session_too(client, municipalities):
    session = requests.Session()
    callback = login_via_provider(start_login(client, "alpha"), "ada", session=session)
    client.get(callback[len(BASE) :])
    r = client.post("/alpha/logout")
    # Never the provider's address as the answer to the form's POST (CSP form-action
    # 'self' covers redirects after it): a 303 to our own page, which navigates on.
    assert r.status_code == 303 and r.headers["Location"] == "/alpha/log-ud-hos-udbyder"
    hop = client.get("/alpha/log-ud-hos-udbyder")
    assert hop.status_code == 200
    end_session = _meta_refresh_target(hop.get_data(as_text=True))
    assert end_session.startswith(municipalities["alpha"].issuer)
    # The hop is used once: a second visit goes to our own logged-out page.
    assert client.get("/alpha/log-ud-hos-udbyder").headers["Location"] == "/alpha/logget-ud"
    query = parse_qs(urlsplit(end_session).query)
    assert query["post_logout_redirect_uri"] == [f"{BASE}/alpha/logget-ud"]
    assert query["id_token_hint"]
    assert client.get("/alpha/processer").status_code == 302  # local session gone
    back = logout_via_provider(end_session, session)
    assert back is not None and back.startswith(f"{BASE}/alpha/logget-ud")
    assert "Du er logget ud" in client.get(back[len(BASE) :]).get_data(as_text=True)
    # The provider forgot the login: the next login shows its login form again.
    r = session.get(start_login(client, "alpha"), allow_redirects=True)
    assert 'name="login"' in r.text


def _meta_refresh_target(html: str) -> str:
    import html as html_lib
    import re

    match = re.search(r'<meta http-equiv="refresh" content="0; url=([^"]+)">', html)
    assert match, "no meta refresh on the hop page"
    target = html_lib.unescape(match.group(1))
    assert f'href="{match.group(1)}"' in html  # and a link, for whoever stops refreshes
    return target


def test_tenant_without_a_provider_says_whom_to_contact(client, make):
    make.tenant("gamma", "Gamma Kommune")
    r = client.get("/gamma/login")
    assert r.status_code == 503
    html = r.get_data(as_text=True)
    assert "Log-in er ikke sat op" in html and "IT-afdeling" in html


def test_test_connection_reads_the_discovery_document(client, make, municipalities):
    from helpers import login

    from autoproces.platform.tenancy import tenant_by_slug

    with client.application.app_context():
        tenant = tenant_by_slug("alpha")
    admin = make.user(tenant, "tenant_admin")
    login(client, admin)
    r = client.post("/alpha/admin/log-in", data={"action": "test"})
    html = r.get_data(as_text=True)
    assert "Forbindelsen virker" in html and "PKCE (S256): ja" in html
    assert municipalities["alpha"].issuer in html


# --- ID token checks, without a provider ---------------------------------------------------


@pytest.fixture
def signer():
    from joserfc import jwt
    from joserfc.jwk import RSAKey

    from autoproces.platform.identity import oidc

    key = RSAKey.generate_key(2048, parameters={"kid": "k1", "alg": "RS256", "use": "sig"})
    doc = {"issuer": "https://idp.example", "jwks_uri": "https://idp.example/jwks"}
    oidc._cache[doc["jwks_uri"]] = (time.monotonic(), {"keys": [key.as_dict(private=False)]})
    client = oidc.OidcClient("https://idp.example", "ap", "s")

    def sign(**overrides):
        now = int(time.time())
        claims = {
            "iss": "https://idp.example",
            "aud": "ap",
            "sub": "u",
            "iat": now,
            "exp": now + 300,
            "nonce": "n1",
            **overrides,
        }
        claims = {k: v for k, v in claims.items() if v is not None}
        return jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key)

    yield sign, doc, client
    oidc._cache.pop(doc["jwks_uri"], None)


@pytest.mark.parametrize(
    "overrides",
    [
        {"nonce": "other"},
        {"nonce": None},
        {"iss": "https://evil.example"},
        {"aud": "other"},
        {"exp": 1000},
        {"sub": None},
    ],
)
def test_id_token_with_wrong_claims_is_rejected(signer, overrides):
    from autoproces.platform.identity import oidc

    sign, doc, client = signer
    assert oidc.verify_id_token(sign(), doc, client, "n1")["sub"] == "u"
    with pytest.raises(oidc.CallbackRejected):
        oidc.verify_id_token(sign(**overrides), doc, client, "n1")


def test_id_token_signed_by_another_key_is_rejected(signer):
    from joserfc import jwt
    from joserfc.jwk import RSAKey

    from autoproces.platform.identity import oidc

    _sign, doc, client = signer
    other = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    now = int(time.time())
    forged = jwt.encode(
        {"alg": "RS256", "kid": "k1"},
        {
            "iss": "https://idp.example",
            "aud": "ap",
            "sub": "u",
            "iat": now,
            "exp": now + 60,
            "nonce": "n1",
        },
        other,
    )
    with pytest.raises((oidc.CallbackRejected, oidc.ProviderUnavailable)):
        oidc.verify_id_token(forged, doc, client, "n1")

"""The OIDC test provider (tests/oidc_provider.py) on its own, driven with authlib: no
database and no app."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.jwk import KeySet
from oidc_provider import OidcProvider, login_via_provider, logout_via_provider

CLIENT_ID = "alpha"
CLIENT_SECRET = "alpha-secret"
# The Flask test client's host and a live server's, both plain http on loopback.
REDIRECT_URIS = [
    "http://localhost/alpha/auth/callback",
    "http://127.0.0.1:5123/alpha/auth/callback",
]
POST_LOGOUT_URI = "http://localhost/alpha/"
SCOPE = "openid email profile roles"


@pytest.fixture(scope="module")
def idp(tmp_path_factory: pytest.TempPathFactory):
    client = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uris": REDIRECT_URIS,
        "post_logout_redirect_uris": [POST_LOGOUT_URI],
        "token_endpoint_auth_method": "client_secret_basic",
    }
    with OidcProvider(tmp_path_factory.mktemp("oidc"), [client]) as provider:
        provider.set_account(
            "ada", email="ada@alpha.dk", email_verified=True, name="Ada Alfa", roles=["rpa-team"]
        )
        yield provider


@pytest.fixture(scope="module")
def discovery(idp: OidcProvider) -> dict:
    resp = requests.get(f"{idp.issuer}/.well-known/openid-configuration", timeout=10)
    resp.raise_for_status()
    return resp.json()


def _code_flow(
    discovery: dict,
    login: str,
    redirect_uri: str = REDIRECT_URIS[0],
    nonce: str | None = None,
    session: requests.Session | None = None,
) -> tuple[OAuth2Session, dict]:
    client = OAuth2Session(
        CLIENT_ID,
        CLIENT_SECRET,
        scope=SCOPE,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
    )
    verifier = generate_token(48)
    extra = {"nonce": nonce} if nonce else {}
    url, state = client.create_authorization_url(
        discovery["authorization_endpoint"], code_verifier=verifier, **extra
    )
    assert "code_challenge=" in url and "code_challenge_method=S256" in url
    callback = login_via_provider(url, login, session=session)
    assert callback.startswith(f"{redirect_uri}?")
    params = parse_qs(urlsplit(callback).query)
    assert params["state"] == [state] and "code" in params
    token = client.fetch_token(
        discovery["token_endpoint"],
        authorization_response=callback,
        state=state,
        code_verifier=verifier,
    )
    return client, token


@pytest.mark.parametrize("redirect_uri", REDIRECT_URIS)
def test_code_flow_with_pkce_and_userinfo(discovery, redirect_uri):
    client, token = _code_flow(discovery, "ada", redirect_uri=redirect_uri)
    assert token["token_type"].lower() == "bearer" and "id_token" in token
    resp = client.get(discovery["userinfo_endpoint"], timeout=10)
    resp.raise_for_status()
    assert resp.json() == {
        "sub": "ada",
        "email": "ada@alpha.dk",
        "email_verified": True,
        "name": "Ada Alfa",
        "roles": ["rpa-team"],
    }


def test_id_token_has_issuer_and_nonce(idp, discovery):
    nonce = generate_token(20)
    _, token = _code_flow(discovery, "ada", nonce=nonce)
    keys = KeySet.import_key_set(requests.get(discovery["jwks_uri"], timeout=10).json())
    claims = jwt.decode(token["id_token"], keys).claims
    assert claims["iss"] == idp.issuer
    assert claims["aud"] == CLIENT_ID
    assert claims["sub"] == "ada"
    assert claims["nonce"] == nonce
    assert "email" not in claims  # profile claims come from the userinfo endpoint


def test_authorization_without_pkce_is_refused(discovery):
    client = OAuth2Session(CLIENT_ID, CLIENT_SECRET, scope=SCOPE, redirect_uri=REDIRECT_URIS[0])
    url, state = client.create_authorization_url(discovery["authorization_endpoint"])
    assert "code_challenge" not in url
    callback = login_via_provider(url, "ada")
    params = parse_qs(urlsplit(callback).query)
    assert "code" not in params
    assert params["error"] == ["invalid_request"]
    assert "PKCE" in params["error_description"][0]
    assert params["state"] == [state]


def test_unregistered_redirect_uri_is_refused(discovery):
    client = OAuth2Session(
        CLIENT_ID,
        CLIENT_SECRET,
        scope=SCOPE,
        redirect_uri="http://localhost/beta/auth/callback",
        code_challenge_method="S256",
    )
    url, _ = client.create_authorization_url(
        discovery["authorization_endpoint"], code_verifier=generate_token(48)
    )
    with pytest.raises(RuntimeError, match="redirect_uri"):
        login_via_provider(url, "ada")


def test_changed_claims_are_seen_at_next_login(idp, discovery):
    idp.set_account("bob", email="bob@alpha.dk", roles=["viewer"])
    client, _ = _code_flow(discovery, "bob")
    assert client.get(discovery["userinfo_endpoint"], timeout=10).json()["roles"] == ["viewer"]

    idp.set_account("bob", email="bob@alpha.dk", roles=["rpa-team", "admin"])
    client, _ = _code_flow(discovery, "bob")
    info = client.get(discovery["userinfo_endpoint"], timeout=10).json()
    assert info["roles"] == ["rpa-team", "admin"]


def test_login_without_account_has_only_sub(discovery):
    client, _ = _code_flow(discovery, "nobody")
    assert client.get(discovery["userinfo_endpoint"], timeout=10).json() == {"sub": "nobody"}


def test_discovery_has_end_session_endpoint(idp, discovery):
    assert discovery["issuer"] == idp.issuer
    assert discovery["end_session_endpoint"] == f"{idp.issuer}/session/end"
    assert discovery["code_challenge_methods_supported"] == ["S256"]


def test_sso_session_and_rp_initiated_logout(discovery):
    browser = requests.Session()
    _, token = _code_flow(discovery, "ada", session=browser)
    # The provider's session is kept: the second login shows no form and is still ada.
    client, _ = _code_flow(discovery, "someone-else", session=browser)
    assert client.get(discovery["userinfo_endpoint"], timeout=10).json()["sub"] == "ada"

    end_session = requests.Request(
        "GET",
        discovery["end_session_endpoint"],
        params={"id_token_hint": token["id_token"], "post_logout_redirect_uri": POST_LOGOUT_URI},
    ).prepare()
    assert logout_via_provider(end_session.url, browser) == POST_LOGOUT_URI
    assert not any(cookie.name == "_session" for cookie in browser.cookies)

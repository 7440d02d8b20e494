"""OpenID Connect, the relying party side (authlib for OAuth 2.0, joserfc for the ID token).

Authorization code flow with PKCE S256, state and nonce. Used for the
municipalities' own providers and for the platform's operator provider alike.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from flask import session
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

HTTP_TIMEOUT = 5
CACHE_SECONDS = 300
PENDING_SECONDS = 600  # how long a login may take at the provider
MAX_PENDING = 5  # logins started in several tabs at once


class ProviderUnavailable(Exception):
    """The provider cannot be reached or answers nonsense (shown as 503).

    `reason` says what went wrong, for messages to people: unreachable, timeout,
    http_status (`detail` the status code), not_json, wrong_issuer (`detail` the issuer the
    document names), missing (`detail` the key it lacks).
    """

    def __init__(self, message: str, reason: str = "", detail: str = "") -> None:
        super().__init__(message)
        self.reason = reason
        self.detail = detail


class CallbackRejected(Exception):
    """A callback we did not ask for, a replayed one, or one the provider refused (400)."""


@dataclass(frozen=True)
class OidcClient:
    issuer: str
    client_id: str
    client_secret: str | None
    scopes: str = "openid profile email"


_cache: dict[str, tuple[float, Any]] = {}


def _get_json(url: str, use_cache: bool = True) -> Any:
    now = time.monotonic()
    hit = _cache.get(url)
    if use_cache and hit and now - hit[0] < CACHE_SECONDS:
        return hit[1]
    try:
        response = requests.get(url, timeout=HTTP_TIMEOUT, headers={"Accept": "application/json"})
        response.raise_for_status()
        data = response.json()
    except requests.Timeout as e:
        raise ProviderUnavailable(f"{url}: {e.__class__.__name__}", "timeout") from e
    except requests.HTTPError as e:
        status = str(e.response.status_code) if e.response is not None else ""
        raise ProviderUnavailable(f"{url}: HTTP {status}", "http_status", status) from e
    except ValueError as e:  # requests' JSONDecodeError is a RequestException too
        raise ProviderUnavailable(f"{url}: {e.__class__.__name__}", "not_json") from e
    except requests.RequestException as e:
        raise ProviderUnavailable(f"{url}: {e.__class__.__name__}", "unreachable") from e
    _cache[url] = (now, data)
    return data


def discover(issuer: str, use_cache: bool = True) -> dict[str, Any]:
    """The provider's discovery document, checked to be about `issuer`."""
    doc = _get_json(issuer.rstrip("/") + "/.well-known/openid-configuration", use_cache)
    if not isinstance(doc, dict):
        raise ProviderUnavailable("the discovery document is not a JSON object", "not_json")
    if doc.get("issuer") != issuer:
        raise ProviderUnavailable(
            f"the discovery document does not name the issuer {issuer}",
            "wrong_issuer",
            str(doc.get("issuer") or ""),
        )
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not doc.get(key):
            raise ProviderUnavailable(f"the discovery document lacks {key}", "missing", key)
    return doc


def _session(client: OidcClient, redirect_uri: str) -> OAuth2Session:
    return OAuth2Session(
        client_id=client.client_id,
        client_secret=client.client_secret,
        scope=client.scopes,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
    )


def begin(client: OidcClient, redirect_uri: str, key: str, context: dict[str, Any]) -> str:
    """Start a login: remember state, nonce and verifier in the session; return where to go."""
    doc = discover(client.issuer)
    state, nonce, verifier = (secrets.token_urlsafe(32) for _ in range(3))
    pending = {
        k: v
        for k, v in session.get(key, {}).items()
        if time.time() - v.get("t", 0) < PENDING_SECONDS
    }
    pending[state] = {"nonce": nonce, "verifier": verifier, "t": time.time(), **context}
    session[key] = dict(sorted(pending.items(), key=lambda kv: kv[1]["t"])[-MAX_PENDING:])
    url, _state = _session(client, redirect_uri).create_authorization_url(
        doc["authorization_endpoint"], state=state, nonce=nonce, code_verifier=verifier
    )
    return url


def complete(
    client: OidcClient, redirect_uri: str, key: str, args: dict[str, str]
) -> tuple[dict[str, Any], str, dict[str, Any]]:
    """Finish a login from the callback's query. Returns (claims, id_token, context).

    The state is used up here, so a replayed callback is rejected.
    """
    pending_all = dict(session.get(key, {}))
    pending = pending_all.pop(args.get("state", ""), None)
    session[key] = pending_all
    if pending is None or time.time() - pending.get("t", 0) > PENDING_SECONDS:
        raise CallbackRejected("unknown or used state")
    if args.get("error"):
        raise CallbackRejected(f"the provider answered {args['error']}")
    if not args.get("code"):
        raise CallbackRejected("no code")
    doc = discover(client.issuer)
    try:
        token = _session(client, redirect_uri).fetch_token(
            doc["token_endpoint"],
            grant_type="authorization_code",
            code=args["code"],
            code_verifier=pending["verifier"],
        )
    except OAuthError as e:
        raise CallbackRejected(f"the token endpoint refused the code: {e.error}") from e
    except requests.RequestException as e:
        raise ProviderUnavailable(f"token endpoint: {e.__class__.__name__}") from e
    id_token = token.get("id_token")
    if not id_token:
        raise CallbackRejected("no ID token")
    claims = verify_id_token(id_token, doc, client, pending["nonce"])
    userinfo_endpoint = doc.get("userinfo_endpoint")
    if userinfo_endpoint and token.get("access_token"):
        # Conforming providers put profile, e-mail and role claims here, not in the ID token.
        try:
            response = requests.get(
                userinfo_endpoint,
                headers={"Authorization": f"Bearer {token['access_token']}"},
                timeout=HTTP_TIMEOUT,
            )
            response.raise_for_status()
            info = response.json()
        except (requests.RequestException, ValueError) as e:
            raise ProviderUnavailable(f"userinfo: {e.__class__.__name__}") from e
        if info.get("sub") != claims["sub"]:
            raise CallbackRejected("userinfo is about another subject")
        claims = {**info, **claims}
    context = {k: v for k, v in pending.items() if k not in ("nonce", "verifier", "t")}
    return claims, id_token, context


def verify_id_token(
    id_token: str, doc: dict[str, Any], client: OidcClient, nonce: str
) -> dict[str, Any]:
    def decode(keys: Any) -> Any:
        return jwt.decode(id_token, KeySet.import_key_set(keys))

    try:
        try:
            token = decode(_get_json(doc["jwks_uri"]))
        except (JoseError, ValueError):
            token = decode(_get_json(doc["jwks_uri"], use_cache=False))  # keys rotated
        registry = jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": client.issuer},
            aud={"essential": True, "value": client.client_id},
            sub={"essential": True},
            exp={"essential": True},
            nonce={"essential": True, "value": nonce},
            leeway=60,
        )
        registry.validate(token.claims)
    except (JoseError, ValueError) as e:
        raise CallbackRejected(f"the ID token is not valid: {e.__class__.__name__}") from e
    return dict(token.claims)


def end_session_url(
    client: OidcClient, id_token: str | None, post_logout_redirect_uri: str
) -> str | None:
    """Where to send the browser to end the provider's session too, if it supports that."""
    try:
        endpoint = discover(client.issuer).get("end_session_endpoint")
    except ProviderUnavailable:
        return None
    if not endpoint:
        return None
    from urllib.parse import urlencode

    params = {"post_logout_redirect_uri": post_logout_redirect_uri, "client_id": client.client_id}
    if id_token:
        params["id_token_hint"] = id_token
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(params)}"


def leave_provider(
    client: OidcClient | None,
    id_token: str | None,
    session_key: str,
    hop_endpoint: str,
    logged_out_endpoint: str,
) -> Any:
    """The answer to a logout form's POST once the session here has ended: where the provider
    can end its session too, a 303 to our own hop page (`hop_endpoint`, which finds the
    provider's address under `session_key`), since the CSP's form-action 'self' also covers
    redirects after a POST; otherwise straight to the logged-out page."""
    from flask import redirect, session, url_for

    from ..urls import external_url

    target = None
    if client is not None:
        target = end_session_url(client, id_token, external_url(logged_out_endpoint))
    if target:
        session[session_key] = target
        return redirect(url_for(hop_endpoint), 303)
    return redirect(url_for(logged_out_endpoint), 303)

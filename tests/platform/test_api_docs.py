"""The API a developer meets (issue 8, C18): a valid OpenAPI document with a summary and
a description for every operation and `servers` set, browsable documentation at
/api/v1/docs, error messages by one rule, and no cookies from any API response."""

from __future__ import annotations

import re
import uuid

import pytest
from helpers import REPO_ROOT, bearer, login
from openapi_spec_validator import validate
from werkzeug import exceptions as wz

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture
def spec(client) -> dict:
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    return r.get_json()


def operations(spec: dict):
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def test_the_openapi_document_is_valid(spec):
    validate(spec)  # raises on the first error, with its path in the document


def test_every_operation_has_a_summary_and_a_description(spec):
    missing = [
        f"{method.upper()} {path}"
        for path, method, op in operations(spec)
        if not op.get("summary", "").strip() or not op.get("description", "").strip()
    ]
    assert missing == []
    summaries = [op["summary"] for _p, _m, op in operations(spec)]
    assert len(set(summaries)) == len(summaries)  # each says what its operation does
    assert len(summaries) >= 25


def test_servers_and_the_api_description_are_set(spec):
    assert spec["servers"] == [{"url": "/", "description": "This Autoproces server"}]
    assert "bearer token" in spec["info"]["description"]


def test_numeric_bounds_are_numbers(spec):
    """minutes_per_occurrence had its bounds as strings ("0.00"): no client could build a
    create or a PATCH from the document."""

    def walk(node, path=""):
        if isinstance(node, dict):
            for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
                if key in node and not isinstance(node[key], bool):
                    yield path + "/" + key, node[key]
            for key, value in node.items():
                yield from walk(value, f"{path}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                yield from walk(value, f"{path}/{i}")

    bounds = dict(walk(spec))
    assert bounds, "the document has bounds"
    assert {p: v for p, v in bounds.items() if not isinstance(v, int | float)} == {}
    minutes = spec["components"]["schemas"]["ProcessIn"]["properties"]["minutes_per_occurrence"]
    assert (minutes["minimum"], minutes["maximum"]) == (0, 100_000)


# --- the documentation page ------------------------------------------------------------------


def test_the_docs_page_is_served_by_the_app_without_inline_script(client):
    r = client.get("/api/v1/docs")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "script-src 'self'" in r.headers["Content-Security-Policy"]
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all('src="/static/' in attrs and not body.strip() for attrs, body in scripts)
    assert 'data-spec-url="/api/v1/openapi.json"' in html
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    assert len(assets) == 3
    for asset in assets:
        assert client.get(asset).status_code == 200, asset
    assert "Set-Cookie" not in r.headers


def test_swagger_ui_comes_from_npm_by_the_set_up():
    package = (REPO_ROOT / "package.json").read_text()
    assert '"swagger-ui-dist"' in package
    makefile = (REPO_ROOT / "Makefile").read_text()
    assert "swagger-ui-dist/swagger-ui-bundle.js" in makefile
    assert "cdn" not in (REPO_ROOT / "platform/templates/api/docs.html").read_text().lower()


# --- error messages by one rule --------------------------------------------------------------

WERKZEUG_DEFAULTS = {
    cls.description
    for cls in vars(wz).values()
    if isinstance(cls, type) and issubclass(cls, wz.HTTPException) and cls.description
}


@pytest.fixture
def alpha(make):
    tenant = make.tenant("alpha", "Alfa Kommune")
    user = make.user(tenant, "automation")
    return tenant, user, make.token(user)


def error_cases(client, token, process_id):
    auth = bearer(token)
    yield "unknown path", client.get("/api/v1/nothing-here", headers=auth)
    yield "wrong method", client.put("/api/v1/processes", headers=auth)
    yield "no token", client.get("/api/v1/processes")
    yield "bad token", client.get("/api/v1/processes", headers=bearer("ap_wrong"))
    yield "bad field", client.post("/api/v1/processes", json={"title": ""}, headers=auth)
    yield "bad query", client.get("/api/v1/processes?page=x", headers=auth)
    yield (
        "bad json",
        client.post("/api/v1/processes", data="{", content_type="application/json", headers=auth),
    )
    yield "no such process", client.get(f"/api/v1/processes/{uuid.uuid4()}", headers=auth)
    yield (
        "stale version",
        client.patch(f"/api/v1/processes/{process_id}", json={"version": 99}, headers=auth),
    )
    yield (
        "too big",
        client.post(
            "/api/v1/processes",
            data=b"x" * (26 * 1024 * 1024),
            content_type="application/json",
            headers=auth,
        ),
    )


def test_api_errors_carry_the_platforms_own_messages_in_one_language(client, make, alpha):
    _tenant, user, token = alpha
    process = make.process(user)
    seen = set()
    for what, r in error_cases(client, token, process.id):
        body = r.get_json()
        assert body is not None and set(body) >= {"code", "status", "message"}, what
        assert body["code"] == r.status_code >= 400, what
        message = body["message"]
        assert message and message not in WERKZEUG_DEFAULTS, (what, message)
        # Danish: the same language as the field messages (e.g. "Feltet skal udfyldes.").
        assert re.search(r"[æøåÆØÅ]|ikke|kan|skal|findes|kræver|\ber\b", message), (what, message)
        seen.add(r.status_code)
    assert seen >= {400, 401, 404, 405, 409, 413, 422}


def test_api_errors_follow_accept_language_english(client, make, alpha):
    _tenant, user, token = alpha
    r = client.get("/api/v1/nothing", headers={**bearer(token), "Accept-Language": "en"})
    assert r.status_code == 404
    assert r.get_json()["message"] not in WERKZEUG_DEFAULTS
    assert not re.search(r"[æøå]", r.get_json()["message"])
    r = client.post(
        "/api/v1/processes",
        json={"summary": "s"},
        headers={**bearer(token), "Accept-Language": "en"},
    )
    assert r.status_code == 422
    assert r.get_json()["errors"]["json"]["title"] == ["This field is required."]


# --- no cookies ------------------------------------------------------------------------------


def test_no_api_response_sets_a_cookie_even_with_a_session_present(client, make, alpha, spec):
    tenant, user, token = alpha
    process = make.process(user)
    login(client, user)
    assert client.get("/alpha/processer").status_code == 200  # a live session cookie
    client.set_cookie("autoproces_last_tenant", "beta")
    responses = list(error_cases(client, token, process.id))
    for path, method, _op in operations(spec):
        url = path.replace("{process_id}", str(process.id))
        url = re.sub(r"\{[a-z_]+\}", str(uuid.uuid4()), url)
        for headers in (bearer(token), {}):
            if method == "delete":
                continue  # deleting the process would leave the later calls nothing
            responses.append((f"{method} {url}", client.open(url, method=method, headers=headers)))
    responses.append(("docs", client.get("/api/v1/docs")))
    responses.append(("spec", client.get("/api/v1/openapi.json")))
    with_cookies = [(what, r.status_code) for what, r in responses if "Set-Cookie" in r.headers]
    assert with_cookies == []
    assert len(responses) > 50
    # The net is at the API only: pages still refresh the session.
    assert "Set-Cookie" in client.get("/alpha/processer").headers

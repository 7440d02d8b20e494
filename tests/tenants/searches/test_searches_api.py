"""/api/v1/saved-searches: the caller's own saved searches, their checks (422 naming the
field, the stored query's filters under "query"), 409 for a taken name or past the cap,
404 for another user's or another municipality's, and running one, paged."""

from __future__ import annotations

import json

import pytest
from helpers import bearer

BASE = "/api/v1/saved-searches"


@pytest.fixture
def tokens(make, world):
    return {
        "employee": make.token(world.employee),
        "team": make.token(world.team),
        "other": make.token(world.other),
        "stranger": make.token(world.stranger),
    }


def test_create_list_get_patch_delete(client, world, tokens):
    me = bearer(tokens["employee"])
    r = client.post(
        BASE, json={"name": "Fakturaer", "query": {"q": "faktura", "mine": False}}, headers=me
    )
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["name"] == "Fakturaer" and body["query"] == {"q": "faktura"}
    assert body["notify"] is False
    assert body["description"] == "Søgning: faktura"
    assert body["list_url"] == "http://localhost/alpha/processer?q=faktura"
    search_id = body["id"]
    assert [s["id"] for s in client.get(BASE, headers=me).get_json()] == [search_id]
    assert client.get(f"{BASE}/{search_id}", headers=me).get_json()["name"] == "Fakturaer"
    r = client.patch(
        f"{BASE}/{search_id}",
        json={"name": "Regninger", "notify": True, "query": {"phase": "operation"}},
        headers=me,
    )
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert (body["name"], body["notify"], body["query"]) == (
        "Regninger",
        True,
        {"phase": "operation"},
    )
    assert client.delete(f"{BASE}/{search_id}", headers=me).status_code == 204
    assert client.get(f"{BASE}/{search_id}", headers=me).status_code == 404
    assert client.get(BASE, headers=me).get_json() == []


def test_running_a_search_is_paged_like_the_process_list(client, make, world, tokens):
    make.process(world.team, title="Privat faktura", visibility="personal")
    for who, expected in (("employee", 2), ("team", 3)):
        headers = bearer(tokens[who])
        search_id = client.post(
            BASE, json={"name": "F", "query": {"q": "faktura", "sort": "title"}}, headers=headers
        ).get_json()["id"]
        r = client.get(f"{BASE}/{search_id}/processes?per_page=1&page=2", headers=headers)
        assert r.status_code == 200, r.get_json()
        body = r.get_json()
        assert (body["total"], body["page"], body["per_page"], len(body["items"])) == (
            expected,
            2,
            1,
            1,
        )
        everything = client.get(f"{BASE}/{search_id}/processes?per_page=100", headers=headers)
        titles = [p["title"] for p in everything.get_json()["items"]]
        assert titles == sorted(titles, key=str.lower)  # the search's own order
        assert "Lønrefusion" not in titles
    r = client.get(f"{BASE}/{search_id}/processes?per_page=1000", headers=headers)
    assert r.status_code == 422 and "per_page" in r.get_json()["errors"]["query"]


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({}, ["name"]),
        ({"name": ""}, ["name"]),
        ({"name": "x" * 10_000}, ["name"]),
        ({"name": 5}, ["name"]),
        ({"name": "ok", "query": "phase=idea"}, ["query"]),
        ({"name": "ok", "query": {"phase": "done"}}, ["query", "phase"]),
        ({"name": "ok", "query": {"colour": "red"}}, ["query", "colour"]),
        ({"name": "ok", "query": {"page": 2}}, ["query", "page"]),
        ({"name": "ok", "query": {"q": ["a"]}}, ["query", "q"]),
        ({"name": "ok", "query": {"domain": "nope"}}, ["query", "domain"]),
        ({"name": "ok", "notify": "maybe"}, ["notify"]),
        ({"name": "ok", "owner": "me"}, ["owner"]),
    ],
)
def test_bad_input_is_a_422_naming_the_field(client, world, tokens, body, path):
    r = client.post(BASE, json=body, headers=bearer(tokens["employee"]))
    assert r.status_code == 422, r.get_json()
    errors = r.get_json()["errors"]["json"]
    for key in path:
        assert key in errors, (errors, key)
        errors = errors[key]
    assert all(isinstance(m, str) and m for m in errors)


@pytest.mark.parametrize(
    "raw",
    [
        '{"name": "a\\u0000b"}',
        '{"name": "a\\ud800b"}',
        '{"name": "ok", "query": {"q": "\\ud800"}}',
        '{"name": "ok", "query": {"q": "\\u0000"}}',
        '{"name": "ok", "query": {"\\ud800": "1"}}',
    ],
)
def test_nul_and_lone_surrogates_are_refused(client, world, tokens, raw):
    r = client.post(
        BASE, data=raw, content_type="application/json", headers=bearer(tokens["employee"])
    )
    assert r.status_code == 422, r.get_json()
    assert r.get_json()["errors"]["json"]


def test_a_taken_name_and_the_cap_are_409(client, world, tokens, as_user):
    me = bearer(tokens["employee"])
    assert client.post(BASE, json={"name": "Drift"}, headers=me).status_code == 201
    r = client.post(BASE, json={"name": "DRIFT"}, headers=me)
    assert r.status_code == 409 and "name" in r.get_json()["errors"]["json"]
    other = client.post(BASE, json={"name": "Anden"}, headers=me).get_json()["id"]
    r = client.patch(f"{BASE}/{other}", json={"name": "drift"}, headers=me)
    assert r.status_code == 409
    from autoproces.tenants.searches.models import MAX_PER_USER

    for n in range(MAX_PER_USER - 2):
        assert client.post(BASE, json={"name": f"S{n}"}, headers=me).status_code == 201
    r = client.post(BASE, json={"name": "For mange"}, headers=me)
    assert r.status_code == 409 and str(MAX_PER_USER) in r.get_json()["message"]


def test_a_stored_query_the_register_no_longer_accepts_is_422_when_run(
    client, world, tokens, su_engine
):
    from sqlalchemy import text

    me = bearer(tokens["employee"])
    search_id = client.post(BASE, json={"name": "Gammel"}, headers=me).get_json()["id"]
    with su_engine.begin() as conn:
        conn.execute(
            text("update saved_search set query = :q"), {"q": json.dumps({"phase": "gone"})}
        )
    r = client.get(f"{BASE}/{search_id}/processes", headers=me)
    assert r.status_code == 422
    assert "phase" in r.get_json()["errors"]["json"]["query"]
    assert client.get(f"{BASE}/{search_id}", headers=me).status_code == 200


@pytest.mark.parametrize("who", ["other", "stranger"])
def test_another_users_or_municipalitys_search_is_404(client, world, tokens, su_engine, who):
    from sqlalchemy import text

    me = bearer(tokens["employee"])
    search_id = client.post(BASE, json={"name": "Min"}, headers=me).get_json()["id"]
    them = bearer(tokens[who])
    assert client.get(BASE, headers=them).get_json() == []
    assert client.get(f"{BASE}/{search_id}", headers=them).status_code == 404
    assert client.get(f"{BASE}/{search_id}/processes", headers=them).status_code == 404
    assert client.patch(f"{BASE}/{search_id}", json={"name": "x"}, headers=them).status_code == 404
    assert client.delete(f"{BASE}/{search_id}", headers=them).status_code == 404
    with su_engine.connect() as conn:
        assert conn.scalar(text("select name from saved_search")) == "Min"
    assert client.get(BASE).status_code == 401

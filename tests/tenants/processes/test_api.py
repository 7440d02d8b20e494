"""The REST API: tokens, /me, processes, and errors that name the field."""

from __future__ import annotations

import uuid

import pytest
from helpers import bearer


@pytest.fixture
def alpha(make):
    tenant = make.tenant("alpha", "Alfa Kommune", municipality_code="706")
    user = make.user(tenant, "automation", email="ada@alpha.dk", name="Ada Alfa")
    return tenant, user, make.token(user)


def test_me_returns_tenant_user_and_roles(client, alpha):
    tenant, user, token = alpha
    r = client.get("/api/v1/me", headers=bearer(token))
    assert r.status_code == 200
    body = r.get_json()
    assert body["name"] == "Ada Alfa"
    assert body["email"] == "ada@alpha.dk"
    assert body["roles"] == ["automation"]
    assert body["tenant"] == {
        "id": str(tenant.id),
        "slug": "alpha",
        "name": "Alfa Kommune",
        "municipality_code": "706",
    }


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer ap_wrong"},
        {"Authorization": "Bearer " + "x" * 300},
    ],
)
def test_missing_or_wrong_token_is_401_json(client, alpha, headers):
    r = client.get("/api/v1/me", headers=headers)
    assert r.status_code == 401
    assert r.is_json and r.get_json()["code"] == 401
    assert r.headers["WWW-Authenticate"].startswith("Bearer")


def test_revoked_token_is_refused(client, app, alpha):
    from autoproces.platform.db import db
    from autoproces.platform.identity.services import list_tokens, revoke_token
    from autoproces.platform.tenancy import activate_tenant, tenant_by_slug

    tenant, _user, token = alpha
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    with app.app_context():
        t = tenant_by_slug("alpha")
        activate_tenant(t)
        revoke_token(t, list_tokens(t)[0].id)
        db.session.commit()
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_token_is_stored_hashed(su_engine, alpha):
    from sqlalchemy import text

    _tenant, _user, token = alpha
    with su_engine.connect() as conn:
        stored = conn.execute(text("select token_hash, prefix from api_token")).one()
    assert token not in stored.token_hash and len(stored.token_hash) == 64
    assert token.startswith(stored.prefix)


def test_suspended_tenants_tokens_are_refused(client, app, alpha):
    from autoproces.platform.db import db
    from autoproces.platform.tenancy import TenantStatus, set_tenant_status

    _tenant, _user, token = alpha
    with app.app_context():
        set_tenant_status("alpha", TenantStatus.SUSPENDED)
        db.session.commit()
    r = client.get("/api/v1/processes", headers=bearer(token))
    assert r.status_code == 403 and r.is_json


def test_deactivated_users_token_is_refused(client, su_engine, alpha):
    from sqlalchemy import text

    _tenant, user, token = alpha
    with su_engine.begin() as conn:
        conn.execute(text("update app_user set active = false where id = :u"), {"u": user.id})
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_create_read_and_list_processes(client, alpha):
    _tenant, user, token = alpha
    domains = client.get("/api/v1/domains", headers=bearer(token)).get_json()
    assert [d["name"] for d in domains][:2] == ["Administration", "Beskæftigelse"]
    payload = {
        "domain_ids": [domains[0]["id"]],
        "title": "  Automatisk journalisering  ",
        "summary": "Indgående e-mails journaliseres automatisk.",
        "description": "I dag gøres det i hånden.",
        "phase": "preanalysis",
        "internal_notes": "Budget afklares i Q2.",
    }
    r = client.post("/api/v1/processes", json=payload, headers=bearer(token))
    assert r.status_code == 201, r.get_json()
    created = r.get_json()
    assert created["title"] == "Automatisk journalisering"  # trimmed
    assert created["phase"] == "preanalysis" and created["status"] == "not_assessed"
    assert created["visibility"] == "municipality"
    assert created["reporter"] == {"id": str(user.id), "name": user.name}
    assert created["version"] == 1
    r = client.get(f"/api/v1/processes/{created['id']}", headers=bearer(token))
    assert r.status_code == 200 and r.get_json()["internal_notes"] == "Budget afklares i Q2."
    r = client.get("/api/v1/processes", headers=bearer(token))
    body = r.get_json()
    assert body["total"] == 1 and body["items"][0]["id"] == created["id"]
    assert body["page"] == 1 and body["pages"] == 1


def test_list_filters_search_and_pagination(client, make, alpha):
    _tenant, user, token = alpha
    for i in range(7):
        make.process(user, title=f"Proces {i}", phase="idea" if i % 2 else "development")
    make.process(user, title="Fakturahåndtering 100%", summary="Kreditorbogholderi")
    h = bearer(token)
    assert client.get("/api/v1/processes?phase=development", headers=h).get_json()["total"] == 4
    assert client.get("/api/v1/processes?q=faktura", headers=h).get_json()["total"] == 1
    assert client.get("/api/v1/processes?q=100%25", headers=h).get_json()["total"] == 1
    assert client.get("/api/v1/processes?q=_", headers=h).get_json()["total"] == 0
    page = client.get("/api/v1/processes?per_page=3&page=3", headers=h).get_json()
    assert page["total"] == 8 and page["pages"] == 3 and len(page["items"]) == 2


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"summary": "s"}, "title"),
        ({"title": "   ", "summary": "s"}, "title"),
        ({"title": "t"}, "summary"),
        ({"title": "x" * 121, "summary": "s"}, "title"),
        ({"title": "t", "summary": "s" * 301}, "summary"),
        ({"title": "t", "summary": "s", "phase": "done"}, "phase"),
        ({"title": "t", "summary": "s", "status": 3}, "status"),
        ({"title": "t", "summary": "s", "visibility": "public"}, "visibility"),
        ({"title": "t", "summary": "s", "tenant_id": str(uuid.uuid4())}, "tenant_id"),
        ({"title": "t", "summary": "s", "reporter": "me"}, "reporter"),
        ({"title": ["t"], "summary": "s"}, "title"),
    ],
)
def test_invalid_fields_give_422_naming_the_field(client, alpha, payload, field):
    _tenant, _user, token = alpha
    r = client.post("/api/v1/processes", json=payload, headers=bearer(token))
    assert r.status_code == 422, r.get_data(as_text=True)
    body = r.get_json()
    assert body["code"] == 422
    assert field in body["errors"]["json"]


@pytest.mark.parametrize(
    "data",
    ['{"title": "t",', "[1, 2]", '"text"', "null", "\xff"],
)
def test_bad_json_is_400_or_422_never_500(client, alpha, data):
    _tenant, _user, token = alpha
    r = client.post(
        "/api/v1/processes",
        data=data,
        headers={**bearer(token), "Content-Type": "application/json"},
    )
    assert r.status_code in (400, 422)
    assert r.is_json and r.get_json()["code"] == r.status_code


def test_bad_query_parameters_are_422(client, alpha):
    _tenant, _user, token = alpha
    for query in ("page=0", "per_page=1000", "page=abc", "phase=nope"):
        r = client.get(f"/api/v1/processes?{query}", headers=bearer(token))
        assert r.status_code == 422, query
        assert query.split("=")[0] in r.get_json()["errors"]["query"]


def test_employee_cannot_set_team_fields(client, make):
    tenant = make.tenant("alpha")
    token = make.token(make.user(tenant, "employee"))
    r = client.post(
        "/api/v1/processes",
        json={"title": "t", "summary": "s", "phase": "operation", "internal_notes": "x"},
        headers=bearer(token),
    )
    assert r.status_code == 422
    assert set(r.get_json()["errors"]["json"]) == {"phase", "internal_notes"}
    r = client.post("/api/v1/processes", json={"title": "t", "summary": "s"}, headers=bearer(token))
    assert r.status_code == 201


def test_unknown_process_is_404_json(client, alpha):
    _tenant, _user, token = alpha
    r = client.get(f"/api/v1/processes/{uuid.uuid4()}", headers=bearer(token))
    assert r.status_code == 404 and r.is_json
    r = client.get("/api/v1/processes/not-a-uuid", headers=bearer(token))
    assert r.status_code == 404 and r.is_json


def test_wrong_method_is_405_json(client, alpha):
    _tenant, _user, token = alpha
    r = client.delete("/api/v1/me", headers=bearer(token))
    assert r.status_code == 405 and r.is_json


def test_openapi_document_describes_the_api(client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    spec = r.get_json()
    assert "/api/v1/processes" in spec["paths"] and "/api/v1/me" in spec["paths"]
    assert "bearerAuth" in spec["components"]["securitySchemes"]


def test_nothing_is_half_written_when_a_request_fails(client, su_engine, alpha):
    from sqlalchemy import text

    _tenant, _user, token = alpha
    client.post(
        "/api/v1/processes", json={"title": "t", "summary": "s" * 301}, headers=bearer(token)
    )
    with su_engine.connect() as conn:
        assert conn.scalar(text("select count(*) from process")) == 0


def test_every_field_error_is_a_list_of_strings(client, alpha):
    _tenant, _user, token = alpha
    r = client.post("/api/v1/processes", json={"title": " ", "phase": "x"}, headers=bearer(token))
    errors = r.get_json()["errors"]["json"]
    assert set(errors) == {"title", "summary", "phase"}
    for messages in errors.values():
        assert isinstance(messages, list) and all(isinstance(m, str) for m in messages)


def test_nul_characters_are_refused_not_a_500(client, alpha):
    from helpers import login

    _tenant, user, token = alpha
    r = client.post(
        "/api/v1/processes", json={"title": "a\x00b", "summary": "s"}, headers=bearer(token)
    )
    assert r.status_code == 422 and "title" in r.get_json()["errors"]["json"]
    login(client, user)
    r = client.post("/alpha/processer/ny", data={"title": "a\x00b", "summary": "s"})
    assert r.status_code == 400
    assert client.get("/alpha/processer?q=%00").status_code == 400


@pytest.mark.parametrize(
    ("where", "payload", "field", "message"),
    [
        ("query", "domain=ikke-et-id", "domain", "Ukendt fagområde."),
        ("json", {"title": "t", "summary": "s", "owner_id": "x"}, "owner_id", "Ukendt bruger."),
        ("json", {"title": "t", "summary": "s", "domain_ids": ["x"]}, "domain_ids", "Ukendt"),
    ],
)
def test_a_malformed_id_is_answered_in_danish(client, alpha, where, payload, field, message):
    """marshmallow names a bad UUID "invalid_uuid": without it, its English would leak."""
    _tenant, _user, token = alpha
    if where == "query":
        r = client.get(f"/api/v1/processes?{payload}", headers=bearer(token))
    else:
        r = client.post("/api/v1/processes", json=payload, headers=bearer(token))
    assert r.status_code == 422
    text = str(r.get_json()["errors"][where][field])
    assert message in text and "UUID" not in text

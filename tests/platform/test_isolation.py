"""The tenant-isolation matrix: every route, every role, another municipality's ids."""

from __future__ import annotations

import pytest
from helpers import bearer, login

ROLES = ("employee", "automation", "manager", "tenant_admin")


@pytest.fixture
def world(make):
    """Two municipalities, each with a user in every role and one process of each kind."""
    result = {}
    for slug in ("alpha", "beta"):
        tenant = make.tenant(slug)
        users = {role: make.user(tenant, role) for role in ROLES}
        team = users["automation"]
        processes = {
            "public": make.process(team, title=f"{slug} offentlig proces"),
            "private": make.process(team, title=f"{slug} privat proces", visibility="personal"),
        }
        result[slug] = {"tenant": tenant, "users": users, "processes": processes}
    return result


@pytest.mark.parametrize("role", ROLES)
def test_pages_never_show_another_municipalitys_processes(client, world, role):
    me = world["beta"]["users"][role]
    login(client, me)
    listing = client.get("/beta/processer").get_data(as_text=True)
    assert "alpha" not in listing
    assert client.get("/beta/processer?q=alpha").get_data(as_text=True).count("alpha ") == 0
    for process in world["alpha"]["processes"].values():
        # the foreign id under the user's own tenant: not found
        assert client.get(f"/beta/processer/{process.id}").status_code == 404
        # the foreign tenant's own URL: the session is worth nothing there
        r = client.get(f"/alpha/processer/{process.id}")
        assert r.status_code == 302 and r.headers["Location"].startswith("/alpha/login")
    for path in ("/alpha/processer", "/alpha/processer/ny", "/alpha/"):
        r = client.get(path)
        assert r.status_code == 302 and r.headers["Location"].startswith("/alpha/login")
    r = client.post("/alpha/processer/ny", data={"title": "t", "summary": "s"})
    assert r.status_code == 302 and r.headers["Location"].startswith("/alpha/login")


@pytest.mark.parametrize("role", ROLES)
def test_api_never_shows_another_municipalitys_processes(client, make, world, role):
    token = make.token(world["beta"]["users"][role])
    body = client.get("/api/v1/processes?per_page=100", headers=bearer(token)).get_json()
    assert all(not item["title"].startswith("alpha") for item in body["items"])
    for process in world["alpha"]["processes"].values():
        r = client.get(f"/api/v1/processes/{process.id}", headers=bearer(token))
        assert r.status_code == 404
    assert client.get("/api/v1/me", headers=bearer(token)).get_json()["tenant"]["slug"] == "beta"


def test_a_created_process_lands_in_the_callers_tenant_only(client, make, world, su_engine):
    from sqlalchemy import text

    token = make.token(world["beta"]["users"]["employee"])
    r = client.post(
        "/api/v1/processes", json={"title": "ny", "summary": "s"}, headers=bearer(token)
    )
    assert r.status_code == 201
    with su_engine.connect() as conn:
        tenant_id = conn.scalar(text("select tenant_id from process where title = 'ny'"))
    assert tenant_id == world["beta"]["tenant"].id


@pytest.mark.parametrize(
    ("role", "sees_private"),
    [("employee", False), ("automation", True), ("manager", True), ("tenant_admin", False)],
)
def test_private_processes_within_a_municipality(client, make, world, role, sees_private):
    token = make.token(world["alpha"]["users"][role])
    private = world["alpha"]["processes"]["private"]
    r = client.get(f"/api/v1/processes/{private.id}", headers=bearer(token))
    assert r.status_code == (200 if sees_private else 404)
    titles = [
        i["title"]
        for i in client.get("/api/v1/processes", headers=bearer(token)).get_json()["items"]
    ]
    assert ("alpha privat proces" in titles) is sees_private
    assert "alpha offentlig proces" in titles


def test_users_and_tokens_of_another_tenant_are_invisible(app, world):
    from autoproces.platform.identity.services import list_tokens, list_users
    from autoproces.platform.tenancy import activate_tenant, tenant_by_slug

    with app.app_context():
        beta = tenant_by_slug("beta")
        alpha = tenant_by_slug("alpha")
        activate_tenant(beta)
        # Even asking for alpha's rows explicitly: RLS returns nothing.
        assert list_users(alpha) == []
        assert list_tokens(alpha) == []
        assert {u.tenant_id for u in list_users(beta)} == {beta.id}


def test_every_route_with_a_process_id_refuses_another_municipalitys_process(
    app, client, make, world
):
    """Walks the URL map: each page and API route that takes a process (and its comments or
    attachments) answers 404 for alpha's ids asked by beta, and changes nothing."""
    import io
    import uuid

    alpha_team = world["alpha"]["users"]["automation"]
    alpha_token = make.token(alpha_team)
    process = world["alpha"]["processes"]["public"]
    comment = client.post(
        f"/api/v1/processes/{process.id}/comments",
        json={"body": "Hej"},
        headers=bearer(alpha_token),
    ).get_json()
    attachment = client.post(
        f"/api/v1/processes/{process.id}/attachments",
        data={"file": (io.BytesIO(b"notat"), "notat.txt")},
        headers=bearer(alpha_token),
        content_type="multipart/form-data",
    ).get_json()[0]
    ids = {
        "process_id": process.id,
        "comment_id": comment["id"],
        "attachment_id": attachment["id"],
    }
    beta_user = world["beta"]["users"]["automation"]
    beta_token = make.token(beta_user)
    login(client, beta_user)

    checked = 0
    for rule in app.url_map.iter_rules():
        if "process_id" not in rule.arguments:
            continue
        values = {a: ids.get(a, uuid.uuid4()) for a in rule.arguments if a != "tenant_slug"}
        if "tenant_slug" in rule.arguments:
            values["tenant_slug"] = "beta"
        path = rule.build(values, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            headers = bearer(beta_token) if path.startswith("/api/") else {}
            r = client.open(path, method=method, headers=headers, **_valid_input(path, method))
            assert r.status_code == 404, (method, path, r.status_code)
            checked += 1
    assert checked >= 20
    # Alpha's process, comment and attachment are untouched.
    r = client.get(
        f"/api/v1/processes/{process.id}/attachments/{attachment['id']}/content",
        headers=bearer(alpha_token),
    )
    assert r.status_code == 200 and r.data == b"notat"
    comments = client.get(
        f"/api/v1/processes/{process.id}/comments", headers=bearer(alpha_token)
    ).get_json()
    assert [c["body"] for c in comments] == ["Hej"]


def _valid_input(path: str, method: str) -> dict:
    """What each route would accept from alpha, so that only the tenant decides the answer."""
    import io

    if method in ("GET", "DELETE"):
        return {}
    if path.endswith("/attachments") and path.startswith("/api/"):
        return {
            "data": {"file": (io.BytesIO(b"x"), "x.txt")},
            "content_type": "multipart/form-data",
        }
    if path.startswith("/api/"):
        if path.endswith("/publish/preview"):
            return {"json": {}}
        if path.endswith("/publish"):
            return {"json": {"fingerprint": "0" * 64, "size_band": "small"}}
        if path.endswith("/comments") or "/comments/" in path:
            return {"json": {"body": "Overtaget"}}
        if "/attachments/" in path:
            return {"json": {"shareable": True}}
        if path.startswith("/api/v1/backlog/"):
            return {"json": {"move": "up"}}
        return {"json": {"version": 1, "title": "Overtaget"}}
    return {
        "data": {
            "body": "Overtaget",
            "title": "Overtaget",
            "shareable": "1",
            "follow": "1",
            "move": "up",  # the backlog's "Flyt op"
        }
    }


@pytest.mark.parametrize("role", ("automation", "manager"))
def test_the_dashboard_counts_only_the_own_municipality(client, make, world, role):
    me = world["beta"]["users"][role]
    body = client.get("/api/v1/dashboard", headers=bearer(make.token(me))).get_json()
    assert body["total"] == 2  # beta's own public and private process
    login(client, me)
    html = client.get("/beta/overblik").get_data(as_text=True)
    assert "alpha" not in html
    r = client.get("/alpha/overblik")
    assert r.status_code == 302 and r.headers["Location"].startswith("/alpha/login")


def test_another_municipalitys_invitations_can_be_neither_read_nor_changed(
    app, client, make, world, su_engine
):
    """Beta's administrator does not see alpha's invitation, every route that takes an
    invitation answers 404 for it, and a first sign-in in beta with its address gets
    nothing from it."""
    import uuid

    from sqlalchemy import text

    from autoproces.platform.db import db
    from autoproces.platform.identity.invitations import accept_invitation, invite
    from autoproces.platform.tenancy import activate_tenant, tenant_by_slug

    with app.app_context():
        alpha = tenant_by_slug("alpha")
        activate_tenant(alpha)
        invitation_id = invite(alpha, "inviteret@alpha.dk", ["automation"], actor="cli:t").id
        db.session.commit()
    login(client, world["beta"]["users"]["tenant_admin"])
    assert "inviteret@alpha.dk" not in client.get("/beta/admin/invitationer").get_data(as_text=True)
    r = client.get("/alpha/admin/invitationer")
    assert r.status_code == 302 and r.headers["Location"].startswith("/alpha/login")
    checked = 0
    for rule in app.url_map.iter_rules():
        if "invitation_id" not in rule.arguments:
            continue
        values = {a: uuid.uuid4() for a in rule.arguments if a != "tenant_slug"}
        values["invitation_id"] = invitation_id
        if "tenant_slug" in rule.arguments:
            values["tenant_slug"] = "beta"
        path = rule.build(values, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            assert client.open(path, method=method).status_code == 404, (method, path)
            checked += 1
    assert checked >= 1
    with app.app_context():
        beta = tenant_by_slug("beta")
        activate_tenant(beta)
        assert accept_invitation(beta, "inviteret@alpha.dk") is None
        db.session.commit()
    with su_engine.connect() as conn:
        row = conn.execute(text("select revoked_at, accepted_at from user_invitation")).one()
    assert row == (None, None)


def test_another_municipalitys_export_can_be_neither_seen_nor_taken(
    app, client, make, world, su_engine
):
    """Every route that takes an export id answers 404 for alpha's ready export under beta
    (the administrator's page and the operator's, for beta), and the export stays ready."""
    from helpers import operator_login
    from sqlalchemy import text

    from autoproces.platform.db import db
    from autoproces.platform.export.services import request_export, run_due
    from autoproces.platform.identity.models import User
    from autoproces.platform.tenancy import activate_tenant, tenant_by_slug

    alpha_admin = world["alpha"]["users"]["tenant_admin"]
    with app.app_context():
        alpha = tenant_by_slug("alpha")
        activate_tenant(alpha)
        export_id = request_export(alpha, user=db.session.get(User, (alpha.id, alpha_admin.id))).id
        db.session.commit()
        run_due()
    login(client, world["beta"]["users"]["tenant_admin"])
    assert "Hent eksporten" not in client.get("/beta/admin/eksport").get_data(as_text=True)
    operator = app.test_client()
    operator_login(operator, make.operator())
    checked = 0
    for rule in app.url_map.iter_rules():
        if "export_id" not in rule.arguments:
            continue
        values = {a: "beta" for a in rule.arguments if a in ("tenant_slug", "slug")}
        values["export_id"] = export_id
        path = rule.build(values, append_unknown=False)[1]
        who = operator if path.startswith("/operator/") else client
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            assert who.open(path, method=method).status_code == 404, (method, path)
            checked += 1
    assert checked >= 2
    with su_engine.connect() as conn:
        assert conn.scalar(text("select status from tenant_export")) == "ready"

"""API tokens record who made them; an administrator makes them for themselves or for a
service account (shown as such, never signing in), never to act as a colleague."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from helpers import bearer, login
from sqlalchemy import text


@pytest.fixture
def alpha(make):
    return make.tenant("alpha", "Alfa Kommune")


class _Options(HTMLParser):
    """The values of one <select>'s options."""

    def __init__(self, select_name: str) -> None:
        super().__init__()
        self.select_name, self.inside, self.values = select_name, False, []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "select":
            self.inside = a.get("name") == self.select_name
        elif tag == "option" and self.inside:
            self.values.append(a.get("value"))

    def handle_endtag(self, tag):
        if tag == "select":
            self.inside = False


def _owner_choices(html: str) -> list[str]:
    parser = _Options("user_id")
    parser.feed(html)
    return parser.values


def _new_secret(html: str) -> str:
    return re.search(r'<code id="new-token">([^<]+)</code>', html).group(1)


def _create_service(client, name: str, roles=("employee",)) -> None:
    r = client.post(
        "/alpha/admin/tjenestekonti", data={"service_name": name, "service_roles": list(roles)}
    )
    assert r.status_code == 302, r.get_data(as_text=True)


def _service_id(su_engine, name: str):
    with su_engine.connect() as conn:
        return conn.scalar(
            text("select id from app_user where kind = 'service' and name = :n"), {"n": name}
        )


def test_the_token_form_offers_only_oneself_and_service_accounts(client, make, alpha, su_engine):
    admin = make.user(alpha, "tenant_admin", name="Anne Admin")
    make.user(alpha, "automation", name="Kollega Konsulent")
    login(client, admin)
    assert _owner_choices(client.get("/alpha/admin/noegler").get_data(as_text=True)) == [
        str(admin.id)
    ]
    _create_service(client, "ESDH-integration")
    service_id = _service_id(su_engine, "ESDH-integration")
    html = client.get("/alpha/admin/noegler").get_data(as_text=True)
    assert _owner_choices(html) == [str(admin.id), str(service_id)]
    assert "Kollega Konsulent" not in html
    assert "Tjenestekonto: ESDH-integration" in html


def test_an_administrator_cannot_mint_a_token_for_a_colleague(client, make, alpha, su_engine):
    admin = make.user(alpha, "tenant_admin")
    colleague = make.user(alpha, "automation")
    login(client, admin)
    r = client.post("/alpha/admin/noegler", data={"name": "Snyd", "user_id": str(colleague.id)})
    assert r.status_code == 403
    assert "tjenestekonti" in r.get_data(as_text=True)
    with su_engine.connect() as conn:
        assert conn.scalar(text("select count(*) from api_token")) == 0
    # A garbled owner is a form error, not a 500.
    r = client.post("/alpha/admin/noegler", data={"name": "x", "user_id": "not-a-uuid"})
    assert r.status_code == 422 and "Nøglen handler som:" in r.get_data(as_text=True)


def test_tokens_record_their_creator_and_service_accounts_get_the_credit(
    client, app, make, alpha, su_engine
):
    admin = make.user(alpha, "tenant_admin", name="Anne Admin")
    login(client, admin)
    _create_service(client, "ESDH-robot", roles=("automation",))
    service_id = _service_id(su_engine, "ESDH-robot")
    r = client.post("/alpha/admin/noegler", data={"name": "ESDH", "user_id": str(service_id)})
    assert r.status_code == 201
    secret = _new_secret(r.get_data(as_text=True))
    mine = _new_secret(
        client.post("/alpha/admin/noegler", data={"name": "Min egen"}).get_data(as_text=True)
    )
    with su_engine.connect() as conn:
        rows = {
            row.name: row
            for row in conn.execute(text("select name, user_id, created_by from api_token"))
        }
    assert rows["ESDH"].user_id == service_id and rows["ESDH"].created_by == admin.id
    assert rows["Min egen"].user_id == admin.id and rows["Min egen"].created_by == admin.id
    listing = client.get("/alpha/admin/noegler").get_data(as_text=True)
    assert "af Anne Admin" in listing

    me = client.get("/api/v1/me", headers=bearer(secret)).get_json()
    assert me["kind"] == "service" and me["name"] == "ESDH-robot"
    assert client.get("/api/v1/me", headers=bearer(mine)).get_json()["kind"] == "person"
    # What the service account writes through the API is credited to it, not the admin.
    domains = client.get("/api/v1/domains", headers=bearer(secret)).get_json()
    r = client.post(
        "/api/v1/processes",
        json={
            "title": "Fra ESDH",
            "summary": "Oprettet af integrationen.",
            "domain_ids": [domains[0]["id"]],
        },
        headers=bearer(secret),
    )
    assert r.status_code == 201, r.get_json()
    created = r.get_json()
    assert created["reporter"] == {"id": str(service_id), "name": "ESDH-robot"}
    r = client.patch(
        f"/api/v1/processes/{created['id']}",
        json={"version": created["version"], "title": "Fra ESDH, rettet"},
        headers=bearer(secret),
    )
    assert r.status_code == 200, r.get_json()
    with su_engine.connect() as conn:
        changers = set(conn.scalars(text("select user_id from process_change")))
    assert changers == {service_id}


def test_a_service_account_is_shown_as_such_and_cannot_sign_in(client, app, make, alpha):
    from autoproces.platform.db import db
    from autoproces.platform.identity.services import (
        LoginRefused,
        get_idp,
        list_users,
        save_idp,
        sso_user,
    )
    from autoproces.platform.tenancy import activate_tenant, tenant_by_slug

    login(client, make.user(alpha, "tenant_admin"))
    _create_service(client, "Lønsystem")
    html = client.get("/alpha/admin/brugere").get_data(as_text=True)
    assert "Lønsystem" in html and "Tjenestekonto (kun API-nøgler, kan ikke logge ind)" in html
    assert "tjenestekonto.invalid" not in html  # its made-up address is never shown
    with app.app_context():
        tenant = tenant_by_slug("alpha")
        activate_tenant(tenant)
        save_idp(tenant, issuer="https://login.alpha.dk", client_id="c", client_secret="s")
        [account] = [u for u in list_users(tenant) if u.is_service]
        # Even a provider that claims the account's address does not sign anybody in as it.
        with pytest.raises(LoginRefused):
            sso_user(tenant, get_idp(tenant), {"sub": "x", "email": account.email})
        db.session.rollback()


def test_service_account_form_errors_name_the_field(client, make, alpha):
    login(client, make.user(alpha, "tenant_admin"))
    r = client.post("/alpha/admin/tjenestekonti", data={"service_name": "  "})
    assert r.status_code == 422
    assert "Tjenestekontoens navn: Skriv et navn" in r.get_data(as_text=True)
    r = client.post(
        "/alpha/admin/tjenestekonti", data={"service_name": "X", "service_roles": ["king"]}
    )
    assert r.status_code == 422 and "Tjenestekontoens roller: Ukendt rolle" in r.get_data(
        as_text=True
    )


def test_a_service_account_is_never_an_administrator(client, make, alpha, su_engine):
    login(client, make.user(alpha, "tenant_admin"))
    r = client.post(
        "/alpha/admin/tjenestekonti",
        data={"service_name": "Robot", "service_roles": ["tenant_admin"]},
    )
    assert r.status_code == 422 and "kan ikke være administrator" in r.get_data(as_text=True)
    _create_service(client, "Robot")
    service_id = _service_id(su_engine, "Robot")
    r = client.post(
        f"/alpha/admin/brugere/{service_id}/roller", data={"roles": ["employee", "tenant_admin"]}
    )
    assert r.status_code == 422 and "kan ikke være administrator" in r.get_data(as_text=True)

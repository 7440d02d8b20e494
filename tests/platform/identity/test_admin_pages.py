"""The administrator's pages: errors that name their field, a plain-Danish connection
test that keeps the typed secret, the users page's search, paging and role errors, and the
one date-time format."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from helpers import login
from sqlalchemy import text


@pytest.fixture
def alpha(make):
    return make.tenant("alpha", "Alfa Kommune")


class _Form(HTMLParser):
    """The fields a form renders (name -> value), as a browser would post them."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action, self.inside, self.fields = action, False, {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("action") == self.action
        elif self.inside and tag == "input" and a.get("name"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            if a.get("type") == "submit":
                return
            self.fields[a["name"]] = a.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False


def _fields(html: str, action: str) -> dict[str, str]:
    form = _Form(action)
    form.feed(html)
    return form.fields


@pytest.fixture
def provider_url(tmp_path):
    """A tiny HTTP server whose answers each test chooses (path -> (status, body))."""
    import http.server
    import json
    import threading

    answers: dict[str, tuple[int, str]] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            status, body = answers.get(self.path, (404, "nej"))
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    yield base, answers, json
    server.shutdown()


def test_test_connection_speaks_plain_danish(client, make, alpha, provider_url):
    base, answers, json = provider_url
    login(client, make.user(alpha, "tenant_admin"))

    def report(issuer: str) -> str:
        r = client.post("/alpha/admin/log-in", data={"action": "test", "issuer": issuer})
        assert r.status_code == 200
        html = r.get_data(as_text=True)
        return re.search(r'id="connection-report".*?</div>\s*</div>', html, re.S).group(0)

    text404 = report(base + "/ingen")
    assert "Der er ingen OpenID-konfiguration på" in text404 and "404" not in text404
    answers["/fejl/.well-known/openid-configuration"] = (500, "{}")
    assert "svarede med fejl 500" in report(base + "/fejl")
    answers["/html/.well-known/openid-configuration"] = (200, "<html>")
    assert "er ikke en OpenID-konfiguration" in report(base + "/html")
    answers["/anden/.well-known/openid-configuration"] = (
        200,
        json.dumps({"issuer": "https://login.andet.dk", "authorization_endpoint": "a"}),
    )
    assert "oplyser en anden udsteder: https://login.andet.dk" in report(base + "/anden")
    assert "kan ikke nås" in report("http://127.0.0.1:9/lukket")
    for english in ("ConnectionError", "HTTPError", "JSONDecodeError", "discovery document"):
        assert english not in report("http://127.0.0.1:9/lukket") + text404


def test_the_typed_secret_survives_a_test_and_an_error_without_being_shown(
    client, make, alpha, provider_url, su_engine
):
    base, answers, json = provider_url
    login(client, make.user(alpha, "tenant_admin"))
    secret = "hemmeligheden-fra-entra"
    fields = _fields(
        client.get("/alpha/admin/log-in").get_data(as_text=True), "/alpha/admin/log-in"
    )
    assert fields["scopes"] == "openid profile email"
    fields.update(action="test", issuer=base, client_id="autoproces", client_secret=secret)
    r = client.post("/alpha/admin/log-in", data=fields)
    html = r.get_data(as_text=True)
    assert secret not in html
    assert "er husket og bliver gemt" in html
    fields = _fields(html, "/alpha/admin/log-in")
    assert fields["pending_secret"] and fields["client_secret"] == ""
    # Save what the page renders (the secret field left empty): the typed secret is stored.
    fields.update({"action": "save", "issuer": "https://login.alpha.dk", "role_claim": "x y"})
    r = client.post("/alpha/admin/log-in", data=fields)
    assert r.status_code == 422  # a bad role claim: still remembered, still not shown
    html = r.get_data(as_text=True)
    assert secret not in html and "Claim med roller:" in html
    fields = _fields(html, "/alpha/admin/log-in")
    fields.update({"action": "save", "role_claim": "roles"})
    assert client.post("/alpha/admin/log-in", data=fields).status_code == 302
    from autoproces.platform.db import db
    from autoproces.platform.identity.services import get_idp, idp_client
    from autoproces.platform.tenancy import activate_tenant, tenant_by_slug

    with client.application.app_context():
        tenant = tenant_by_slug("alpha")
        activate_tenant(tenant)
        assert idp_client(get_idp(tenant)).client_secret == secret
        db.session.rollback()


def test_a_remembered_secret_from_another_municipality_is_ignored(client, make, alpha):
    from autoproces.platform.crypto import encrypt

    beta = make.tenant("beta")
    login(client, make.user(alpha, "tenant_admin"))
    with client.application.app_context():
        forged = encrypt(f"{beta.id}:stjålet")
    r = client.post(
        "/alpha/admin/log-in",
        data={
            "action": "save",
            "issuer": "https://login.alpha.dk",
            "client_id": "c",
            "scopes": "openid",
            "role_claim": "roles",
            "pending_secret": forged,
        },
    )
    assert r.status_code == 422 and "Klienthemmelighed: Feltet skal udfyldes" in r.get_data(
        as_text=True
    )
    r = client.post(
        "/alpha/admin/log-in",
        data={
            "action": "save",
            "issuer": "https://login.alpha.dk",
            "client_id": "c",
            "scopes": "openid",
            "role_claim": "roles",
            "pending_secret": "rubbish",
        },
    )
    assert r.status_code == 422


def test_the_identity_provider_form_names_the_field_in_its_error_summary(client, make, alpha):
    login(client, make.user(alpha, "tenant_admin"))
    r = client.post(
        "/alpha/admin/log-in",
        data={
            "action": "save",
            "issuer": "ftp://x",
            "client_id": "",
            "scopes": "profile",
            "role_mapping": "king",
        },
    )
    html = r.get_data(as_text=True)
    summary = html.split('id="error-summary"', 1)[1].split("</ul>", 1)[0]
    for label in (
        "Udsteder (issuer):",
        "Klient-id:",
        "Scopes:",
        "Rolletildeling:",
        "Klienthemmelighed:",
    ):
        assert label in summary, label


def test_saving_a_user_with_no_roles_shows_the_error_on_the_users_page(
    client, make, alpha, su_engine
):
    erik = make.user(alpha, "employee", name="Erik Eriksen")
    login(client, make.user(alpha, "tenant_admin"))
    page = client.get("/alpha/admin/brugere").get_data(as_text=True)
    action = f"/alpha/admin/brugere/{erik.id}/roller"
    fields = _fields(page, action)
    assert fields.get("roles") == "employee"
    fields.pop("roles")  # the administrator unticks every role
    r = client.post(action, data=fields)
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "<h1>Brugere</h1>" in html and "Erik Eriksen" in html
    assert "Roller: Vælg mindst én rolle." in html
    assert f'href="#roles-{erik.id}"' in html and f'id="roles-{erik.id}-error"' in html
    with su_engine.connect() as conn:
        assert conn.scalar(text("select roles from app_user where id = :u"), {"u": erik.id}) == [
            "employee"
        ]


def test_the_users_page_searches_and_pages(client, make, alpha):
    from autoproces.platform.db import db
    from autoproces.platform.identity.services import create_user
    from autoproces.platform.tenancy import activate_tenant, tenant_by_slug

    admin = make.user(alpha, "tenant_admin", name="Anne Admin")
    with client.application.app_context():
        tenant = tenant_by_slug("alpha")
        activate_tenant(tenant)
        for i in range(30):
            create_user(tenant, f"bruger{i:02d}@alpha.dk", f"Bruger {i:02d}", ["employee"])
        create_user(tenant, "soeren@alpha.dk", "Søren Ærø", ["employee"])
        db.session.commit()
    login(client, admin)
    first = client.get("/alpha/admin/brugere").get_data(as_text=True)
    assert "32 brugere" in first and "Side 1 af 2" in first
    assert "<td>Anne Admin<div" in first and "Bruger 23" in first and "Søren Ærø" not in first
    second = client.get("/alpha/admin/brugere?side=2").get_data(as_text=True)
    assert "Søren Ærø" in second and "<td>Anne Admin<div" not in second
    found = client.get("/alpha/admin/brugere?q=ærø").get_data(as_text=True)
    assert "1 bruger fundet" in found and "Søren Ærø" in found and "Bruger 01" not in found
    found = client.get("/alpha/admin/brugere?q=bruger0").get_data(as_text=True)
    assert "10 brugere fundet" in found
    assert "Ingen brugere passer" in client.get("/alpha/admin/brugere?q=%25_").get_data(
        as_text=True
    )
    assert client.get("/alpha/admin/brugere?side=abc").status_code == 200
    assert client.get("/alpha/admin/brugere?side=999").status_code == 200
    # An action keeps the search and page the administrator came from.
    r = client.post(f"/alpha/admin/brugere/{admin.id}/aktiv?q=bruger&side=2", data={"active": "0"})
    assert r.headers["Location"] == "/alpha/admin/brugere?q=bruger&side=2"


def test_one_date_time_format_on_the_administrators_and_operators_pages(client, make, alpha):
    from autoproces.platform.i18n import format_when

    admin = make.user(alpha, "tenant_admin")
    login(client, admin)
    client.post("/alpha/admin/noegler", data={"name": "x"})
    html = client.get("/alpha/admin/noegler").get_data(as_text=True)
    assert re.search(r"<td>\d{1,2}\. [a-zæøå]+\.? \d{4} kl\. \d{2}\.\d{2}<div", html), html
    from datetime import UTC, datetime

    with client.application.test_request_context("/"):
        assert format_when(datetime(2026, 12, 1, 13, 5, tzinfo=UTC)) == "1. dec. 2026 kl. 14.05"
        assert format_when(datetime(2026, 7, 1, 13, 5, tzinfo=UTC)) == "1. jul. 2026 kl. 15.05"

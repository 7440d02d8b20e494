"""Pages: the front page, the tenant shell, intake form, list and detail, errors in Danish."""

from __future__ import annotations

import re

import pytest
from helpers import login


@pytest.fixture
def alpha(make):
    tenant = make.tenant("alpha", "Alfa Kommune")
    return tenant, make.user(tenant, "employee", name="Erik Medarbejder")


def test_front_page_lists_active_municipalities(client, make):
    make.tenant("alpha", "Alfa Kommune")
    make.tenant("beta", "Beta Kommune")
    from autoproces.platform.db import db
    from autoproces.platform.tenancy import TenantStatus, set_tenant_status

    with client.application.app_context():
        make.tenant("gamma", "Gamma Kommune")
        set_tenant_status("gamma", TenantStatus.SUSPENDED)
        db.session.commit()
    html = client.get("/").get_data(as_text=True)
    assert 'href="/alpha/"' in html and "Beta Kommune" in html
    assert "Gamma Kommune" not in html
    assert '<html lang="da">' in html and "Vælg din kommune" in html


def test_layout_has_skip_link_title_htmx_and_dkfds(client, alpha):
    tenant, user = alpha
    login(client, user)
    html = client.get("/alpha/processer").get_data(as_text=True)
    assert 'class="skipnav" href="#main-content"' in html and 'id="main-content"' in html
    assert "<title>Processer · Alfa Kommune · Autoproces</title>" in html
    assert "vendor/htmx/htmx.min.js" in html and "vendor/dkfds/css/dkfds.min.css" in html
    assert "Alfa Kommune" in html and "Erik Medarbejder" in html
    assert 'aria-current="page"' in html


def test_static_assets_are_served_by_the_app(client):
    for path in (
        "/static/vendor/htmx/htmx.min.js",
        "/static/vendor/dkfds/css/dkfds.min.css",
        "/static/vendor/dkfds/js/dkfds.min.js",
        "/static/app.js",
    ):
        r = client.get(path)
        assert r.status_code == 200, path
        r.close()


def test_unknown_municipality_is_a_danish_404(client):
    r = client.get("/findes-ikke/processer")
    assert r.status_code == 404
    assert "Siden findes ikke" in r.get_data(as_text=True)


def test_suspended_municipality_gets_a_danish_403_page(client, app, alpha):
    from autoproces.platform.db import db
    from autoproces.platform.tenancy import TenantStatus, set_tenant_status

    tenant, user = alpha
    login(client, user)
    with app.app_context():
        set_tenant_status("alpha", TenantStatus.SUSPENDED)
        db.session.commit()
    for path in ("/alpha/processer", "/alpha/login", "/alpha/"):
        r = client.get(path)
        assert r.status_code == 403
        assert "Alfa Kommune har i øjeblikket ikke adgang" in r.get_data(as_text=True)


def test_anonymous_visitor_is_sent_to_the_tenants_login(client, alpha):
    r = client.get("/alpha/processer?phase=idea")
    assert r.status_code == 302
    assert r.headers["Location"] == "/alpha/login?next=/alpha/processer?phase%3Didea"


def test_without_demo_mode_there_is_no_development_login(client, alpha):
    tenant, user = alpha
    r = client.get("/alpha/login")
    assert r.status_code == 503 and "Log-in er ikke sat op" in r.get_data(as_text=True)
    assert "user_id" not in r.get_data(as_text=True)
    r = client.post("/alpha/dev-login", data={"user_id": str(user.id)})
    assert r.status_code == 404
    assert client.get("/alpha/processer").status_code == 302  # still not logged in


def test_demo_mode_development_login_and_logout(demo_app, make):
    tenant = make.tenant("alpha", "Alfa Kommune")
    user = make.user(tenant, "manager", name="Lone Leder")
    client = demo_app.test_client()
    html = client.get("/alpha/login?next=/alpha/processer/ny").get_data(as_text=True)
    assert "Lone Leder" in html and "Leder" in html
    r = client.post(
        "/alpha/dev-login", data={"user_id": str(user.id), "next": "/alpha/processer/ny"}
    )
    assert r.status_code == 302 and r.headers["Location"] == "/alpha/processer/ny"
    assert client.get("/alpha/processer").status_code == 200
    # next must stay inside the tenant: no open redirect
    r = client.post(
        "/alpha/dev-login", data={"user_id": str(user.id), "next": "https://evil.example/"}
    )
    assert r.headers["Location"] == "/alpha/"  # the tenant home a component contributes
    r = client.post("/alpha/dev-login", data={"user_id": "nonsense"})
    assert r.status_code == 400
    client.post("/alpha/logout")
    assert client.get("/alpha/processer").status_code == 302


def test_intake_form_reports_an_idea_with_a_receipt(client, alpha):
    tenant, user = alpha
    login(client, user)
    form = client.get("/alpha/processer/ny").get_data(as_text=True)
    assert "Indberet en idé" in form and 'for="title"' in form and 'id="title"' in form
    r = client.post(
        "/alpha/processer/ny",
        data={
            "title": "Sygemeldinger i lønsystemet",
            "summary": "Sygemeldinger tastes i hånden to gange.",
            "description": "Hver mandag.",
            "visibility": "municipality",
        },
    )
    assert r.status_code == 302
    detail = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Tak! Din idé er modtaget" in detail
    assert "Sygemeldinger i lønsystemet" in detail and "Erik Medarbejder" in detail
    assert "Idé" in detail and "Ikke vurderet" in detail
    listing = client.get("/alpha/processer").get_data(as_text=True)
    assert "Sygemeldinger i lønsystemet" in listing and "1 proces" in listing


def test_intake_form_errors_are_danish_and_keep_the_input(client, su_engine, alpha):
    from sqlalchemy import text

    tenant, user = alpha
    login(client, user)
    r = client.post(
        "/alpha/processer/ny",
        data={"title": " ", "summary": "x" * 301, "description": "Min beskrivelse"},
    )
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "Idéen kunne ikke gemmes" in html
    assert "Feltet skal udfyldes." in html and "Højst 300 tegn." in html
    assert 'href="#title"' in html and "Min beskrivelse" in html
    with su_engine.connect() as conn:
        assert conn.scalar(text("select count(*) from process")) == 0


def test_list_filters_live_in_the_url_and_bad_filters_are_skipped(client, make, alpha):
    tenant, user = alpha
    team = make.user(tenant, "automation")
    make.process(team, title="I udvikling", phase="development")
    make.process(team, title="Bare en idé")
    login(client, user)
    html = client.get("/alpha/processer?phase=development").get_data(as_text=True)
    assert "I udvikling" in html and "Bare en idé" not in html
    r = client.get("/alpha/processer?phase=nonsense&page=-1&q=udvikling")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "sprunget over" in html
    assert "I udvikling" in html and "Bare en idé" not in html  # the search still applies


def test_private_idea_is_hidden_from_other_employees_but_not_the_team(client, make, alpha):
    tenant, user = alpha
    other = make.user(tenant, "employee")
    team = make.user(tenant, "automation")
    p = make.process(user, title="Min private idé", visibility="personal")
    for viewer, visible in ((user, True), (other, False), (team, True)):
        login(client, viewer)
        r = client.get(f"/alpha/processer/{p.id}")
        assert r.status_code == (200 if visible else 404)
        assert (
            "Min private idé" in client.get("/alpha/processer").get_data(as_text=True)
        ) is visible


def test_english_translation(client, alpha):
    tenant, user = alpha
    login(client, user)
    r = client.post("/lang", data={"lang": "en", "next": "/alpha/processer/ny"})
    assert r.headers["Location"] == "/alpha/processer/ny"
    html = client.get("/alpha/processer/ny").get_data(as_text=True)
    assert '<html lang="en">' in html and "Report an idea" in html
    assert (
        client.post("/lang", data={"lang": "da", "next": "https://evil.example"}).headers[
            "Location"
        ]
        == "/"
    )


def test_security_headers(client):
    r = client.get("/")
    assert "default-src 'self'" in r.headers["Content-Security-Policy"]
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" not in r.headers  # plain http: HSTS means nothing


def test_https_answers_carry_strict_transport_security(client):
    for path in ("/", "/api/v1/me", "/findes-ikke"):
        r = client.get(path, base_url="https://localhost")
        assert r.headers["Strict-Transport-Security"] == "max-age=31536000", path


def test_pages_use_no_inline_scripts(client, alpha):
    tenant, user = alpha
    login(client, user)
    for path in ("/", "/alpha/processer", "/alpha/processer/ny"):
        html = client.get(path).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path


def test_intake_form_ignores_fields_it_does_not_show(client, alpha):
    tenant, user = alpha
    login(client, user)
    r = client.post(
        "/alpha/processer/ny",
        data={"title": "t", "summary": "s", "phase": "operation", "submit": "1"},
    )
    assert r.status_code == 302
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "I drift" not in html and "Idé" in html


def test_unknown_list_parameters_are_ignored(client, alpha):
    tenant, user = alpha
    login(client, user)
    r = client.get("/alpha/processer?utm_source=mail")
    assert r.status_code == 200 and "sprunget over" not in r.get_data(as_text=True)


def test_empty_filters_from_the_form_mean_any(client, make, alpha):
    tenant, user = alpha
    make.process(make.user(tenant, "automation"), title="I drift", phase="operation")
    login(client, user)
    r = client.get("/alpha/processer?q=&phase=operation&status=")
    html = r.get_data(as_text=True)
    assert "sprunget over" not in html and "1 proces" in html

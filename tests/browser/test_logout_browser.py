"""Signing out of a municipality that signs in through its identity provider, in Chromium
with the app's own CSP enforced (no bypass): the session ends here and at the provider."""

from __future__ import annotations

from browser_helpers import assert_accessible


def test_log_af_ends_the_session_here_and_at_the_provider(
    browser, live_server, browser_app, make, tmp_path
):
    from oidc_provider import OidcProvider

    from autoproces.platform.db import db
    from autoproces.platform.identity.services import save_idp
    from autoproces.platform.tenancy import activate_tenant, tenant_by_slug

    make.tenant("alpha", "Alfa Kommune")
    provider = OidcProvider(
        tmp_path,
        [
            {
                "client_id": "autoproces-alpha",
                "client_secret": "secret-alpha",
                "redirect_uris": [f"{live_server}/alpha/auth/callback"],
                "post_logout_redirect_uris": [f"{live_server}/alpha/logget-ud"],
                "token_endpoint_auth_method": "client_secret_basic",
            }
        ],
    ).start()
    # The app's CSP as a user's browser enforces it: no bypass_csp here.
    context = browser.new_context(locale="da-DK")
    page = context.new_page()
    csp_reports: list[str] = []
    page.on(
        "console",
        lambda m: csp_reports.append(m.text) if "Content Security Policy" in m.text else None,
    )
    try:
        provider.set_account("mette", email="mette@alpha.dk", name="Mette Madsen")
        with browser_app.app_context():
            tenant = tenant_by_slug("alpha")
            activate_tenant(tenant)
            save_idp(
                tenant,
                issuer=provider.issuer,
                client_id="autoproces-alpha",
                client_secret="secret-alpha",
            )
            db.session.commit()

        page.goto(live_server + "/alpha/processer")
        page.get_by_role("link", name="Log ind via kommunens log-in").click()
        page.wait_for_url(provider.issuer + "/**")
        page.locator("input[name=login]").fill("mette")
        page.locator("input[name=password]").fill("hemmelig")
        page.locator("button[type=submit]").first.click()
        page.wait_for_url(live_server + "/alpha/processer")
        assert page.locator(".portal-user").get_by_text("Mette Madsen").is_visible()
        stolen = [c for c in context.cookies() if c["name"] == "session"]
        assert stolen

        page.get_by_role("button", name="Log af").click()
        # Our own page hands over to the provider, which asks to confirm.
        page.wait_for_url(provider.issuer + "/**")
        page.locator("button[type=submit], input[type=submit]").first.click()
        page.wait_for_url(live_server + "/alpha/logget-ud")
        assert page.get_by_role("heading", name="Du er logget ud").is_visible()
        assert not csp_reports, csp_reports  # (axe-core needs bypass_csp: tested below)

        # A copy of the cookie from before "Log af" opens nothing.
        other = browser.new_context(locale="da-DK")
        try:
            other.add_cookies(stolen)
            thief = other.new_page()
            thief.goto(live_server + "/alpha/processer")
            assert "/alpha/login" in thief.url
            assert thief.get_by_role("button", name="Log af").count() == 0
        finally:
            other.close()

        # The provider forgot the login: signing in again asks for the credentials.
        page.get_by_role("link", name="Log ind igen").click()
        page.get_by_role("link", name="Log ind via kommunens log-in").click()
        page.wait_for_url(provider.issuer + "/**")
        assert page.locator("input[name=login]").is_visible()
    finally:
        context.close()
        provider.stop()


def test_the_hop_and_logged_out_pages_are_accessible(page, live_server, browser_app, make):
    """Without a pending hop, the page sends the browser to our own logged-out page."""
    make.tenant("alpha", "Alfa Kommune")
    page.goto(live_server + "/alpha/log-ud-hos-udbyder")
    assert page.url == live_server + "/alpha/logget-ud"
    assert_accessible(page, "logged-out page")
    with browser_app.test_request_context("/alpha/log-ud-hos-udbyder"):
        from flask import render_template

        html = render_template(
            "identity/provider_logout.html", target="https://login.example/end?x=1&y=2"
        )
    assert 'http-equiv="refresh"' in html
    # Without the refresh (it would leave at once for the made-up provider).
    page.set_content(html.replace('http-equiv="refresh"', 'data-refresh="off"'))
    assert page.get_by_role("link", name="Fortsæt til log-ud hos log-in-løsningen").is_visible()
    assert_accessible(page, "hand-over page to the provider")


def test_operator_log_af_ends_the_console_session_here_and_at_the_provider(
    browser, database, tmp_path
):
    """The console has the same CSP and the same hop (operators' own provider)."""
    import threading

    from helpers import app_env
    from oidc_provider import OidcProvider
    from werkzeug.serving import make_server

    from autoproces.platform.app import create_app

    holder: dict = {}
    server = make_server(
        "127.0.0.1", 0, lambda env, start: holder["app"](env, start), threaded=True
    )
    base = f"http://127.0.0.1:{server.server_port}"
    provider = OidcProvider(
        tmp_path,
        [
            {
                "client_id": "autoproces-operator",
                "client_secret": "operator-secret",
                "redirect_uris": [f"{base}/operator/auth/callback"],
                "post_logout_redirect_uris": [f"{base}/operator/logget-ud"],
                "token_endpoint_auth_method": "client_secret_basic",
            }
        ],
    ).start()
    holder["app"] = create_app(
        app_env(
            database,
            AUTOPROCES_BASE_URL=base,
            OPERATOR_OIDC_ISSUER=provider.issuer,
            OPERATOR_OIDC_CLIENT_ID="autoproces-operator",
            OPERATOR_OIDC_CLIENT_SECRET="operator-secret",
        ),
        TESTING=True,
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    context = browser.new_context(locale="da-DK")  # the app's CSP enforced
    page = context.new_page()
    try:
        provider.set_account("olga", email="olga@os2.dk", name="Olga Operatør", roles=["operator"])
        page.goto(base + "/operator/")
        page.wait_for_url(provider.issuer + "/**")
        page.locator("input[name=login]").fill("olga")
        page.locator("input[name=password]").fill("hemmelig")
        page.locator("button[type=submit]").first.click()
        page.wait_for_url(base + "/operator/")
        stolen = [c for c in context.cookies() if c["name"] == "session"]
        page.get_by_role("button", name="Log af").click()
        page.wait_for_url(provider.issuer + "/**")
        page.locator("button[type=submit], input[type=submit]").first.click()
        page.wait_for_url(base + "/operator/logget-ud")
        assert page.get_by_role("heading", name="Du er logget ud").is_visible()

        other = browser.new_context(locale="da-DK")
        try:
            other.add_cookies(stolen)
            thief = other.new_page()
            thief.goto(base + "/operator/")
            # The old cookie is refused: off to the provider's login form again.
            thief.wait_for_url(provider.issuer + "/**")
            assert thief.locator("input[name=login]").is_visible()
        finally:
            other.close()
        # And the provider forgot Olga: a new sign-in asks for the credentials.
        page.goto(base + "/operator/")
        page.wait_for_url(provider.issuer + "/**")
        assert page.locator("input[name=login]").is_visible()
    finally:
        context.close()
        server.shutdown()
        provider.stop()

"""Signing out of a municipality that signs in through its identity provider, in Chromium
with the app's own CSP enforced (no bypass): the session ends here and at the provider."""

from __future__ import annotations

from browser_helpers import (
    LiveServer,
    assert_accessible,
    confirm_logout_at_provider,
    oidc_client,
    sign_in_at_provider,
)
from playwright.sync_api import expect


def test_log_af_ends_the_session_here_and_at_the_provider(
    new_page, live_server, alpha_provider
):
    alpha_provider.set_account("mette", email="mette@alpha.dk", name="Mette Madsen")
    alpha_provider.connect()
    page = new_page()  # the app's CSP as a user's browser enforces it: no bypass_csp here
    page.goto(live_server + "/alpha/processer")
    page.get_by_role("link", name="Log ind via kommunens log-in").click()
    sign_in_at_provider(page, alpha_provider.issuer, "mette")
    page.wait_for_url(live_server + "/alpha/processer")
    expect(page.locator(".portal-user").get_by_text("Mette Madsen")).to_be_visible()
    stolen = [c for c in page.context.cookies() if c["name"] == "session"]
    assert stolen

    page.get_by_role("button", name="Log af").click()
    # Our own page hands over to the provider, which asks to confirm.
    confirm_logout_at_provider(page, alpha_provider.issuer)
    page.wait_for_url(live_server + "/alpha/logget-ud")
    expect(page.get_by_role("heading", name="Du er logget ud")).to_be_visible()
    assert not page.csp_blocked, page.csp_blocked  # (axe-core needs bypass_csp: tested below)

    # A copy of the cookie from before "Log af" opens nothing.
    thief = new_page()
    thief.context.add_cookies(stolen)
    thief.goto(live_server + "/alpha/processer")
    assert "/alpha/login" in thief.url
    assert thief.get_by_role("button", name="Log af").count() == 0

    # The provider forgot the login: signing in again asks for the credentials.
    page.get_by_role("link", name="Log ind igen").click()
    page.get_by_role("link", name="Log ind via kommunens log-in").click()
    page.wait_for_url(alpha_provider.issuer + "/**")
    expect(page.locator("input[name=login]")).to_be_visible()


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
    expect(page.get_by_role("link", name="Fortsæt til log-ud hos log-in-løsningen")).to_be_visible()
    assert_accessible(page, "hand-over page to the provider")


def test_operator_log_af_ends_the_console_session_here_and_at_the_provider(
    new_page, database, tmp_path
):
    """The console has the same CSP and the same hop (operators' own provider)."""
    from helpers import app_env
    from oidc_provider import OidcProvider

    from autoproces.platform.app import create_app

    with LiveServer() as server:
        base = server.url
        client = oidc_client(
            "autoproces-operator",
            "operator-secret",
            f"{base}/operator/auth/callback",
            f"{base}/operator/logget-ud",
        )
        with OidcProvider(tmp_path, [client]) as provider:
            server.app = create_app(
                app_env(
                    database,
                    AUTOPROCES_BASE_URL=base,
                    OPERATOR_OIDC_ISSUER=provider.issuer,
                    OPERATOR_OIDC_CLIENT_ID="autoproces-operator",
                    OPERATOR_OIDC_CLIENT_SECRET="operator-secret",
                ),
                TESTING=True,
            )
            provider.set_account(
                "olga", email="olga@os2.dk", name="Olga Operatør", roles=["operator"]
            )
            page = new_page()  # the app's CSP enforced
            page.goto(base + "/operator/")
            sign_in_at_provider(page, provider.issuer, "olga")
            page.wait_for_url(base + "/operator/")
            stolen = [c for c in page.context.cookies() if c["name"] == "session"]
            page.get_by_role("button", name="Log af").click()
            confirm_logout_at_provider(page, provider.issuer)
            page.wait_for_url(base + "/operator/logget-ud")
            expect(page.get_by_role("heading", name="Du er logget ud")).to_be_visible()

            thief = new_page()
            thief.context.add_cookies(stolen)
            thief.goto(base + "/operator/")
            # The old cookie is refused: off to the provider's login form again.
            thief.wait_for_url(provider.issuer + "/**")
            expect(thief.locator("input[name=login]")).to_be_visible()
            # And the provider forgot Olga: a new sign-in asks for the credentials.
            page.goto(base + "/operator/")
            page.wait_for_url(provider.issuer + "/**")
            expect(page.locator("input[name=login]")).to_be_visible()

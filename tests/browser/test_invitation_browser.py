"""The administrator invites a colleague in Chromium under the app's own CSP; the colleague's
first sign-in through the municipality's OpenID provider gets the invited roles."""

from __future__ import annotations

from browser_helpers import assert_accessible_under_csp, sign_in_at_provider
from playwright.sync_api import expect


def test_the_administrator_invites_and_the_colleague_signs_in_with_the_roles(
    new_page, live_server, alpha_provider, make
):
    from autoproces.platform.tenancy import tenant_by_slug

    alpha_provider.connect(default_role=None, allowed_domains=["alpha.dk"])
    with alpha_provider.app.app_context():
        alpha = tenant_by_slug("alpha")
    make.user(alpha, "tenant_admin", email="anne@alpha.dk", name="Anne Admin")
    alpha_provider.set_account("anne", email="anne@alpha.dk", name="Anne Admin")
    alpha_provider.set_account("ny", email="Ny.Kollega@alpha.dk", name="Ny Kollega")

    page = new_page()
    page.goto(live_server + "/alpha/processer")
    page.get_by_role("link", name="Log ind via kommunens log-in").click()
    sign_in_at_provider(page, alpha_provider.issuer, "anne")
    page.wait_for_url(live_server + "/alpha/processer")
    page.get_by_role("link", name="Administration").click()
    page.get_by_role("link", name="Invitationer").first.click()
    expect(page.get_by_role("heading", name="Invitationer", exact=True).first).to_be_visible()

    page.get_by_role("button", name="Send invitation").click()  # no address yet
    summary = page.locator("#error-summary")
    expect(summary.get_by_text("E-mailadresse: Skriv en gyldig e-mailadresse.")).to_be_visible()
    page.get_by_label("E-mailadresse").fill("Ny.Kollega@alpha.dk")
    page.get_by_label("Automatiseringskonsulent").check()
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("Invitationen er sendt til ny.kollega@alpha.dk.")).to_be_visible()
    row = page.locator("#invitations tr", has_text="ny.kollega@alpha.dk")
    expect(row.get_by_text("Venter")).to_be_visible()
    expect(row.get_by_text("Medarbejder, Automatiseringskonsulent")).to_be_visible()
    assert_accessible_under_csp(page, "invitations page")
    assert not page.csp_blocked, page.csp_blocked

    colleague = new_page()
    colleague.goto(live_server + "/alpha/processer")
    colleague.get_by_role("link", name="Log ind via kommunens log-in").click()
    sign_in_at_provider(colleague, alpha_provider.issuer, "ny")
    colleague.wait_for_url(live_server + "/alpha/processer")
    expect(colleague.locator(".portal-user").get_by_text("Ny Kollega")).to_be_visible()

    page.reload()
    row = page.locator("#invitations tr", has_text="ny.kollega@alpha.dk")
    expect(row.get_by_text("Taget i brug")).to_be_visible()
    expect(row.get_by_role("button", name="Tilbagekald")).to_have_count(0)

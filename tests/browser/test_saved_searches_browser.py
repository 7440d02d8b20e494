"""Saved searches in Chromium under the app's own CSP: an employee filters the list (htmx
updates it in place), saves the search from the list with "Gem søgning", finds it on Min
side through the name in the header, opens it, and deletes it, with axe-core on the way."""

from __future__ import annotations

from browser_helpers import assert_accessible_under_csp as accessible
from browser_helpers import sign_in
from playwright.sync_api import expect


def test_an_employee_saves_finds_opens_and_deletes_a_search(csp_page, live_server, seeded):
    page = csp_page
    sign_in(page, live_server, "Medarbejder")
    page.select_option("#phase", "operation")
    page.wait_for_url("**/processer?*phase=operation*")
    page.wait_for_function(
        "document.getElementById('save-search-form').action.includes('phase=operation')"
    )
    assert "Fase: I drift" in page.locator("#save-search-filters").text_content()
    page.get_by_text("Gem søgning", exact=True).click()
    page.get_by_label("Navn på søgningen").fill("Processer i drift")
    page.get_by_label("Send mig en e-mail når nye processer matcher").check()
    accessible(page, "list with the save-search form open")
    with page.expect_navigation():
        page.get_by_role("button", name="Gem søgningen").click()
    assert "phase=operation" in page.url
    expect(page.get_by_text("Søgningen “Processer i drift” er gemt.")).to_be_visible()
    in_drift = page.locator("#result-count").inner_text()

    # The name in the header leads to Min side (the first of the header's two copies that
    # is shown on a wide screen).
    page.locator("p.user a:visible").first.click()
    page.wait_for_url("**/syddjurs/min-side")
    row = page.locator("#saved-searches tbody tr", has_text="Processer i drift")
    assert "Fase: I drift" in row.inner_text()
    assert row.locator("td").nth(1).inner_text().strip() == in_drift.split()[0]
    assert "Til" in row.locator("td").nth(2).inner_text()
    accessible(page, "min side with a saved search")

    row.get_by_role("link", name="Processer i drift").click()
    page.wait_for_url("**/processer?phase=operation")
    assert page.locator("#phase").input_value() == "operation"
    page.go_back()
    page.wait_for_url("**/min-side")

    page.locator("#saved-searches tbody tr", has_text="Processer i drift").get_by_role(
        "link", name="Slet"
    ).click()
    expect(page.get_by_role("heading", name="Slet den gemte søgning?")).to_be_visible()
    accessible(page, "delete confirmation")
    with page.expect_navigation():
        page.get_by_role("button", name="Ja, slet søgningen").click()
    expect(page.get_by_text("Søgningen “Processer i drift” er slettet.")).to_be_visible()
    expect(page.get_by_text("Du har ingen gemte søgninger endnu.")).to_be_visible()
    assert not page.csp_blocked, page.csp_blocked

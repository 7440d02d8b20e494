"""An employee's first journey in a real browser, with axe-core on every page."""

from __future__ import annotations

from browser_helpers import (
    assert_accessible,
    confirm_logout_at_provider,
    sign_in,
    sign_in_at_provider,
)
from playwright.sync_api import expect


def test_choose_municipality_log_in_and_report_an_idea(page, live_server, seeded):
    page.goto(live_server + "/")
    assert_accessible(page, "front page")
    page.get_by_role("link", name="Syddjurs Kommune").click()

    # Not logged in: the municipality's login page (the development login in the demo).
    page.wait_for_url("**/syddjurs/login**")
    assert_accessible(page, "login")
    page.locator("label", has_text="Medarbejder").first.click()
    page.get_by_role("button", name="Log ind").click()

    page.wait_for_url("**/syddjurs/processer")
    assert page.title().startswith("Processer · Syddjurs Kommune")
    assert_accessible(page, "process list")

    page.get_by_role("link", name="Indberet en idé").first.click()
    page.wait_for_url("**/processer/ny")
    assert_accessible(page, "intake form")

    # Sending it empty: Danish errors, and the page stays accessible.
    page.get_by_role("button", name="Send idéen").click()
    expect(page.get_by_text("Idéen kunne ikke gemmes")).to_be_visible()
    assert_accessible(page, "intake form with errors")

    page.get_by_label("Titel").fill("Automatisk registrering af sygemeldinger")
    page.get_by_label("Resumé").fill("Sygemeldinger tastes i dag ind to gange.")
    page.get_by_label("Beskrivelse", exact=True).fill("Lønkontoret bruger en time hver mandag.")
    page.get_by_role("button", name="Send idéen").click()

    page.wait_for_url("**/processer/*-*")
    expect(page.get_by_text("Tak! Din idé er modtaget")).to_be_visible()
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Automatisk registrering af sygemeldinger"
    )
    assert_accessible(page, "process detail")

    page.get_by_role("link", name="Alle processer").click()
    page.get_by_label("Søg", exact=True).fill("sygemeldinger")
    page.get_by_role("button", name="Vis").click()
    expect(page.get_by_role("link", name="Automatisk registrering af sygemeldinger")).to_be_visible()


def test_error_pages_are_accessible(page, live_server):
    page.goto(live_server + "/findes-ikke/processer")
    expect(page.get_by_role("heading", name="Siden findes ikke")).to_be_visible()
    assert_accessible(page, "404 page")


def test_list_filters_update_in_place_with_htmx(page, live_server, seeded):
    sign_in(page, live_server, "Automatiseringskonsulent")
    before = page.locator("#results tbody tr").count()
    page.get_by_label("Fase").select_option("operation")
    page.wait_for_url("**/processer?*phase=operation*")
    page.wait_for_function(
        "n => document.querySelectorAll('#results tbody tr').length < n", arg=before
    )
    assert page.locator("#results tbody tr").count() > 0
    assert all(
        cell.inner_text() == "I drift"
        for cell in page.locator(
            "#results tbody tr td:nth-child(4)"
        ).all()  # after Nr., Titel, Fagområder
    )
    assert page.get_by_role("heading", name="Processer").count() == 1  # swapped, not nested
    assert_accessible(page, "filtered list")


def test_sign_in_through_the_municipalitys_provider_and_report(
    page, live_server, alpha_provider
):
    alpha_provider.set_account(
        "mette", email="mette@alpha.dk", name="Mette Madsen", roles=["rpa-team"]
    )
    alpha_provider.connect(
        scopes="openid profile email roles", role_mapping={"rpa-team": "automation"}
    )
    page.goto(live_server + "/alpha/processer")
    page.get_by_role("link", name="Log ind via kommunens log-in").click()
    # The provider's own login page.
    sign_in_at_provider(page, alpha_provider.issuer, "mette")

    page.wait_for_url(live_server + "/alpha/processer")
    expect(page.locator(".portal-user").get_by_text("Mette Madsen")).to_be_visible()
    expect(page.locator(".portal-user").get_by_text("Automatiseringskonsulent")).to_be_visible()
    page.get_by_role("link", name="Indberet en idé").first.click()
    page.get_by_label("Titel").fill("Robot til lønrefusion")
    page.get_by_label("Resumé").fill("Refusioner søges automatisk hos Virk.")
    page.get_by_role("button", name="Send idéen").click()
    expect(page.get_by_text("Tak! Din idé er modtaget")).to_be_visible()
    expect(page.get_by_text("Mette Madsen").first).to_be_visible()

    page.get_by_role("button", name="Log af").click()
    confirm_logout_at_provider(page, alpha_provider.issuer)
    page.wait_for_url(live_server + "/alpha/logget-ud")
    expect(page.get_by_role("heading", name="Du er logget ud")).to_be_visible()
    assert_accessible(page, "logged-out page")


def test_administrator_and_operator_pages_are_accessible(page, live_server, seeded):
    sign_in(page, live_server, "Administrator")
    page.get_by_role("link", name="Administration").click()
    assert_accessible(page, "administration")
    for link, what in (
        ("Log-in og roller", "identity provider settings"),
        ("Brugere", "users"),
        ("API-nøgler", "API tokens"),
    ):
        page.get_by_role("link", name=link).first.click()
        assert_accessible(page, what)
    page.get_by_label("Hvad bruges nøglen til?").fill("Integration")
    page.get_by_role("button", name="Opret nøgle").click()
    assert page.locator("#new-token").inner_text().startswith("ap_")
    assert_accessible(page, "new API token")
    page.goto(live_server + "/syddjurs/hjaelp/roller")
    assert_accessible(page, "roles help")

    page.goto(live_server + "/operator/login")
    assert_accessible(page, "operator login")
    page.get_by_role("button", name="Log ind som demo-operatør").click()
    page.wait_for_url("**/operator/")
    assert_accessible(page, "operator console")
    page.get_by_role("link", name="Syddjurs Kommune").first.click()
    assert_accessible(page, "operator tenant page")
    page.goto(live_server + "/operator/kommuner/ny")
    page.get_by_role("button", name="Opret kommune").click()
    assert_accessible(page, "operator new tenant with errors")
    page.goto(live_server + "/operator/log")
    assert_accessible(page, "operator audit log")
    page.get_by_role("link", name="Processer pr. fase").click()  # the register's page
    page.wait_for_url("**/operator/processer/")
    assert_accessible(page, "operator processes per phase")


def test_report_assess_move_to_preanalysis_and_see_the_overview(page, live_server, seeded):
    # An employee reports an idea, with fagområde and time.
    sign_in(page, live_server, "Medarbejder", "norddjurs")
    page.get_by_role("link", name="Indberet en idé").first.click()
    page.get_by_label("Titel").fill("Automatisk afregning af tolkeregninger")
    page.get_by_label("Resumé").fill("Tolkeregninger tastes i dag ind i hånden.")
    page.get_by_label("Fagområde", exact=True).select_option(label="Social")
    page.get_by_label("Hvor mange gange om året?").fill("1.500")
    page.get_by_label("Hvor mange minutter tager det hver gang?").fill("6")
    assert_accessible(page, "intake form filled in")
    page.get_by_role("button", name="Send idéen").click()
    expect(page.get_by_text("Tak! Din idé er modtaget")).to_be_visible()
    url = page.url
    page.get_by_role("button", name="Log af").click()

    # The automation team assesses it and moves it to Foranalyse.
    sign_in(page, live_server, "Automatiseringskonsulent", "norddjurs")
    page.goto(url)
    assert_accessible(page, "process detail")
    page.get_by_role("link", name="Ret processen").click()
    assert_accessible(page, "edit form")
    page.get_by_label("Forventet automatiseringsgrad (%)").fill("80")
    page.get_by_label("Fase", exact=True).select_option(label="Foranalyse")
    page.get_by_label("Status", exact=True).select_option(label="I gang")
    page.get_by_role("button", name="Gem ændringerne").click()
    expect(page.get_by_text("Ændringerne er gemt.")).to_be_visible()
    expect(page.locator("#history").get_by_text("Idé → Foranalyse")).to_be_visible()
    assert page.locator("#expected-hours").inner_text() == "120"

    # The overview counts it under Social / Foranalyse, and the number leads to the list.
    page.get_by_role("link", name="Overblik").click()
    assert_accessible(page, "overview")
    row = page.locator("#overview-phases tr", has_text="Social")
    row.locator("td").nth(1).get_by_role("link").click()
    expect(page.get_by_role("link", name="Automatisk afregning af tolkeregninger")).to_be_visible()
    assert_accessible(page, "filtered list")

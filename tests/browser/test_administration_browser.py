"""The administrator's and the operator's forms, filled in Chromium under the app's own CSP:
service accounts and their tokens, the municipality's log, role errors on the users page;
creating a municipality from the list of 98, and suspending one with a reason."""

from __future__ import annotations

from browser_helpers import assert_accessible, assert_accessible_under_csp, sign_in
from playwright.sync_api import expect


def test_administrator_makes_a_service_account_and_its_token(csp_page, live_server, seeded):
    page = csp_page
    sign_in(page, live_server, "Administrator", "syddjurs")
    page.get_by_role("link", name="Administration").click()
    page.get_by_role("link", name="API-nøgler").first.click()
    # A colleague is not among whom a token can act as.
    options = page.locator("#user_id option").all_inner_texts()
    assert len(options) == 1 and options[0].startswith("Mig selv")

    page.get_by_role("button", name="Opret tjenestekonto").click()  # no name yet
    expect(page.locator("#error-summary").get_by_text("Tjenestekontoens navn:")).to_be_visible()
    page.get_by_label("Tjenestekontoens navn").fill("ESDH-integration")
    page.get_by_label("Automatiseringskonsulent").check()
    page.get_by_role("button", name="Opret tjenestekonto").click()
    expect(page.get_by_text("Tjenestekontoen ESDH-integration er oprettet.")).to_be_visible()

    page.get_by_label("Hvad bruges nøglen til?").fill("Journalisering")
    page.get_by_label("Nøglen handler som").select_option(
        label="Tjenestekonto: ESDH-integration (Medarbejder, Automatiseringskonsulent)"
    )
    page.get_by_role("button", name="Opret nøgle").click()
    assert page.locator("#new-token").inner_text().startswith("ap_")
    row = page.locator("#tokens tr", has_text="Journalisering")
    assert row.get_by_text("Tjenestekonto").is_visible() and row.get_by_text("af ").is_visible()

    page.get_by_role("link", name="Log", exact=True).click()
    log = page.locator("#audit-log")
    expect(log.get_by_text("API-nøgle oprettet")).to_be_visible()
    expect(log.get_by_text("Tjenestekonto oprettet")).to_be_visible()

    page.get_by_role("link", name="Brugere").first.click()
    page.get_by_label("Søg efter navn eller e-mailadresse").fill("esdh")
    page.get_by_role("button", name="Søg").click()
    expect(page.get_by_text("1 bruger fundet")).to_be_visible()
    expect(page.get_by_text("Tjenestekonto (kun API-nøgler, kan ikke logge ind)")).to_be_visible()
    # Unticking every role: the error is shown here, on the users page.
    checked = page.locator("input[name=roles]:checked")
    while checked.count():
        checked.first.uncheck()
    page.get_by_role("button", name="Gem roller").first.click()
    expect(page.get_by_role("heading", name="Brugere", exact=True)).to_be_visible()
    expect(page.locator("#error-summary").get_by_text("Roller: Vælg mindst én rolle.")).to_be_visible()


def test_operator_creates_a_municipality_from_the_list_and_suspends_it(
    csp_page, live_server, seeded
):
    page = csp_page
    page.goto(live_server + "/operator/login")
    page.get_by_role("button", name="Log ind som demo-operatør").click()
    page.wait_for_url("**/operator/")
    page.goto(live_server + "/operator/kommuner/ny")
    page.get_by_label("Vælg blandt landets kommuner").select_option(label="Greve Kommune (253)")
    page.get_by_role("button", name="Udfyld").click()
    assert page.locator("#name").input_value() == "Greve Kommune"
    assert page.get_by_label("Kommunekode").input_value() == "253"
    assert page.get_by_label("CVR-nummer").input_value() == "44023911"
    assert page.locator("#slug").input_value() == "greve"
    page.get_by_label("Første administrator").fill("it-chef@greve.dk")
    page.get_by_role("button", name="Opret kommunen").click()
    expect(page.get_by_text("Greve Kommune er oprettet.")).to_be_visible()
    expect(page.get_by_text("it-chef@greve.dk")).to_be_visible()

    # A name another municipality has is refused, naming the field.
    page.goto(live_server + "/operator/kommuner/ny")
    page.locator("#slug").fill("greve-igen")
    page.locator("#name").fill("Greve Kommune")
    page.get_by_role("button", name="Opret kommunen").click()
    assert page.get_by_role("link", name="Navn: Der findes allerede en kommune med dette navn.")

    page.goto(live_server + "/operator/kommuner/greve")
    page.get_by_role("link", name="Suspender kommunen").click()
    expect(page.get_by_text("Er du sikker?")).to_be_visible()
    page.get_by_role("button", name="Ja, suspender kommunen").click()
    expect(page.get_by_text("Skriv, hvorfor kommunen suspenderes.").first).to_be_visible()
    page.locator("#reason").fill("Aftalen er ikke underskrevet endnu.")
    page.get_by_role("button", name="Ja, suspender kommunen").click()
    expect(page.get_by_text("Greve Kommune er suspenderet.")).to_be_visible()
    page.goto(live_server + "/operator/log?kommune=greve")
    expect(page.get_by_text("Begrundelse: Aftalen er ikke underskrevet endnu.")).to_be_visible()


def test_the_new_pages_are_accessible(page, live_server, seeded):
    sign_in(page, live_server, "Administrator", "syddjurs")
    page.goto(live_server + "/syddjurs/admin/noegler")
    page.get_by_label("Tjenestekontoens navn").fill("Robot")
    page.get_by_role("button", name="Opret tjenestekonto").click()
    page.goto(live_server + "/syddjurs/admin/log")
    assert_accessible(page, "municipality's audit log")
    page.goto(live_server + "/syddjurs/admin/brugere?q=a")
    assert_accessible(page, "users page with a search")
    page.goto(live_server + "/operator/login")
    page.get_by_role("button", name="Log ind som demo-operatør").click()
    page.wait_for_url("**/operator/")
    page.goto(live_server + "/operator/kommuner/ny?kommune=253")
    assert_accessible(page, "new municipality picked from the list")
    page.goto(live_server + "/operator/kommuner/syddjurs/suspender")
    page.get_by_role("button", name="Ja, suspender kommunen").click()
    assert_accessible(page, "suspension with an error")


def test_administrator_previews_the_weights_as_typed_and_orders_the_fagomraader(
    csp_page, live_server, seeded
):
    """The register's settings in Chromium under the CSP: the top 10 follows the weights
    as they are typed (htmx), saving lands in the log, and the fagområder are reordered
    with the Flyt op buttons."""
    page = csp_page
    sign_in(page, live_server, "Administrator", "syddjurs")
    page.get_by_role("link", name="Administration").click()
    page.get_by_role("link", name="Indstillinger for registeret").click()
    preview = page.locator("#weights-preview tbody tr")
    order = "() => [...document.querySelectorAll('#weights-preview tbody tr')].map(r => r.dataset.number).join()"
    before = page.evaluate(order)
    assert preview.count() == 10
    assert_accessible_under_csp(page, "register settings")
    # Only the benefit counts: the order follows as it is typed, without saving.
    for name in ("Egnethed", "Lethed", "Strategisk match"):
        page.get_by_label(f"Vægt: {name}").fill("0")
    page.wait_for_function(f"b => ({order})() !== b", arg=before)
    expect(page.locator("#weights-preview").get_by_text("rykker op").first).to_be_visible()
    page.get_by_role("button", name="Gem indstillingerne").click()
    expect(page.get_by_text("Indstillingerne er gemt.")).to_be_visible()
    assert page.get_by_label("Vægt: Strategisk match").input_value() == "0"

    domains = page.locator("#domains tbody tr")
    second = domains.nth(1).locator("input[name=name]").input_value()
    domains.nth(1).get_by_role("button", name=f"Flyt op {second}").click()
    assert (
        page.locator("#domains tbody tr").first.locator("input[name=name]").input_value() == second
    )
    assert_accessible_under_csp(page, "register settings")
    page.get_by_role("link", name="Log", exact=True).click()
    log = page.locator("#audit-log")
    expect(log.get_by_text("Vægt: Strategisk match: 1.0 → 0.0")).to_be_visible()
    expect(log.get_by_text("Flyttet: ja")).to_be_visible()

"""The operator's moderation of the catalogue in a real browser under the app's CSP: the
list of entries by metadata, hiding one (first without a reason), the publisher seeing why,
with axe-core on each page. The demo has published entries from every municipality."""

from __future__ import annotations

from browser_helpers import assert_accessible_under_csp, sign_in
from playwright.sync_api import expect


def test_the_operator_hides_an_entry_and_the_publisher_sees_why(
    csp_page, new_page, live_server, seeded
):
    page = csp_page
    page.goto(live_server + "/operator/login")
    page.get_by_role("button", name="Log ind som demo-operatør").click()
    page.wait_for_url("**/operator/")
    page.get_by_role("link", name="Kataloget").first.click()
    page.wait_for_url("**/operator/katalog/")
    assert_accessible_under_csp(page, "operator's catalogue list")
    row = page.locator("#catalogue-entries tbody tr", has_text="Syddjurs Kommune").first
    title = row.locator("th a").inner_text()
    row.locator("th a").click()
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    assert_accessible_under_csp(page, "operator's catalogue entry")
    # The operator moderates; reuse is the municipalities': no forms, and a post is sent to
    # a municipality's login (the operator is signed in to no municipality).
    assert page.locator("#copy-form, #interest-form, #contact-link").count() == 0
    entry_id = page.url.rstrip("/").rsplit("/", 1)[1]
    token = page.locator("input[name=csrf_token]").first.input_value()
    for action in ("kopier", "interesse", "kontakt"):
        response = page.request.post(
            f"{live_server}/syddjurs/katalog/{entry_id}/{action}",
            form={"csrf_token": token, "body": "Hej"},
            max_redirects=0,
        )
        assert response.status == 302, action
        assert response.headers["location"].startswith("/syddjurs/login"), action

    page.get_by_role("button", name="Skjul posten").click()
    expect(page.get_by_text("Skriv, hvorfor katalogposten skjules.").first).to_be_visible()
    assert_accessible_under_csp(page, "operator's catalogue entry with an error")
    page.get_by_label("Årsag").fill("Posten nævner en borger ved navn.")
    page.get_by_role("button", name="Skjul posten").click()
    expect(page.get_by_text(f"“{title}” er skjult.")).to_be_visible()
    entry_path = page.url.split("/operator")[1]  # /katalog/<id>

    team = new_page()
    sign_in(team, live_server, "Automatiseringskonsulent", "syddjurs")
    team.goto(f"{live_server}/syddjurs{entry_path}")
    expect(team.get_by_text("Posten nævner en borger ved navn.")).to_be_visible()
    other = new_page()
    sign_in(other, live_server, "Medarbejder", "aarhus")
    response = other.goto(f"{live_server}/aarhus{entry_path}")
    assert response.status == 404

    page.get_by_role("button", name="Vis posten igen").click()
    expect(page.get_by_text(f"“{title}” er synlig igen.")).to_be_visible()

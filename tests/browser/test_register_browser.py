"""The process form in Chromium under the app's own Content-Security-Policy (no bypass):
the reporter saves their idea (issue 8, B8), and the team moves an idea through every phase
to I drift from the page, the fields each phase needs appearing as it is chosen (B9)."""

from __future__ import annotations

from browser_helpers import assert_accessible_under_csp as accessible
from browser_helpers import sign_in
from playwright.sync_api import expect


def report(page, live_server, title: str) -> None:
    page.goto(live_server + "/syddjurs/processer/ny")
    page.get_by_label("Titel").fill(title)
    page.get_by_label("Resumé").fill("Tolke bestilles i dag pr. telefon.")
    page.get_by_label("Fagområde").select_option(label="Social")
    page.get_by_label("Hvor mange gange om året?").fill("1.200")
    page.get_by_label("Hvor mange minutter tager det hver gang?").fill("7,5")
    page.get_by_role("button", name="Send idéen").click()
    page.wait_for_url("**/processer/*-*")


def save(page) -> None:
    page.get_by_role("button", name="Gem ændringerne").click()
    page.get_by_text("Ændringerne er gemt.").or_(page.locator("[data-error-summary]")).wait_for()
    errors = page.locator("[data-error-summary]")
    assert errors.count() == 0, errors.inner_text()


def test_the_reporter_saves_their_own_idea_from_its_edit_page(csp_page, live_server, seeded):
    page = csp_page
    sign_in(page, live_server, "Medarbejder")
    report(page, live_server, "Bestilling af tolk")
    page.get_by_role("link", name="Ret processen").click()
    page.wait_for_url("**/rediger")
    accessible(page, "reporter's edit form")
    # Only what the reporter may write: no automation share, no phase; the contact person is.
    assert page.locator("#automation_share_pct").count() == 0
    assert page.locator("#phase").count() == 0
    expect(page.get_by_label("Faglig kontaktperson")).to_be_visible()
    assert page.locator("#minutes_per_occurrence").input_value() == "7,5"
    page.get_by_label("Titel").fill("Bestilling af tolk via portalen")
    page.get_by_label("Minutter pr. gang").fill("8,5")
    save(page)
    main = page.locator("main").inner_text()
    assert "Bestilling af tolk via portalen" in main and "8,5" in main
    assert "Du må ikke ændre denne proces" not in main
    assert not page.csp_blocked, page.csp_blocked


def test_the_team_moves_an_idea_through_every_phase_to_operation(csp_page, live_server, seeded):
    page = csp_page
    sign_in(page, live_server, "Automatiseringskonsulent")
    report(page, live_server, "Robot til lønrefusion")
    show_url = page.url

    def edit() -> None:
        page.goto(show_url + "/rediger")

    def choose(phase: str, appears: str | None = None) -> None:
        """Choose the phase; htmx draws the fields it needs, without saving anything."""
        if appears:
            assert page.locator(appears).count() == 0, appears
        with page.expect_response(lambda r: r.request.method == "POST" and "/rediger" in r.url):
            page.get_by_label("Fase", exact=True).select_option(label=phase)
        page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-settling')")
        if appears:
            page.wait_for_selector(appears)
        assert (
            page.get_by_label("Fase", exact=True).evaluate("e => e.selectedOptions[0].text")
            == phase
        )

    edit()
    stored = page.locator("#stored-phase").inner_text()
    page.get_by_label("Kommentar til tidsforbruget").fill("Skønnet af lønkontoret")
    choose("Foranalyse", "#quality_gain")
    # What was typed before the fields were redrawn is still there; the header still shows
    # the stored phase; the button for a page without JavaScript is gone.
    assert (
        page.get_by_label("Kommentar til tidsforbruget").input_value() == "Skønnet af lønkontoret"
    )
    assert page.locator("#stored-phase").inner_text() == stored and stored.endswith("Idé")
    assert page.locator("#phase-refresh").count() == 0
    accessible(page, "edit form with the assessment opened")
    page.get_by_label("I hvor høj grad er input digitalt?").select_option(label="I høj grad")
    save(page)
    assert "Foranalyse" in page.locator(".app-facts").first.inner_text()

    edit()
    choose("Specifikation")
    page.get_by_label("Forventet automatiseringsgrad (%)").fill("80")
    page.get_by_label("Faglig kontaktperson").select_option(index=1)
    save(page)

    edit()
    choose("Udvikling")
    page.get_by_role("button", name="Gem ændringerne").click()
    # Refused: the errors name the fields in Danish and lead to them, now on the page.
    summary = page.locator("[data-error-summary]")
    assert summary.evaluate("e => e === document.activeElement")  # app.js moves the focus
    text = summary.inner_text()
    assert "Teknisk kontaktperson" in text and "Anvendt teknologi" in text
    assert "contact_id" not in text and "technologies" not in text
    assert page.locator("#stored-phase").inner_text().endswith("Specifikation")
    page.get_by_role("link", name="Anvendt teknologi: Skal udfyldes for fasen Udvikling.").click()
    assert page.evaluate("location.hash") == "#technologies"
    expect(page.locator("#technologies")).to_be_visible()
    page.locator("#technologies").fill("RPA (UiPath)")
    page.get_by_label("Teknisk kontaktperson").select_option(index=1)
    save(page)
    assert "RPA (UiPath)" in page.locator("main").inner_text()

    edit()
    choose("Implementering")
    save(page)

    edit()
    choose("I drift", "#what_worked")
    page.get_by_label("I drift fra").fill("2026-11-02")
    page.get_by_label("Kørselsfrekvens").select_option(label="Dagligt")
    page.get_by_label("Hvad virkede", exact=True).fill("Robotten kørte stabilt fra første dag.")
    save(page)
    facts = page.locator(".app-facts").first.inner_text()
    assert "I drift" in facts
    history = page.locator("#history").inner_text()
    assert "Implementering → I drift" in history and "Udvikling → Implementering" in history
    assert not page.csp_blocked, page.csp_blocked


def test_the_shareable_checkbox_is_drawn_beside_its_label(csp_page, live_server, seeded):
    """Issue 8, B13: in DKFDS's checkbox wrapper, not absolutely placed at the page's top."""
    page = csp_page
    sign_in(page, live_server, "Automatiseringskonsulent")
    report(page, live_server, "Bilag til deling")
    label = page.locator("label[for=attachment-shareable]")
    box = page.locator("#attachment-shareable").bounding_box()
    near = label.bounding_box()
    assert near["y"] > 300  # far down the page, under the attachments' heading
    assert abs(box["y"] - near["y"]) < 40 and abs(box["x"] - near["x"]) < 60, (box, near)
    label.click()
    assert page.locator("#attachment-shareable").is_checked()

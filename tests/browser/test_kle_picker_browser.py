"""The KLE picker in a real browser: search, choose with the keyboard, save; axe-core on
the edit page with the options open; and the search without JavaScript."""

from __future__ import annotations

import re

from browser_helpers import assert_accessible, sign_in
from playwright.sync_api import expect

PROCESS = "Selvbetjening og automatisk genbestilling af inkontinenshjælpemidler"  # Foranalyse


def open_edit_page(page, live_server) -> None:
    sign_in(page, live_server, "Automatiseringskonsulent")
    page.get_by_role("link", name=PROCESS).click()
    page.get_by_role("link", name="Ret processen").click()
    page.wait_for_url("**/rediger")


def test_search_choose_with_the_keyboard_and_save(page, live_server, seeded):
    open_edit_page(page, live_server)
    code = page.get_by_label("KLE-nummer", exact=True)
    chosen = page.locator("#kle_code-chosen")
    # The current code's title beside it.
    assert code.input_value() == "27.60.04"
    assert re.fullmatch(r"Valgt: 27\.60\.04 \S.*", chosen.inner_text())

    search = page.get_by_role("combobox", name="Søg i KLE")
    assert search.get_attribute("aria-expanded") == "false"
    search.press_sequentially("byggetilladelse", delay=20)
    options = page.get_by_role("listbox", name="KLE-emner").get_by_role("option")
    options.first.wait_for()
    assert search.get_attribute("aria-expanded") == "true"
    assert page.locator("#kle_code-status").inner_text().endswith("KLE-emner fundet.")
    assert options.nth(0).inner_text().startswith("02.34.00")

    # Down twice: 02.34.02 Byggetilladelse is the active option.
    search.press("ArrowDown")
    search.press("ArrowDown")
    active = page.locator("#" + search.get_attribute("aria-activedescendant"))
    assert active.get_attribute("aria-selected") == "true"
    assert active.inner_text().startswith("02.34.02 Byggetilladelse")
    assert_accessible(page, "edit form with the KLE options open")

    search.press("Enter")
    assert code.input_value() == "02.34.02"
    page.wait_for_function(
        "() => document.querySelector('#kle_code-chosen').textContent.trim()"
        " === 'Valgt: 02.34.02 Byggetilladelse'"
    )
    assert search.get_attribute("aria-expanded") == "false"
    assert page.url.endswith("/rediger")  # Enter chose; it did not submit anything
    assert_accessible(page, "edit form with a KLE topic chosen")

    # Typing a code shows its title too; Escape closes the options.
    code.fill("02.34.3")
    code.press_sequentially("0", delay=20)
    page.wait_for_function(
        "() => document.querySelector('#kle_code-chosen').textContent.includes('Nedrivning')"
    )
    code.fill("02.34.02")
    page.wait_for_function(
        "() => document.querySelector('#kle_code-chosen').textContent.includes('02.34.02')"
    )
    search.fill("02.34")
    options.first.wait_for()
    search.press("Escape")
    assert search.get_attribute("aria-expanded") == "false"
    expect(page.locator("#kle_code-results")).not_to_be_visible()

    page.get_by_role("button", name="Gem ændringerne").click()
    page.wait_for_url(re.compile(r".*/processer/[0-9a-f-]+$"))
    expect(page.get_by_text("Ændringerne er gemt.")).to_be_visible()
    facts = page.locator("dl.app-facts", has_text="KLE-nummer")
    assert "02.34.02" in facts.inner_text()


def test_a_click_chooses_too(page, live_server, seeded):
    open_edit_page(page, live_server)
    page.get_by_role("combobox", name="Søg i KLE").fill("faktura")
    status = page.locator("#kle_code-status")
    page.wait_for_function("() => document.querySelector('#kle_code-status').textContent")
    assert status.inner_text() == "Ingen KLE-emner passer til „faktura“."
    expect(page.locator("#kle_code-results").get_by_text("Ingen KLE-emner")).to_be_visible()
    search = page.get_by_role("combobox", name="Søg i KLE")
    search.fill("02.34")
    page.get_by_role("option", name=re.compile(r"^02\.34\.30 Nedrivning")).click()
    assert page.get_by_label("KLE-nummer", exact=True).input_value() == "02.34.30"
    assert search.evaluate("e => e === document.activeElement")


def test_without_javascript_the_search_opens_the_lookup_page(browser, live_server, seeded):
    context = browser.new_context(java_script_enabled=False, bypass_csp=True, locale="da-DK")
    try:
        page = context.new_page()
        open_edit_page(page, live_server)
        search = page.get_by_role("searchbox", name="Søg i KLE")
        search.fill("byggetilladelse")
        with context.expect_page() as new_window:
            page.get_by_role("button", name="Søg (åbner et nyt vindue)").click()
        lookup = new_window.value
        lookup.wait_for_load_state()
        expect(lookup.get_by_role("cell", name="02.34.02", exact=True)).to_be_visible()
        assert page.url.endswith("/rediger")  # what was typed in the form stays
        # The server still checks a typed code.
        code = page.get_by_label("KLE-nummer", exact=True)
        code.fill("99.99.99")
        page.get_by_role("button", name="Gem ændringerne").click()
        expect(page.get_by_text("KLE-emnet findes ikke.").first).to_be_visible()
    finally:
        context.close()


def test_without_htmx_the_search_still_opens_the_lookup_page(page, live_server, seeded):
    # JavaScript runs but htmx did not load (blocked, a failed download): the picker is not
    # enhanced, so Enter and the search button still open the look-up page.
    page.route("**/htmx.min.js*", lambda route: route.abort())
    open_edit_page(page, live_server)
    assert page.evaluate("() => window.htmx === undefined")
    search = page.locator("#kle_code-search")
    search.fill("byggetilladelse")
    with page.context.expect_page(timeout=5000) as new_window:
        search.press("Enter")
    lookup = new_window.value
    lookup.wait_for_load_state()
    expect(lookup.get_by_role("cell", name="02.34.02", exact=True)).to_be_visible()
    lookup.close()
    with page.context.expect_page(timeout=5000) as new_window:
        page.get_by_role("button", name="Søg (åbner et nyt vindue)").click()
    lookup = new_window.value
    lookup.wait_for_load_state()
    expect(lookup.get_by_role("cell", name="02.34.02", exact=True)).to_be_visible()
    assert page.url.endswith("/rediger")  # what was typed in the form stays
    # A plain search field, as without JavaScript: no combobox without options.
    assert page.get_by_role("searchbox", name="Søg i KLE").get_attribute("aria-expanded") is None
    expect(page.get_by_text("Vælg et emne med pil ned og Enter.")).not_to_be_visible()
    # The code typed as a Danish number pad gives it is saved as 02.34.02.
    page.get_by_label("KLE-nummer", exact=True).fill("02,34,02")
    page.get_by_role("button", name="Gem ændringerne").click()
    page.wait_for_url(re.compile(r".*/processer/[0-9a-f-]+$"))
    facts = page.locator("dl.app-facts", has_text="KLE-nummer")
    assert "02.34.02 Byggetilladelse" in facts.inner_text()

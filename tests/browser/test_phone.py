"""Reporting an idea on a phone: the intake form fits a narrow screen and can be sent."""

from __future__ import annotations

import pytest
from browser_helpers import PHONE, assert_accessible, assert_accessible_under_csp, sign_in
from playwright.sync_api import expect


@pytest.fixture
def phone(new_page):
    return new_page(bypass_csp=True, **PHONE)


@pytest.fixture
def csp_phone(new_page):
    """The phone, keeping the app's own CSP (DKFDS's menu script must run under it)."""
    return new_page(**PHONE)


def fits(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def test_report_an_idea_on_a_phone(phone, live_server, seeded):
    page = phone
    sign_in(page, live_server, "Medarbejder")
    page.goto(live_server + "/syddjurs/processer/ny")
    assert fits(page), "the intake form is wider than the phone"
    assert_accessible(page, "intake form on a phone")

    page.get_by_label("Titel").fill("Bestilling af tolk")
    page.get_by_label("Resumé").fill("Tolke bestilles i dag pr. telefon og noteres i et regneark.")
    page.get_by_label("Fagområde").select_option(index=1)
    page.get_by_label("Hvor mange gange om året?").fill("1.200")
    page.get_by_label("Hvor mange minutter tager det hver gang?").fill("7,5")
    page.get_by_role("button", name="Send idéen").tap()
    page.wait_for_url("**/processer/*-*")
    expect(page.get_by_text("Tak! Din idé er modtaget")).to_be_visible()
    assert fits(page), "the process page is wider than the phone"
    text = page.locator("main").inner_text()
    assert "1.200" in text and "7,5" in text  # Danish number formats, read and shown


def test_the_menu_user_and_log_off_on_a_phone(csp_phone, live_server, seeded):
    """Issue 8, B11: DKFDS's mobile menu holds the navigation, the user and "Log af"."""
    page = csp_phone
    sign_in(page, live_server, "Automatiseringskonsulent")
    menu = page.get_by_role("button", name="Menu")
    expect(menu).to_be_visible()
    drawer = page.locator("#mobile-drawer")
    expect(drawer).not_to_be_visible()
    assert not page.locator(".portal-user").is_visible()  # DKFDS hides it on a phone
    assert fits(page)
    assert_accessible_under_csp(page, "list on a phone")
    menu.tap()
    drawer.wait_for(state="visible")
    expect(drawer.get_by_role("link", name="Overblik")).to_be_visible()
    expect(drawer.get_by_text("Automatiseringskonsulent")).to_be_visible()
    assert page.evaluate("document.activeElement.textContent.trim()") == "Luk menuen"
    assert_accessible_under_csp(page, "open menu on a phone")
    page.get_by_role("button", name="Luk menuen").tap()
    drawer.wait_for(state="hidden")
    menu.tap()
    drawer.get_by_role("link", name="Overblik").tap()
    page.wait_for_url("**/syddjurs/overblik")
    page.get_by_role("button", name="Menu").tap()
    page.locator("#mobile-drawer").get_by_role("button", name="Log af").tap()
    page.wait_for_url(lambda url: "overblik" not in url)
    page.goto(live_server + "/syddjurs/processer")
    assert "/login" in page.url  # signed out


def test_the_list_on_a_phone_shows_results_before_folded_filters(csp_phone, live_server, seeded):
    page = csp_phone
    sign_in(page, live_server, "Automatiseringskonsulent")
    results = page.locator("#results table").bounding_box()
    panel = page.locator("[data-filter-panel]")
    assert panel.bounding_box()["y"] > results["y"]  # the results first
    assert panel.evaluate("e => e.open") is False  # folded
    assert page.get_by_label("Søg", exact=True).is_visible() and not page.get_by_label("Fagområde").is_visible()
    # The key columns fit the phone, readable: number, title, phase, status.
    headers = [
        h.strip() for h in page.locator("#results thead th:visible").all_inner_texts() if h.strip()
    ]
    assert headers == ["Nr.", "Titel", "Fase", "Status"], headers
    title = page.locator("#results tbody tr").first.locator("td").nth(1).bounding_box()
    assert title["width"] >= 120 and title["x"] + title["width"] <= 375
    assert fits(page)
    # Opening the panel and choosing a filter updates the results (htmx, under the CSP).
    page.locator("[data-filter-panel] > summary").tap()
    page.get_by_label("Fase").select_option("operation")
    page.wait_for_url("**phase=operation*")
    assert panel.evaluate("e => e.open") is True


def test_the_catalogue_fits_a_phone(csp_phone, live_server, seeded):
    """The search, every demo entry (its facts, lessons and benefit in two columns on a wide
    screen) and the contact form fit the phone, under the CSP."""
    page = csp_phone
    sign_in(page, live_server, "Medarbejder", slug="norddjurs")
    page.goto(live_server + "/norddjurs/katalog?sort=newest")
    assert fits(page), "the catalogue search is wider than the phone"
    links = page.locator("#entries li h2 a")
    urls = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert len(urls) >= 4
    others = []  # the entries of other municipalities (with the contact button)
    for url in urls:
        page.goto(live_server + url)
        assert fits(page), f"the catalogue entry {url} is wider than the phone"
        if page.locator("#contact-link").count():
            others.append(url)
    page.goto(live_server + others[0])
    assert_accessible_under_csp(page, "catalogue entry on a phone")
    page.get_by_role("link", name="Kontakt kommunen").tap()
    page.wait_for_url("**/kontakt")
    assert fits(page), "the contact form is wider than the phone"
    # Every process page, with its similar entries and its files (a table scrolling in its
    # box: its visually hidden texts once widened the page).
    page.goto(live_server + "/norddjurs/processer?per_page=100")
    links = page.locator("#results tbody a")
    processes = [links.nth(i).get_attribute("href") for i in range(links.count())]
    seen = {"similar": 0, "files": 0, "axe": 0}
    for url in processes:
        page.goto(live_server + url)
        assert fits(page), f"the process page {url} is wider than the phone"
        seen["similar"] += page.locator("#catalogue-similar").count()
        seen["files"] += page.locator(".app-attachments").count()
        if not seen["axe"] and seen["similar"] and page.locator(".app-attachments").count():
            assert_accessible_under_csp(page, "process page with files and similar entries")
            seen["axe"] = 1
    assert seen["similar"] and seen["files"], seen
    assert not page.csp_blocked, page.csp_blocked

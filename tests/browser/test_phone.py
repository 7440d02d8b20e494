"""Reporting an idea on a phone: the intake form fits a narrow screen and can be sent."""

from __future__ import annotations

import pytest
from browser_helpers import assert_accessible

pytestmark = pytest.mark.browser


@pytest.fixture
def phone(browser):
    # An iPhone SE-sized screen, touch, Danish.
    context = browser.new_context(
        bypass_csp=True,
        locale="da-DK",
        viewport={"width": 375, "height": 667},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    yield page
    context.close()


def fits(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def test_report_an_idea_on_a_phone(phone, live_server, seeded):
    page = phone
    page.goto(live_server + "/syddjurs/login")
    page.locator("label", has_text="Medarbejder").first.click()
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_url("**/syddjurs/processer")
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
    assert page.get_by_text("Tak! Din idé er modtaget").is_visible()
    assert fits(page), "the process page is wider than the phone"
    text = page.locator("main").inner_text()
    assert "1.200" in text and "7,5" in text  # Danish number formats, read and shown

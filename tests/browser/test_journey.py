"""An employee's first journey in a real browser, with axe-core on every page."""

from __future__ import annotations

import pytest
from browser_helpers import assert_accessible

pytestmark = pytest.mark.browser


@pytest.fixture
def seeded(demo_app):
    from autoproces.platform.db import db
    from autoproces.platform.demo import seed_demo

    with demo_app.app_context():
        seed_demo()
        db.session.commit()


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
    assert page.get_by_text("Idéen kunne ikke gemmes").is_visible()
    assert_accessible(page, "intake form with errors")

    page.get_by_label("Titel").fill("Automatisk registrering af sygemeldinger")
    page.get_by_label("Resumé").fill("Sygemeldinger tastes i dag ind to gange.")
    page.get_by_label("Beskrivelse").fill("Lønkontoret bruger en time hver mandag.")
    page.get_by_role("button", name="Send idéen").click()

    page.wait_for_url("**/processer/*-*")
    assert page.get_by_text("Tak! Din idé er modtaget").is_visible()
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Automatisk registrering af sygemeldinger"
    )
    assert_accessible(page, "process detail")

    page.get_by_role("link", name="Alle processer").click()
    page.get_by_label("Søg").fill("sygemeldinger")
    page.get_by_role("button", name="Vis").click()
    assert page.get_by_role("link", name="Automatisk registrering af sygemeldinger").is_visible()


def test_error_pages_are_accessible(page, live_server):
    page.goto(live_server + "/findes-ikke/processer")
    assert page.get_by_role("heading", name="Siden findes ikke").is_visible()
    assert_accessible(page, "404 page")


def test_list_filters_update_in_place_with_htmx(page, live_server, seeded):
    page.goto(live_server + "/syddjurs/login")
    page.locator("label", has_text="Automatiseringskonsulent").first.click()
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_url("**/syddjurs/processer")
    before = page.locator("#results tbody tr").count()
    page.get_by_label("Fase").select_option("operation")
    page.wait_for_url("**/processer?*phase=operation*")
    page.wait_for_function(
        "n => document.querySelectorAll('#results tbody tr').length < n", arg=before
    )
    assert page.locator("#results tbody tr").count() > 0
    assert all(
        cell.inner_text() == "I drift"
        for cell in page.locator("#results tbody tr td:nth-child(2)").all()
    )
    assert page.get_by_role("heading", name="Processer").count() == 1  # swapped, not nested
    assert_accessible(page, "filtered list")

"""The steering group's backlog and matrix in Chromium under the app's own CSP: a manager
orders the backlog by keyboard ("Flyt op" with Tab and Enter) and views the benefit–ease
matrix (the chart draws, the table alternative is there), with axe-core on both pages."""

from __future__ import annotations

from browser_helpers import assert_accessible_under_csp as accessible
from browser_helpers import sign_in
from playwright.sync_api import expect


def _titles(page) -> list[str]:
    return page.locator("#backlog tbody tr td:nth-child(3) a").all_inner_texts()


def test_a_manager_orders_the_backlog_by_keyboard_and_views_the_matrix(
    csp_page, live_server, seeded
):
    page = csp_page
    sign_in(page, live_server, "Leder")
    page.get_by_role("link", name="Prioritering").first.click()
    page.wait_for_url("**/syddjurs/prioritering")
    accessible(page, "backlog")
    before = _titles(page)
    assert len(before) >= 3
    # The keyboard: focus the second row's "Flyt op" and press Enter.
    button = page.locator("#backlog tbody tr").nth(1).get_by_role("button", name="Flyt op")
    button.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    after = _titles(page)
    assert after[:2] == [before[1], before[0]], (before[:3], after[:3])
    assert (
        page.locator("#backlog tbody tr")
        .first.locator("[data-col=position]")
        .inner_text()
        .startswith("1")
    )
    # Down again by keyboard: Tab from the first row's link to its buttons.
    row = page.locator("#backlog tbody tr").first
    row.get_by_role("button", name="Flyt ned").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert _titles(page)[:2] == before[:2]
    page.get_by_role("link", name="Se gevinst-lethed-matricen").click()
    page.wait_for_url("**/prioritering/matrix**")
    page.wait_for_function("document.getElementById('matrix-chart').dataset.rendered !== undefined")
    # Chart.js drew under the CSP, with as many dots as the table alternative has rows.
    assert page.evaluate("Chart.getChart(document.getElementById('matrix-chart')) !== undefined")
    dots = int(page.locator("#matrix-chart").get_attribute("data-rendered"))
    assert dots == page.locator("#matrix-table tbody tr[data-quadrant]").count()
    expect(page.locator("#matrix-table")).to_be_visible()
    assert "Hurtige gevinster" in page.locator("main").inner_text()
    accessible(page, "matrix")
    assert not page.csp_blocked, page.csp_blocked


def test_the_automation_team_orders_the_backlog_by_drag_and_drop(csp_page, live_server, seeded):
    """The script's drop fills the buttons' POST form: the third row dropped on the first
    goes before it; then a row dragged downwards goes after the row it is dropped on."""
    page = csp_page
    sign_in(page, live_server, "Automatiseringskonsulent")
    # Rows with their factors are tall: both ends of a drag must be on the screen.
    page.set_viewport_size({"width": 1400, "height": 2400})
    page.goto(f"{live_server}/syddjurs/prioritering")
    before = _titles(page)
    assert len(before) >= 3
    rows = page.locator("#backlog tbody tr")
    with page.expect_navigation():
        rows.nth(2).drag_to(rows.nth(0))
    after = _titles(page)
    assert after[:3] == [before[2], before[0], before[1]], (before[:3], after[:3])
    rows = page.locator("#backlog tbody tr")
    with page.expect_navigation():
        rows.nth(0).drag_to(rows.nth(1))
    assert _titles(page)[:3] == [before[0], before[2], before[1]]
    assert not page.csp_blocked, page.csp_blocked

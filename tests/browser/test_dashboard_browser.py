"""The dashboard ("Overblik") in Chromium under the app's own Content-Security-Policy: the
charts are drawn by the app's own script from the page's JSON, every chart has its table,
axe-core finds nothing, the fagområde filter narrows it and a number leads to the list."""

from __future__ import annotations

from browser_helpers import assert_accessible_under_csp as accessible
from browser_helpers import sign_in
from playwright.sync_api import expect

CHARTS = (
    "chart-phases",
    "chart-statuses",
    "chart-trend",
    "chart-benefit",
    "chart-technologies",
    "chart-vendors",
)


def drawn(page) -> list[str]:
    """The canvases Chart.js has drawn a chart on."""
    return page.evaluate(
        """(ids) => ids.filter((id) => {
            const canvas = document.getElementById(id);
            return canvas && window.Chart && window.Chart.getChart(canvas) !== undefined
                && canvas.width > 0;
        })""",
        list(CHARTS),
    )


def test_a_manager_reads_the_dashboard_with_its_charts_and_tables(csp_page, live_server, seeded):
    page = csp_page
    sign_in(page, live_server, "Leder")
    page.get_by_role("link", name="Overblik").first.click()
    page.wait_for_url("**/syddjurs/overblik")
    page.wait_for_function("() => window.Chart !== undefined")
    assert drawn(page) == list(CHARTS)
    for table in ("#dashboard-phases", "#dashboard-statuses", "#dashboard-trend",
                  "#dashboard-benefit", "#overview-phases"):
        expect(page.locator(table)).to_be_visible()
    accessible(page, "dashboard")
    assert not page.csp_blocked, page.csp_blocked

    # One fagområde: the charts are drawn again for it.
    page.get_by_label("Fagområde", exact=True).select_option(label="Social")
    page.get_by_role("button", name="Vis").click()
    page.wait_for_url("**/overblik?domain=*")
    page.wait_for_function("() => window.Chart !== undefined")
    expect(page.get_by_role("heading", name="Overblik: Social")).to_be_visible()
    assert drawn(page) == list(CHARTS)
    accessible(page, "dashboard for one fagområde")

    # The number of ideas leads to the list of exactly those.
    cell = page.locator("#dashboard-phases tr[data-phase='idea'] a")
    if cell.count():
        number = int(cell.inner_text().replace(".", ""))
        cell.click()
        page.wait_for_url("**/processer?*phase=idea*")
        assert page.locator("#result-count").inner_text().startswith(f"{number} proces")
    assert not page.csp_blocked, page.csp_blocked


def test_an_employee_has_no_dashboard(csp_page, live_server, seeded):
    page = csp_page
    sign_in(page, live_server, "Medarbejder")
    assert page.get_by_role("link", name="Overblik").count() == 0
    response = page.goto(live_server + "/syddjurs/overblik")
    assert response.status == 403

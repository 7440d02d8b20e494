"""Bad input in real forms, in Chromium under the app's own CSP: pasted control characters
are cleaned, an over-long text gets the Danish message at its field, nothing is a 500."""

from __future__ import annotations

import pytest
from browser_helpers import sign_in
from playwright.sync_api import expect
from sqlalchemy import text

PASTED = "Idé fra Word\x0bmed linjeskift\x01 og \x1b\ufffftegn"


@pytest.mark.parametrize("role", ["Medarbejder", "Automatiseringskonsulent"])
def test_the_intake_form_takes_pasted_text_and_names_an_over_long_field(
    csp_page, live_server, seeded, su_engine, role
):
    page = csp_page
    statuses: list[int] = []
    page.on("response", lambda r: statuses.append(r.status))
    sign_in(page, live_server, role)
    page.goto(live_server + "/syddjurs/processer/ny")
    page.get_by_label("Titel").fill("Tolk " + role)
    page.get_by_label("Resumé").fill(PASTED)
    page.get_by_label("Beskrivelse", exact=True).fill("x" * 20_001)
    page.get_by_label("Fagområde").select_option(index=1)
    page.get_by_role("button", name="Send idéen").click()
    page.wait_for_load_state()
    error = page.locator("#description-error")
    assert error.inner_text().strip() == "Højst 20000 tegn."
    expect(page.get_by_role("link", name="Beskrivelse: Højst 20000 tegn.")).to_be_visible()

    page.get_by_label("Beskrivelse", exact=True).fill("Kort beskrivelse")
    page.get_by_role("button", name="Send idéen").click()
    page.wait_for_url("**/processer/*-*")
    expect(page.get_by_text("Tak! Din idé er modtaget")).to_be_visible()
    with su_engine.connect() as conn:
        summary = conn.scalar(
            text("select summary from process where title = :t"), {"t": "Tolk " + role}
        )
    # A browser sends a textarea's line breaks as CRLF.
    assert summary.replace("\r\n", "\n") == "Idé fra Word\nmed linjeskift og tegn", repr(summary)
    assert all(s < 500 for s in statuses), statuses

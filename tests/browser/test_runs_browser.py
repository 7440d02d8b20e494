"""Realised runs in a real browser: the team uploads a Danish Excel CSV (a bad one first,
then a good one) and sees the realised hours on the process page, with axe-core."""

from __future__ import annotations

import re

from browser_helpers import assert_accessible, sign_in
from playwright.sync_api import expect


def test_the_team_uploads_runs_and_sees_realised_hours(page, live_server, seeded, tmp_path):
    sign_in(page, live_server, "Automatiseringskonsulent")
    hrefs = page.eval_on_selector_all("a[href*='/processer/']", "links => links.map(a => a.href)")
    uuid = re.compile(r"/processer/[0-9a-f]{8}-[0-9a-f-]{27}$")
    page.goto(next(h for h in hrefs if uuid.search(h)))
    hint = page.get_by_text(re.compile(r"Brug processens nummer \d+ som reference"))
    number = re.search(r"nummer (\d+)", hint.inner_text())[1]
    assert page.get_by_test_id("realised-hours").inner_text() == "Ingen kørsler indlæst"
    process_url = page.url

    page.get_by_role("link", name="Indlæs kørsler fra RPA-værktøjet (CSV)").click()
    bad = tmp_path / "kørsler-fejl.csv"
    bad.write_bytes(
        f"\ufeffNummer;Måned;Kørsler;Minutter pr. kørsel\r\n{number};2026-01;-5;6,5\r\n".encode()
    )
    page.get_by_label("CSV-fil").set_input_files(str(bad))
    page.get_by_role("button", name="Indlæs filen").click()
    expect(page.get_by_text("Filen blev ikke indlæst. Intet er gemt.")).to_be_visible()
    expect(page.get_by_text("Linje 2, kolonne “Kørsler”: Må ikke være negativ.")).to_be_visible()
    assert_accessible(page, "runs upload with errors")

    good = tmp_path / "kørsler.csv"
    good.write_bytes(
        f"\ufeffNummer;Måned;Kørsler;Minutter pr. kørsel\r\n{number};2026-01;310;6\r\n".encode()
    )
    page.get_by_label("CSV-fil").set_input_files(str(good))
    page.get_by_role("button", name="Indlæs filen").click()
    expect(page.get_by_text("Kørslerne er indlæst.")).to_be_visible()
    assert_accessible(page, "runs upload done")

    page.goto(process_url)
    # 310 × 6 min = 31 hours in January (31 days): 31 × 365 / 31 = 365.0 hours a year.
    assert page.get_by_test_id("realised-hours").inner_text() == "365"
    expect(page.get_by_role("table", name="Indlæste kørsler")).to_be_visible()
    assert_accessible(page, "process page with realised runs")

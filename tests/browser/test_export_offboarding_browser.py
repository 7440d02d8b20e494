"""Export and offboarding in Chromium under the app's own CSP: the administrator orders the
municipality's export, the worker makes it, the administrator downloads it once; the
operator signs in with password and TOTP and schedules (and cancels) a municipality's
deletion."""

from __future__ import annotations

import io
import json
import zipfile

import pyotp
from browser_helpers import assert_accessible_under_csp, sign_in
from playwright.sync_api import expect


def run_worker_jobs(app) -> None:
    from autoproces.platform.export.services import run_due

    with app.app_context():
        run_due()


def test_the_administrator_orders_the_export_and_downloads_it_once(
    csp_page, live_server, seeded, browser_app
):
    page = csp_page
    sign_in(page, live_server, "Administrator", "syddjurs")
    page.get_by_role("link", name="Administration").click()
    page.get_by_role("link", name="Eksport").first.click()
    expect(page.get_by_role("heading", name="Eksport af kommunens data")).to_be_visible()
    page.get_by_role("button", name="Bestil eksport").click()
    expect(page.get_by_text("Eksporten er bestilt.")).to_be_visible()
    row = page.locator("#exports tbody tr").first
    expect(row.locator(".export-status")).to_have_text("Venter")
    assert_accessible_under_csp(page, "export page")

    run_worker_jobs(browser_app)
    page.reload()
    row = page.locator("#exports tbody tr").first
    expect(row.locator(".export-status")).to_have_text("Klar")
    link = row.get_by_role("link", name="Hent eksporten")
    href = link.get_attribute("href")
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename.startswith("autoproces-syddjurs-")
    archive = zipfile.ZipFile(io.BytesIO(open(download.path(), "rb").read()))
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["municipality"]["slug"] == "syddjurs"
    processes = json.loads(archive.read("data/processes.json"))
    assert len(processes) > 0
    assert "autoproces.xlsx" in archive.namelist()

    page.reload()
    expect(page.locator("#exports tbody tr").first.locator(".export-status")).to_contain_text(
        "Hentet"
    )
    expect(page.get_by_role("link", name="Hent eksporten")).to_have_count(0)
    # Opening the link again: a Danish page saying it was taken, not a file.
    response = page.goto(live_server + href)
    assert response.status == 410
    expect(page.get_by_text("Eksporten er allerede hentet")).to_be_visible()
    assert not page.csp_blocked, page.csp_blocked


def test_the_operator_schedules_and_cancels_a_municipalitys_deletion(
    csp_page, live_server, seeded, browser_app
):
    from autoproces.platform.db import db
    from autoproces.platform.operator.services import create_local_operator

    with browser_app.app_context():
        account = create_local_operator("drift@os2.dk", "Drift", password="en-lang-adgangskode")
        db.session.commit()
    page = csp_page
    page.goto(live_server + "/operator/login")
    page.get_by_label("E-mailadresse").fill("drift@os2.dk")
    page.get_by_label("Adgangskode").fill("en-lang-adgangskode")
    page.get_by_label("Engangskode").fill(pyotp.TOTP(account.totp_secret).now())
    page.locator("form").get_by_role("button", name="Log ind", exact=True).click()
    page.wait_for_url("**/operator/")

    page.goto(live_server + "/operator/kommuner/norddjurs")
    page.get_by_role("link", name="Planlæg sletning af kommunen").click()
    expect(page.get_by_text("Er du sikker?")).to_be_visible()
    assert page.get_by_label("Dage til sletning").input_value() == "30"
    assert_accessible_under_csp(page, "offboarding form")
    page.get_by_role("button", name="Planlæg sletningen").click()  # nothing chosen yet
    summary = page.locator(".alert-error")
    expect(
        summary.get_by_text("Vælg, hvad der skal ske med kommunens katalogindgange.")
    ).to_be_visible()
    expect(summary.get_by_text("Skriv kommunens adressenavn (norddjurs).")).to_be_visible()
    assert_accessible_under_csp(page, "offboarding form with errors")

    page.get_by_label("Dage til sletning").fill("14")
    page.get_by_label('Bliver stående som "en kommune"').check()
    page.get_by_label("Årsag").fill("Aftalen er opsagt.")
    page.get_by_label("Bekræft med adressenavnet").fill("norddjurs")
    page.get_by_role("button", name="Planlæg sletningen").click()
    expect(page.get_by_text("Norddjurs Kommune slettes")).to_be_visible()
    notice = page.locator("#offboarding")
    expect(notice.get_by_text("Planlagt af drift@os2.dk")).to_be_visible()
    expect(page.get_by_text("Kommunen er suspenderet")).to_be_visible()
    # The export made for the operator is on the page.
    expect(page.locator("#exports .export-status").first).to_have_text("Venter")
    assert_accessible_under_csp(page, "municipality with a deletion planned")

    page.get_by_role("button", name="Annullér sletningen").click()
    expect(page.get_by_text("Sletningen af Norddjurs Kommune er annulleret.")).to_be_visible()
    expect(page.locator("#offboarding")).to_have_count(0)
    page.goto(live_server + "/operator/log?kommune=norddjurs")
    expect(page.get_by_text("Sletning planlagt").first).to_be_visible()
    expect(page.get_by_text("Sletning annulleret").first).to_be_visible()
    assert not page.csp_blocked, page.csp_blocked

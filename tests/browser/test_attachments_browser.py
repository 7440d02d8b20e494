"""Attachments in a real browser: a file sent with an idea, shared and downloaded by the
team, with axe-core on the pages that show them."""

from __future__ import annotations

from browser_helpers import assert_accessible, sign_in
from playwright.sync_api import expect

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


def test_report_an_idea_with_a_file_then_share_and_download_it(page, live_server, seeded, tmp_path):
    pdf = tmp_path / "Blanket for kørsel.pdf"
    pdf.write_bytes(PDF)
    wrong = tmp_path / "regneark.xlsx"
    wrong.write_bytes(b"not a spreadsheet")

    sign_in(page, live_server, "Automatiseringskonsulent")
    page.get_by_role("link", name="Indberet en idé").first.click()
    page.get_by_label("Titel").fill("Kørselsgodtgørelse uden tastearbejde")
    page.get_by_label("Resumé").fill("Kørselsblanketter tastes i dag manuelt.")
    # A file whose bytes are not what its name says: the idea is not saved, the error is shown.
    page.get_by_label("Vedhæft filer").set_input_files(str(wrong))
    page.get_by_role("button", name="Send idéen").click()
    expect(page.get_by_text("Filens indhold passer ikke til filtypen .xlsx.").first).to_be_visible()
    assert_accessible(page, "intake form with a refused file")

    page.get_by_label("Vedhæft filer").set_input_files(str(pdf))
    page.get_by_label("Beskrivelse af filerne").fill("Den blanket borgerne sender")
    page.get_by_role("button", name="Send idéen").click()
    page.wait_for_url("**/processer/*-*")
    link = page.get_by_role("link", name="Blanket for kørsel.pdf")
    expect(link).to_be_visible()
    expect(page.get_by_text("Den blanket borgerne sender")).to_be_visible()
    assert_accessible(page, "process page with an attachment")

    # The team marks it for sharing with other municipalities.
    page.get_by_role("button", name="Del", exact=True).click()
    page.wait_for_url("**#bilag")
    expect(page.get_by_text("deles, når processen offentliggøres")).to_be_visible()
    expect(page.get_by_role("button", name="Del ikke")).to_be_visible()

    with page.expect_download() as download:
        page.get_by_role("link", name="Blanket for kørsel.pdf").click()
    path = download.value.path()
    assert download.value.suggested_filename == "Blanket for kørsel.pdf"
    assert open(path, "rb").read() == PDF

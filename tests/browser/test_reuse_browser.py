"""Reusing a catalogue entry in a real browser: the team publishes through the preview,
another municipality finds the entry by searching, signals interest, copies the entry into its
register and writes to the publisher, who reads it in the inbox; axe-core
on each page."""

from __future__ import annotations

from browser_helpers import assert_accessible, sign_in


def test_another_municipality_reuses_an_entry(new_page, live_server, seeded):
    team = new_page(bypass_csp=True)
    sign_in(team, live_server, "Automatiseringskonsulent")
    team.get_by_role("link", name="Indberet en idé").first.click()
    team.get_by_label("Titel").fill("Kontrol af leverandørfakturaer")
    team.get_by_label("Resumé").fill("Fakturaer kontrolleres automatisk mod ordren.")
    team.get_by_role("button", name="Send idéen").click()
    team.wait_for_url("**/processer/*-*")
    team.get_by_role("link", name="Del i kataloget").click()
    team.get_by_label("Kommunens størrelse").select_option("medium")
    team.get_by_role("button", name="Del i kataloget").click()
    team.wait_for_url("**/processer/*-*")
    team.get_by_role("link", name="Se katalogposten").click()
    entry_path = team.url.split("/katalog/", 1)[1]

    reader = new_page(bypass_csp=True)
    sign_in(reader, live_server, "Medarbejder", slug="norddjurs")
    # The other municipality finds the entry by searching the beginning of a word.
    reader.get_by_role("link", name="Kataloget", exact=True).first.click()
    reader.get_by_label("Søg i kataloget").fill("leverandørfaktura")
    reader.get_by_role("button", name="Søg", exact=True).click()
    reader.wait_for_url("**/katalog?*q=*")
    reader.locator("#entries li h2 a").first.click()
    reader.wait_for_url(f"**/katalog/{entry_path}")
    assert reader.get_by_text("Fakturaer kontrolleres automatisk mod ordren.").first.is_visible()
    assert_accessible(reader, "catalogue entry with the reuse actions")
    reader.get_by_label("Vi vil gerne være med til at udvikle/finansiere").check()
    reader.get_by_role("button", name="Vi vil også gerne").click()
    assert reader.get_by_text("1 kommune vil også gerne").is_visible()

    reader.get_by_role("button", name="Kopiér til vores register").click()
    reader.wait_for_url("**/norddjurs/processer/*-*")
    assert reader.get_by_role("heading", name="Kopieret fra kataloget").is_visible()
    assert_accessible(reader, "the copy's page")

    reader.goto(f"{live_server}/norddjurs/katalog/{entry_path}")
    assert reader.get_by_text("Genbrugt af 1 kommune").is_visible()
    reader.get_by_role("link", name="Kontakt kommunen").click()
    reader.get_by_role("button", name="Send besked").click()  # empty: refused, said why
    assert reader.locator("#body-error").is_visible()
    assert_accessible(reader, "the contact form with an error")
    reader.get_by_role("textbox", name="Besked").fill("Hvordan fik I leverandøren med?")
    reader.get_by_role("button", name="Send besked").click()
    assert reader.get_by_text("Beskeden er sendt til kommunens automatiseringsteam.").is_visible()

    team.reload()
    assert team.get_by_text("Norddjurs Kommune").first.is_visible()
    team.get_by_role("link", name="Se beskeder fra andre kommuner").click()
    assert team.get_by_text("Hvordan fik I leverandøren med?").is_visible()
    assert_accessible(team, "the catalogue inbox")

"""Publishing to the catalogue in a real browser, without JavaScript doing the work: the
preview with its marks, a refused publish with the error summary, an extra redaction, the
publish, and the entry page, with axe-core on each."""

from __future__ import annotations

from browser_helpers import assert_accessible, assert_accessible_under_csp, sign_in
from helpers import add_kle_topic
from playwright.sync_api import expect


def test_the_team_previews_and_publishes_a_process(page, live_server, seeded):
    sign_in(page, live_server, "Automatiseringskonsulent")
    page.get_by_role("link", name="Indberet en idé").first.click()
    page.get_by_label("Titel").fill("Kontrol af leverandørfakturaer")
    page.get_by_label("Resumé").fill(
        "Fakturaer kontrolleres mod ordren; spørg faktura@syddjurs.dk."
    )
    page.get_by_role("button", name="Send idéen").click()
    page.wait_for_url("**/processer/*-*")

    page.get_by_role("link", name="Del i kataloget").click()
    page.wait_for_url("**/del")
    mark = page.locator('[data-preview="summary"] mark')
    assert mark.count() == 1 and "E-mail" in mark.inner_text()
    assert_accessible(page, "catalogue preview")

    # Without a size band nothing is published, and the summary says why.
    page.get_by_role("button", name="Del i kataloget").click()
    expect(page.get_by_text("Vælg kommunens størrelse.").first).to_be_visible()
    assert_accessible(page, "catalogue preview with an error")

    page.get_by_label("Skjul også i Resumé").fill("ordren")
    page.get_by_role("button", name="Opdatér forhåndsvisning").click()
    assert page.locator('[data-preview="summary"] mark').count() == 2
    page.get_by_label("Kommunens størrelse").select_option("medium")
    page.get_by_label("Note til andre kommuner").fill("Første udgave")
    page.get_by_role("button", name="Del i kataloget").click()
    page.wait_for_url("**/processer/*-*")
    expect(page.get_by_text("Processen er delt i kataloget.").first).to_be_visible()
    process_url = page.url

    page.get_by_role("link", name="Se katalogposten").click()
    expect(page.get_by_text("Fakturaer kontrolleres mod [skjult]; spørg [e-mail].")).to_be_visible()
    assert_accessible(page, "catalogue entry")

    # Another reader finds it by a word's beginning, with the match marked, and narrows it.
    page.get_by_role("link", name="Kataloget", exact=True).first.click()
    page.get_by_label("Søg i kataloget").fill("leverandørfaktura")
    page.get_by_role("button", name="Søg", exact=True).click()
    page.wait_for_url("**/katalog?*q=*")
    hit = page.locator("#entries li").first
    assert "Kontrol af leverandørfakturaer" in hit.inner_text()
    assert page.locator("#entries mark").count() >= 1
    assert_accessible(page, "catalogue search")
    page.locator('ul[data-facet="size_band"] a').first.click()
    expect(page.locator('a[data-remove="size_band"]')).to_be_visible()
    assert "Kontrol af leverandørfakturaer" in page.locator("#entries").inner_text()

    # A second version, without the extra redaction: the change in words, then withdrawn.
    page.goto(process_url)
    page.get_by_role("link", name="Del en ny version i kataloget").click()
    page.get_by_label("Kommunens størrelse").select_option("medium")
    page.get_by_role("button", name="Del i kataloget").click()
    page.wait_for_url("**/processer/*-*")
    page.get_by_role("link", name="Se katalogposten").click()
    diff = page.locator("#entry-diff").inner_text()
    assert "Før: Fakturaer kontrolleres mod [skjult]" in diff
    assert "Nu: Fakturaer kontrolleres mod ordren" in diff and "@@" not in diff
    assert_accessible(page, "catalogue entry with a change since the last version")
    page.locator("#versions").get_by_role("link", name="Version 1").click()
    expect(page.get_by_text("Du ser version 1. Den nyeste er version 2.")).to_be_visible()
    assert_accessible(page, "an older version of a catalogue entry")
    page.get_by_role("link", name="Se den nyeste version").click()
    page.get_by_role("button", name="Træk tilbage fra kataloget").click()
    expect(page.locator("#withdrawn")).to_be_visible()
    assert page.get_by_role("button", name="Træk tilbage fra kataloget").count() == 0
    assert_accessible(page, "a withdrawn catalogue entry")


def test_an_employee_typing_an_idea_sees_what_others_have(csp_page, live_server, seeded):
    """Issue 9, point 7, under the app's CSP: while the title is typed (htmx), and on the
    process page once reported, other municipalities' entries like it."""
    page = csp_page
    sign_in(page, live_server, "Medarbejder", slug="norddjurs")
    page.get_by_role("link", name="Indberet en idé").first.click()
    page.get_by_label("Titel").press_sequentially("Frister i sygedagpengesager")
    panel = page.locator("#catalogue-similar")
    panel.wait_for()
    assert "Syddjurs Kommune har det i drift" in panel.inner_text()
    assert_accessible_under_csp(page, "intake form with similar catalogue entries")
    page.get_by_label("Resumé").fill("Vi holder fristerne i et regneark.")
    page.get_by_role("button", name="Send idéen").click()
    page.wait_for_url("**/processer/*-*")
    panel.get_by_role("link", name="Robot varsler opfølgningsfrister i sygedagpengesager").click()
    page.wait_for_url("**/norddjurs/katalog/*-*")
    expect(page.locator("#entry-lessons")).to_be_visible()
    assert not page.csp_blocked, page.csp_blocked


def publish_as(app, user, process) -> None:
    """Share `process` in the catalogue as `user` (the service the preview's button calls)."""
    from autoproces.platform.db import db
    from autoproces.platform.identity.models import User
    from autoproces.platform.tenancy import Tenant, activate_tenant
    from autoproces.shared_catalog import services
    from autoproces.tenants.processes.models import Process

    with app.test_request_context():
        activate_tenant(db.session.get(Tenant, user.tenant_id))
        u = db.session.get(User, (user.tenant_id, user.id))
        p = db.session.get(Process, (process.tenant_id, process.id))
        preview = services.build_preview(u, p)
        services.publish(
            u, p, services.Choices(), services.Publication(preview.fingerprint, size_band="small")
        )
        db.session.commit()


def test_the_team_sees_other_municipalities_estimates_beside_the_time_fields(
    csp_page, live_server, browser_app, make, su_engine
):
    """Issue 9, point 7, under the app's CSP: the median and count of three municipalities'
    estimates for the same KLE topic, beside "Minutter pr. gang" in the edit form."""
    kle = add_kle_topic(su_engine)
    for i, slug in enumerate(("odense", "vejle", "horsens")):
        author = make.user(make.tenant(slug), "automation", name=f"Forfatter {i}")
        process = make.process(
            author, kle_code=kle, occurrences_per_year=1000 * (i + 1), minutes_per_occurrence=10 + i
        )
        publish_as(browser_app, author, process)
    home = make.tenant("alpha", "Alfa Kommune")
    team = make.user(home, "automation", name="Tim Team")
    own = make.process(team, title="Opfølgning i egen kommune", kle_code=kle)
    page = csp_page
    sign_in(page, live_server, "Tim Team", slug="alpha")
    page.goto(f"{live_server}/alpha/processer/{own.id}/rediger")
    panel = page.locator("#catalogue-estimates")
    text = panel.inner_text()
    assert "Minutter pr. gang: median 11 (3 kommuner)" in text
    assert "Antal gange om året: median 2.000 (3 kommuner)" in text
    # Right after the field it is about, not somewhere else on the page.
    field = page.locator("#minutes_per_occurrence").bounding_box()
    box = panel.bounding_box()
    assert 0 <= box["y"] - field["y"] < 400, (field, box)
    assert_accessible_under_csp(page, "edit form with other municipalities' estimates")
    assert not page.csp_blocked, page.csp_blocked


def test_the_catalogue_works_without_javascript(new_page, live_server, seeded):
    """Search, sort, a facet, the pager's state and the reuse forms are plain links and forms."""
    page = new_page(java_script_enabled=False)
    sign_in(page, live_server, "Leder", slug="aarhus")
    page.goto(f"{live_server}/aarhus/katalog")
    page.get_by_label("Søg i kataloget").fill("sygedagpenge")
    page.get_by_label("Sortér efter").select_option(label="Nyeste")
    page.get_by_role("button", name="Søg", exact=True).click()
    page.wait_for_url("**/katalog?*sort=newest*")
    page.locator('ul[data-facet="publisher"] a', has_text="Syddjurs Kommune").click()
    page.wait_for_url("**publisher=Syddjurs*")
    assert "q=sygedagpenge" in page.url and "sort=newest" in page.url
    assert page.get_by_label("Sortér efter").evaluate("e => e.value") == "newest"
    page.locator("#entries li h2 a").first.click()
    page.wait_for_url("**/katalog/*-*")
    page.get_by_role("button", name="Vi vil også gerne").click()
    expect(page.get_by_text("Jeres kommune har sagt, at I også gerne vil.")).to_be_visible()
    page.get_by_role("button", name="Kopiér til vores register").click()
    page.wait_for_url("**/aarhus/processer/*-*")
    expect(page.get_by_role("heading", name="Kopieret fra kataloget")).to_be_visible()


def test_the_search_updates_while_typing_under_the_csp(csp_page, live_server, seeded):
    """With htmx (under the app's CSP) the hits follow the words typed, and the URL too."""
    page = csp_page
    sign_in(page, live_server, "Medarbejder", slug="norddjurs")
    page.goto(f"{live_server}/norddjurs/katalog")
    total = page.locator("#catalogue-total").inner_text()
    page.get_by_label("Søg i kataloget").press_sequentially("sygedagpenge")
    page.wait_for_url("**/katalog?*q=sygedagpenge*")
    assert page.locator("#catalogue-total").inner_text() != total
    assert "sygedagpenge" in page.locator("#entries mark").first.inner_text().lower()
    page.get_by_label("Sortér efter").select_option("newest")
    page.wait_for_url("**sort=newest*")
    assert "q=sygedagpenge" in page.url
    assert_accessible_under_csp(page, "catalogue search updated in place")
    assert not page.csp_blocked, page.csp_blocked

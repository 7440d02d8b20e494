"""The intake form's "Faglig kontaktperson" in a real browser: suggestions while typing,
chosen with the keyboard, axe-core with the suggestions open, and the idea saved with it."""

from __future__ import annotations

import re

import pytest
from browser_helpers import assert_accessible, sign_in
from playwright.sync_api import expect


@pytest.fixture
def people(demo_app, seeded):
    """Namesakes: active and not, in this municipality and another."""
    from autoproces.platform.db import db
    from autoproces.platform.identity.services import create_user, set_user_active
    from autoproces.platform.tenancy import activate_tenant, tenant_by_slug

    with demo_app.app_context():
        syddjurs = tenant_by_slug("syddjurs")
        activate_tenant(syddjurs)
        create_user(
            syddjurs, "zakarias.kontaktsen@syddjurs.dk", "Zakarias Kontaktsen", ["employee"]
        )
        create_user(syddjurs, "zakarias.madsen@syddjurs.dk", "Zakarias Madsen", ["employee"])
        gone = create_user(syddjurs, "zakarias.gammel@syddjurs.dk", "Zakarias Gammel", ["employee"])
        set_user_active(syddjurs, gone.id, False)
        norddjurs = tenant_by_slug("norddjurs")
        activate_tenant(norddjurs)
        create_user(norddjurs, "zakarias.fremmed@norddjurs.dk", "Zakarias Fremmed", ["employee"])
        db.session.commit()


def test_choose_the_contact_with_the_keyboard(page, live_server, people):
    sign_in(page, live_server, "Medarbejder")
    page.goto(live_server + "/syddjurs/processer/ny")

    contact = page.get_by_role("combobox", name="Faglig kontaktperson")
    assert contact.get_attribute("aria-expanded") == "false"
    contact.press_sequentially("zakarias", delay=20)
    options = page.get_by_role("listbox", name="Personer").get_by_role("option")
    options.first.wait_for()
    assert contact.get_attribute("aria-expanded") == "true"
    # Only this municipality's active users: not the one who left, nor the neighbour's.
    texts = options.all_inner_texts()
    assert [t.split("\n")[0] for t in texts] == ["Zakarias Kontaktsen", "Zakarias Madsen"], texts
    assert "zakarias.kontaktsen@syddjurs.dk" in texts[0]
    assert page.locator("#owner_email-status").inner_text() == "2 personer fundet."

    contact.press("ArrowDown")
    contact.press("ArrowDown")
    active = page.locator("#" + contact.get_attribute("aria-activedescendant"))
    assert active.get_attribute("aria-selected") == "true"
    assert active.inner_text().startswith("Zakarias Madsen")
    assert_accessible(page, "intake form with the contact suggestions open")

    contact.press("Enter")  # chooses; does not send the form
    assert contact.input_value() == "zakarias.madsen@syddjurs.dk"
    assert page.locator("#owner_email-chosen").inner_text() == "Valgt: Zakarias Madsen"
    assert contact.get_attribute("aria-expanded") == "false"
    assert page.url.endswith("/processer/ny")
    assert_accessible(page, "intake form with a contact chosen")

    page.get_by_label("Titel").fill("Automatisk registrering af sygemeldinger")
    page.get_by_label("Resumé").fill("Sygemeldinger tastes i dag ind to gange.")
    page.get_by_role("button", name="Send idéen").click()
    page.wait_for_url(re.compile(r".*/processer/[0-9a-f-]+$"))
    expect(page.get_by_text("Tak! Din idé er modtaget")).to_be_visible()
    facts = page.locator("dt", has_text="Faglig kontaktperson").locator(
        "xpath=following-sibling::dd[1]"
    )
    assert facts.inner_text() == "Zakarias Madsen"


def test_without_htmx_the_contact_is_a_plain_field(page, live_server, people):
    # JavaScript runs but htmx did not load: no suggestions, so no combobox either. The
    # field takes an e-mail address, and Enter sends the form as in any other field.
    page.route("**/htmx.min.js*", lambda route: route.abort())
    sign_in(page, live_server, "Medarbejder")
    page.goto(live_server + "/syddjurs/processer/ny")
    assert page.evaluate("() => window.htmx === undefined")

    contact = page.locator("#owner_email")
    assert contact.get_attribute("role") is None
    assert contact.get_attribute("aria-expanded") is None
    assert page.get_by_role("textbox", name="Faglig kontaktperson").count() == 1
    expect(page.get_by_text("Skriv mindst to bogstaver af navnet")).not_to_be_visible()
    page.get_by_label("Titel").fill("Automatisk registrering af sygemeldinger")
    page.get_by_label("Resumé").fill("Sygemeldinger tastes i dag ind to gange.")
    contact.fill("zakarias.madsen@syddjurs.dk")
    contact.press("Enter")
    page.wait_for_url(re.compile(r".*/processer/[0-9a-f-]+$"))
    expect(page.get_by_text("Tak! Din idé er modtaget")).to_be_visible()
    facts = page.locator("dt", has_text="Faglig kontaktperson").locator(
        "xpath=following-sibling::dd[1]"
    )
    assert facts.inner_text() == "Zakarias Madsen"

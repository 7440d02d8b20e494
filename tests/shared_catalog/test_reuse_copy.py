"""Copying a catalogue entry into the reader's register: the copied fields, lineage, files,
the reuse count once per municipality, what never comes along, and the copy's notice and
e-mail when the entry gets a new version."""

from __future__ import annotations

from decimal import Decimal

import lxml.html
import pytest
from helpers import bearer, login
from html_forms import submitted
from reuse_world import PDF, build, outbox, publish
from sqlalchemy import text
from werkzeug.datastructures import MultiDict


@pytest.fixture
def world(app, make):
    return build(app, make)


def entry_page(client, world) -> str:
    response = client.get(f"/beta/katalog/{world.entry_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def copy_as(client, world, user) -> str:
    """Press "Kopiér til vores register" as the page renders it; the new process's page."""
    login(client, user)
    html = entry_page(client, world)
    response = client.post(
        f"/beta/katalog/{world.entry_id}/kopier", data=MultiDict(submitted(html, "copy-form"))
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def copied(su_engine, tenant) -> dict:
    with su_engine.connect() as conn:
        row = conn.execute(
            text("select * from process where tenant_id = :t"), {"t": tenant.id}
        ).one()
    return dict(row._mapping)


def reuse_count(client, world, user) -> str:
    login(client, user)
    html = entry_page(client, world) if user.tenant_id == world.beta.id else None
    if html is None:
        html = client.get(f"/alpha/katalog/{world.entry_id}").get_data(as_text=True)
    import lxml.html

    return lxml.html.fromstring(html).get_element_by_id("entry-counts").text_content()


# Every role of the reading municipality sees the form.
@pytest.mark.parametrize("role", ["bo", "bea", "mia", "ada"])
def test_a_reader_copies_the_entry_with_lineage_fields_and_files(client, world, su_engine, role):
    location = copy_as(client, world, getattr(world, role))
    row = copied(su_engine, world.beta)
    assert location.endswith(f"/beta/processer/{row['id']}")
    assert row["copied_from_entry_id"] == world.entry_id and row["copied_from_version"] == 1
    assert (row["phase"], row["status"], row["visibility"]) == (
        "idea",
        "not_assessed",
        "municipality",
    )
    assert row["reporter_id"] == getattr(world, role).id
    assert row["title"] == "Kontrol af leverandørfakturaer"
    assert row["description"] == "Vi bruger KMD Opera og en robot."
    assert row["technologies"] == ["RPA", "OCR"] and row["vendor"] == "Robotfirmaet"
    assert row["what_worked"] == "At starte småt."
    assert row["occurrences_per_year"] == 1200
    assert row["minutes_per_occurrence"] == Decimal("7.50")
    # Never copied, whatever happens (DOMAIN.md "Catalogue entry").
    assert row["internal_notes"] == "" and row["esdh_reference"] == ""
    assert row["org_unit"] == "" and row["owner_id"] is None and row["contact_id"] is None
    with su_engine.connect() as conn:
        files = conn.execute(
            text(
                "select filename, sha256, storage_key from process_attachment where tenant_id = :t"
            ),
            {"t": world.beta.id},
        ).all()
        domains = conn.scalars(
            text(
                "select d.name from process_domain pd join domain d"
                " on d.tenant_id = pd.tenant_id and d.id = pd.domain_id where pd.tenant_id = :t"
            ),
            {"t": world.beta.id},
        ).all()
        publisher_domains = conn.scalars(
            text(
                "select d.name from process_domain pd join domain d"
                " on d.tenant_id = pd.tenant_id and d.id = pd.domain_id where pd.tenant_id = :t"
            ),
            {"t": world.alpha.id},
        ).all()
    # Only the shareable file, stored under the reader's own tenant.
    assert [f.filename for f in files] == ["vejledning.pdf"]
    assert files[0].storage_key.startswith(f"{world.beta.id}/{row['id']}/")
    # Fagområder by name, into the reader's own list.
    assert domains == publisher_domains and domains
    page = client.get(location).get_data(as_text=True)
    assert "Kopieret fra kataloget" in page and "vejledning.pdf" in page
    download = client.get(f"/beta/katalog/{world.entry_id}")
    assert download.status_code == 200


def test_the_copied_file_is_the_publishers(client, world, su_engine, app):
    copy_as(client, world, world.bo)
    row = copied(su_engine, world.beta)
    with su_engine.connect() as conn:
        attachment_id = conn.scalar(
            text("select id from process_attachment where tenant_id = :t"), {"t": world.beta.id}
        )
    r = client.get(f"/beta/processer/{row['id']}/bilag/{attachment_id}")
    assert r.status_code == 200 and r.data == PDF


def test_the_reuse_count_goes_up_once_per_municipality(client, world, su_engine):
    assert "Genbrugt af 0 kommuner" in reuse_count(client, world, world.bo)
    copy_as(client, world, world.bo)
    copy_as(client, world, world.bea)
    with su_engine.connect() as conn:
        assert (
            conn.scalar(
                text("select count(*) from process where tenant_id = :t"), {"t": world.beta.id}
            )
            == 2
        )
    assert "Genbrugt af 1 kommune" in reuse_count(client, world, world.bo)
    r = client.post(f"/api/v1/catalogue/{world.entry_id}/copy", headers=bearer(world.gitte_token))
    assert r.status_code == 201
    body = r.get_json()
    assert body["number"] == 1 and body["copied_from_entry_id"] == str(world.entry_id)
    assert body["copied_from_version"] == 1
    assert "Genbrugt af 2 kommuner" in reuse_count(client, world, world.team)
    # Deleting a copy does not take the reuse back.
    with su_engine.begin() as conn:
        conn.execute(
            text("delete from process_attachment where tenant_id = :t"), {"t": world.beta.id}
        )
        conn.execute(
            text("delete from process_follower where tenant_id = :t"), {"t": world.beta.id}
        )
        conn.execute(text("delete from process where tenant_id = :t"), {"t": world.beta.id})
    assert "Genbrugt af 2 kommuner" in reuse_count(client, world, world.team)


def test_the_publisher_sees_no_copy_button_and_the_api_hides_unknown_entries(client, world):
    login(client, world.team)
    html = client.get(f"/alpha/katalog/{world.entry_id}").get_data(as_text=True)
    assert "copy-form" not in html and "interest-form" not in html
    import uuid

    r = client.post(f"/api/v1/catalogue/{uuid.uuid4()}/copy", headers=bearer(world.bo_token))
    assert r.status_code == 404


def test_the_publisher_cannot_reuse_its_own_entry_by_a_direct_post(client, world, su_engine):
    """Without the forms, a post straight to copy, interest or contact is refused (403, in
    Danish), and the publisher never counts among those who reuse its entry."""
    login(client, world.team)
    base = f"/alpha/katalog/{world.entry_id}"
    for url, data in (
        (f"{base}/kopier", {}),
        (f"{base}/interesse", {"wants_to_help": "1"}),
        (f"{base}/kontakt", {"body": "Hej"}),
    ):
        r = client.post(url, data=data)
        assert r.status_code == 403, url
        assert "Det er jeres egen katalogpost." in r.get_data(as_text=True), url
    assert client.get(f"{base}/kontakt").status_code == 403
    r = client.post(f"/api/v1/catalogue/{world.entry_id}/copy", headers=bearer(world.team_token))
    assert r.status_code == 403 and "Det er jeres egen katalogpost." in str(r.get_json())
    with su_engine.connect() as conn:
        assert conn.scalar(text("select count(*) from catalogue_reuse")) == 0
        assert conn.scalar(text("select count(*) from catalogue_interest")) == 0
        assert conn.scalar(text("select count(*) from catalogue_message")) == 0


def test_a_new_version_tells_the_copys_followers_and_shows_the_diff(app, client, world, su_engine):
    location = copy_as(client, world, world.bo)
    # The copier follows their copy (they are its reporter).
    publish(
        app, world.team, world.process.id, summary="Fakturaer kontrolleres mod ordren og aftalen."
    )
    mails = outbox(su_engine, "catalogue.new_version")
    assert [(m.tenant_id, m.to_address) for m in mails] == [(world.beta.id, "bo@beta.dk")]
    assert "Kontrol af leverandørfakturaer" in mails[0].subject
    assert location in mails[0].body_text
    assert "alpha" not in mails[0].body_text.replace(location, "")
    page = client.get(location).get_data(as_text=True)
    assert "Der er en ny version af katalogposten" in page
    assert "aftalen" in page and "copy-notice-form" in page
    # "Markér som set", posted as rendered: the notice goes, no new mail for that version.
    response = client.post(
        f"/beta/katalog/kopi/{copied(su_engine, world.beta)['id']}/set",
        data=MultiDict(submitted(page, "copy-notice-form")),
    )
    assert response.status_code == 302
    page = client.get(location).get_data(as_text=True)
    assert "Der er en ny version af katalogposten" not in page
    assert "Kopieret fra kataloget" in page


def test_a_withdrawn_entry_shows_on_the_copy(app, client, world, su_engine):
    location = copy_as(client, world, world.bo)
    login(client, world.team)
    html = client.get(f"/alpha/katalog/{world.entry_id}").get_data(as_text=True)
    r = client.post(
        f"/alpha/katalog/{world.entry_id}/traek-tilbage",
        data=MultiDict(submitted(html, "withdraw-form")),
    )
    assert r.status_code == 302
    login(client, world.bo)
    assert "Katalogposten er trukket tilbage." in client.get(location).get_data(as_text=True)
    # A withdrawn entry cannot be copied any more from the page.
    assert "copy-form" not in entry_page(client, world)
    r = client.post(f"/api/v1/catalogue/{world.entry_id}/copy", headers=bearer(world.bo_token))
    assert r.status_code == 422 and "entry_id" in str(r.get_json())
    # A post from a page opened before the withdraw is told why, not only that it failed.
    page = client.post(f"/beta/katalog/{world.entry_id}/kopier")
    assert page.status_code == 422
    reasons = lxml.html.fromstring(page.get_data(as_text=True)).get_element_by_id("error-reasons")
    assert reasons.text_content().strip() == "Katalogposten er trukket tilbage."


def test_the_entry_page_shows_the_reuse_actions_and_counts_once(client, world):
    """One section with the buttons and one line of counts (a second copy of either would
    be a duplicate id and a doubled button to a screen reader)."""
    login(client, world.bo)
    html = entry_page(client, world)
    assert html.count('id="genbrug"') == 1 and html.count('id="entry-counts"') == 1
    assert html.count(">Vi vil også gerne</button>") == 1

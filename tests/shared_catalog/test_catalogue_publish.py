"""Publishing to the shared catalogue: the preview page posted as rendered, the automatic and
extra redactions, restoring with confirmation, the fingerprint (409), versions with a diff,
withdraw, the copied files surviving the process, and who may do what."""

from __future__ import annotations

import io
from types import SimpleNamespace

import lxml.html
import pytest
from helpers import bearer, login
from html_forms import submitted
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

CPR = "010190-1234"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture
def alpha(make):
    tenant = make.tenant("alpha", "Alfa Kommune")
    team = make.user(tenant, "automation", name="Tea Team", email="tea@alpha.dk")
    erik = make.user(tenant, "employee", name="Erik Medarbejder", email="erik@alpha.dk")
    manager = make.user(tenant, "manager", name="Lene Leder")
    beta = make.tenant("beta", "Beta Kommune")
    reader = make.user(beta, "employee", name="Bo Beta")
    process = make.process(
        erik,
        title="Kontrol af leverandørfakturaer",
        summary="Fakturaer kontrolleres automatisk mod ordren.",
        description=f"Erik Medarbejder skriver til ole@alpha.dk om borger {CPR}. Vi bruger KMD Opera.",
    )
    return SimpleNamespace(
        tenant=tenant,
        team=team,
        erik=erik,
        manager=manager,
        beta=beta,
        reader=reader,
        process=process,
        team_token=make.token(team),
        reader_token=make.token(reader),
        erik_token=make.token(erik),
    )


def page_url(process) -> str:
    return f"/alpha/processer/{process.id}/del"


def preview_page(client, alpha):
    login(client, alpha.team)
    response = client.get(page_url(alpha.process))
    assert response.status_code == 200
    return response.get_data(as_text=True)


def publish_from(client, alpha, html: str, **changes):
    """Press "Del i kataloget" on the page as rendered, with `changes` to its fields."""
    pairs = [p for p in submitted(html, "publish-form", button="publish") if p[0] not in changes]
    for name, value in changes.items():
        for v in value if isinstance(value, list) else [value]:
            pairs.append((name, v))
    return client.post(page_url(alpha.process), data=pairs_to_multidict(pairs))


def pairs_to_multidict(pairs):
    from werkzeug.datastructures import MultiDict

    return MultiDict(pairs)


def entry_id(su_engine):
    with su_engine.connect() as conn:
        return conn.scalar(text("select id from catalogue_entry"))


def version_fields(su_engine, number=1) -> dict:
    with su_engine.connect() as conn:
        return conn.scalar(
            text("select fields from catalogue_version where number = :n"), {"n": number}
        )


def test_the_process_page_offers_publishing_to_the_team_only(client, alpha):
    login(client, alpha.team)
    html = client.get(f"/alpha/processer/{alpha.process.id}").get_data(as_text=True)
    assert "Del i kataloget" in html and page_url(alpha.process) in html
    for other in (alpha.erik, alpha.manager):
        c = client.application.test_client()
        login(c, other)
        html = c.get(f"/alpha/processer/{alpha.process.id}").get_data(as_text=True)
        assert page_url(alpha.process) not in html
        assert c.get(page_url(alpha.process)).status_code == 403


def test_the_preview_marks_every_automatic_redaction_with_its_kind(client, alpha):
    html = preview_page(client, alpha)
    doc = lxml.html.fromstring(html)
    marks = doc.xpath('//div[@data-preview="description"]//mark')
    kinds = [m.get("data-kind") for m in marks]
    assert kinds == ["navn", "email", "cpr"]
    labels = [m.text_content() for m in marks]
    assert labels[0].startswith("[navn]") and "(Navn)" in labels[0]
    assert "(CPR-nummer)" in labels[2] and "[cpr-nummer]" in labels[2]
    shown = doc.xpath('//div[@data-preview="description"]')[0].text_content()
    assert CPR not in shown and "ole@alpha.dk" not in shown and "KMD Opera" in shown


def test_the_restore_confirmation_is_asked_only_when_something_can_be_shown_again(
    client, alpha, make
):
    assert 'id="restore_confirmed"' in preview_page(client, alpha)  # the process names people
    plain = make.process(alpha.team, title="Kontrol af fakturaer", summary="Mod ordren.")
    html = client.get(page_url(plain)).get_data(as_text=True)
    assert 'data-preview="summary"' in html and 'id="restore_confirmed"' not in html


def test_the_team_publishes_exactly_the_preview(client, alpha, su_engine):
    html = preview_page(client, alpha)
    response = publish_from(client, alpha, html, size_band="medium", note="Første udgave")
    assert response.status_code == 302, response.get_data(as_text=True)
    fields = version_fields(su_engine)
    assert fields["description"] == (
        "[navn] skriver til [e-mail] om borger [cpr-nummer]. Vi bruger KMD Opera."
    )
    assert fields["title"] == "Kontrol af leverandørfakturaer"
    with su_engine.connect() as conn:
        row = conn.execute(
            text("select publisher_name, size_band, note from catalogue_version")
        ).one()
    assert tuple(row) == ("Alfa Kommune", "medium", "Første udgave")
    # The process page now says so, and links to the entry.
    page = client.get(f"/alpha/processer/{alpha.process.id}").get_data(as_text=True)
    assert "version 1" in page and f"/alpha/katalog/{entry_id(su_engine)}" in page


def test_extra_redactions_and_a_confirmed_restore(client, alpha, su_engine):
    html = preview_page(client, alpha)
    # Redact "KMD Opera" too, and show the name again: first without confirming.
    restore = [v for n, v in submitted(html, "publish-form") if n == "restore"]
    assert restore == []
    doc = lxml.html.fromstring(html)
    keys = [i.get("value") for i in doc.xpath('//input[@name="restore"]')]
    name_key = keys[0]
    base = [p for p in submitted(html, "publish-form", button="preview")]
    data = pairs_to_multidict(base + [("restore", name_key)])
    data["extra-description"] = "KMD Opera"
    refused = client.post(page_url(alpha.process), data=data)
    assert refused.status_code == 422
    assert "Bekræft" in refused.get_data(as_text=True)
    data["restore_confirmed"] = "1"
    shown = client.post(page_url(alpha.process), data=data)
    assert shown.status_code == 200
    page = shown.get_data(as_text=True)
    assert 'class="app-restored"' in page and "[skjult]" in page
    published = publish_from(client, alpha, page, size_band="small")
    assert published.status_code == 302, published.get_data(as_text=True)
    assert version_fields(su_engine)["description"] == (
        "Erik Medarbejder skriver til [e-mail] om borger [cpr-nummer]. Vi bruger [skjult]."
    )


def test_a_restore_of_something_the_server_did_not_find_is_ignored(client, alpha, su_engine):
    html = preview_page(client, alpha)
    response = publish_from(
        client, alpha, html, size_band="small", restore="description:0:5", restore_confirmed="1"
    )
    # The preview shown differs from what was confirmed only if the restore took effect.
    assert response.status_code == 302
    assert version_fields(su_engine)["description"].startswith("[navn]")


def test_a_process_changed_after_the_preview_shows_the_preview_again(
    client, alpha, su_engine, make, app
):
    html = preview_page(client, alpha)
    patch = client.application.test_client().patch(
        f"/api/v1/processes/{alpha.process.id}",
        json={"version": alpha.process.version, "summary": "Nyt resumé med Tea Team"},
        headers=bearer(alpha.team_token),
    )
    assert patch.status_code == 200
    response = publish_from(client, alpha, html, size_band="small")
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Forhåndsvisningen er opdateret" in page
    assert entry_id(su_engine) is None
    # The page shown again publishes the new text, its name redacted.
    assert publish_from(client, alpha, page, size_band="small").status_code == 302
    assert version_fields(su_engine)["summary"] == "Nyt resumé med [navn]"


def test_the_size_band_is_required_and_named(client, alpha, su_engine):
    html = preview_page(client, alpha)
    response = publish_from(client, alpha, html)
    assert response.status_code == 422
    assert 'href="#size_band"' in response.get_data(as_text=True)
    assert entry_id(su_engine) is None


def test_anonymous_publishing_names_no_municipality(client, alpha, su_engine):
    html = preview_page(client, alpha)
    assert (
        publish_from(client, alpha, html, size_band="large", attribution="anonymous").status_code
        == 302
    )
    eid = entry_id(su_engine)
    c = client.application.test_client()
    login(c, alpha.reader)
    page = c.get(f"/beta/katalog/{eid}").get_data(as_text=True)
    assert "En kommune" in page and "Alfa" not in page
    answer = c.get(f"/api/v1/catalogue/{eid}", headers=bearer(alpha.reader_token)).get_json()
    assert answer["version"]["publisher"] is None and answer["version"]["anonymous"] is True
    assert "Alfa" not in str(answer)


def test_republishing_adds_a_version_with_a_diff_and_old_versions_stay(client, alpha, su_engine):
    html = preview_page(client, alpha)
    assert publish_from(client, alpha, html, size_band="small").status_code == 302
    api = client.application.test_client()
    assert (
        api.patch(
            f"/api/v1/processes/{alpha.process.id}",
            json={
                "version": alpha.process.version,
                "summary": "Fakturaer kontrolleres mod ordren og aftalen.",
            },
            headers=bearer(alpha.team_token),
        ).status_code
        == 200
    )
    html = client.get(page_url(alpha.process)).get_data(as_text=True)
    assert "version 2" in html
    assert (
        publish_from(client, alpha, html, size_band="small", note="Aftalen med").status_code == 302
    )
    eid = entry_id(su_engine)
    reader = client.application.test_client()
    login(reader, alpha.reader)
    page = reader.get(f"/beta/katalog/{eid}").get_data(as_text=True)
    assert "Ændret siden version 1" in page
    # The change in words, not the stored diff's notation.
    diff = " ".join(
        lxml.html.fromstring(page).get_element_by_id("entry-diff").text_content().split()
    )
    assert "Før: Fakturaer kontrolleres automatisk mod ordren." in diff
    assert "Nu: Fakturaer kontrolleres mod ordren og aftalen." in diff
    assert "@@" not in diff
    old = reader.get(f"/beta/katalog/{eid}/versions/1").get_data(as_text=True)
    assert "Fakturaer kontrolleres automatisk mod ordren." in old and "Du ser version 1" in old
    versions = api.get(f"/api/v1/catalogue/{eid}/versions", headers=bearer(alpha.reader_token))
    assert [v["number"] for v in versions.get_json()] == [2, 1]
    v2 = api.get(
        f"/api/v1/catalogue/{eid}/versions/2", headers=bearer(alpha.reader_token)
    ).get_json()
    assert [d["name"] for d in v2["diff"]] == ["summary"]


def test_the_same_publish_again_adds_no_version_but_a_withdrawn_entry_comes_back(
    client, alpha, su_engine
):
    html = preview_page(client, alpha)
    assert publish_from(client, alpha, html, size_band="small").status_code == 302
    # The form as rendered, sent again (a double click, a retry): still one version.
    assert publish_from(client, alpha, html, size_band="small").status_code == 302
    eid = entry_id(su_engine)
    numbers = lambda: [  # noqa: E731
        n
        for (n,) in su_engine.connect().execute(
            text("select number from catalogue_version where entry_id = :e order by number"),
            {"e": eid},
        )
    ]
    assert numbers() == [1]
    # Another choice is another version.
    assert publish_from(client, alpha, html, size_band="large").status_code == 302
    assert numbers() == [1, 2]
    # Withdrawn, the same publish shares it again as a new version.
    page = client.get(f"/alpha/katalog/{eid}").get_data(as_text=True)
    form = submitted(page, "withdraw-form")
    assert client.post(f"/alpha/katalog/{eid}/traek-tilbage", data=dict(form)).status_code == 302
    assert publish_from(client, alpha, html, size_band="large").status_code == 302
    assert numbers() == [1, 2, 3]
    with su_engine.connect() as conn:
        assert (
            conn.scalar(text("select withdrawn_at from catalogue_entry where id = :e"), {"e": eid})
            is None
        )


def test_the_municipalitys_log_names_the_publish(client, alpha, make):
    html = preview_page(client, alpha)
    assert publish_from(client, alpha, html, size_band="small").status_code == 302
    admin = make.user(alpha.tenant, "tenant_admin", name="Ada Admin")
    login(client, admin)
    log = client.get("/alpha/admin/log").get_data(as_text=True)
    assert "Delt i kataloget" in log and "catalogue.published" not in log
    assert "Katalogpost: " in log and "Version: 1" in log


def test_versions_are_append_only_for_the_app_role(client, alpha, su_engine, app_engine):
    html = preview_page(client, alpha)
    assert publish_from(client, alpha, html, size_band="small").status_code == 302
    for statement in (
        "update catalogue_version set note = 'x'",
        "delete from catalogue_version",
        "update catalogue_attachment set filename = 'x'",
        "delete from catalogue_entry",
        "update catalogue_entry set created_at = now()",
    ):
        with app_engine.connect() as conn:
            with pytest.raises(DBAPIError, match="permission denied"):
                conn.execute(text(statement))
    # Not even a superuser changes a version by accident (the trigger).
    with su_engine.connect() as conn:
        with pytest.raises(DBAPIError, match="append-only"):
            conn.execute(text("update catalogue_version set note = 'x'"))


def test_withdraw_by_the_publisher_only(client, alpha, su_engine):
    html = preview_page(client, alpha)
    assert publish_from(client, alpha, html, size_band="small").status_code == 302
    eid = entry_id(su_engine)
    reader = client.application.test_client()
    login(reader, alpha.reader)
    assert eid and f"/beta/katalog/{eid}" in reader.get("/beta/katalog").get_data(as_text=True)
    refused = reader.post(f"/api/v1/catalogue/{eid}/withdraw", headers=bearer(alpha.reader_token))
    assert refused.status_code == 404
    assert "withdraw-form" not in reader.get(f"/beta/katalog/{eid}").get_data(as_text=True)
    page = client.get(f"/alpha/katalog/{eid}").get_data(as_text=True)
    form = submitted(page, "withdraw-form")
    assert client.post(f"/alpha/katalog/{eid}/traek-tilbage", data=dict(form)).status_code == 302
    assert f"/beta/katalog/{eid}" not in reader.get("/beta/katalog").get_data(as_text=True)
    entry_page = reader.get(f"/beta/katalog/{eid}").get_data(as_text=True)
    assert "Trukket tilbage" in entry_page
    answer = reader.get(f"/api/v1/catalogue/{eid}", headers=bearer(alpha.reader_token)).get_json()
    assert answer["withdrawn_at"] is not None


def test_another_municipality_reads_the_entry_but_never_the_source(client, alpha, su_engine):
    html = preview_page(client, alpha)
    assert publish_from(client, alpha, html, size_band="small").status_code == 302
    eid = entry_id(su_engine)
    reader = client.application.test_client()
    login(reader, alpha.reader)
    assert reader.get(f"/beta/katalog/{eid}").status_code == 200
    assert str(alpha.process.id) not in reader.get(f"/beta/katalog/{eid}").get_data(as_text=True)
    h = bearer(alpha.reader_token)
    assert reader.get(f"/api/v1/processes/{alpha.process.id}", headers=h).status_code == 404
    assert reader.get(f"/beta/processer/{alpha.process.id}").status_code == 404
    assert reader.get(f"/beta/processer/{alpha.process.id}/del").status_code == 404
    assert (
        reader.post(
            f"/api/v1/processes/{alpha.process.id}/publish/preview", json={}, headers=h
        ).status_code
        == 404
    )
    # The source link is tenant-owned: beta's transaction sees none of it.
    answer = reader.get(f"/api/v1/catalogue/{eid}", headers=h).get_json()
    assert str(alpha.process.id) not in str(answer) and str(alpha.tenant.id) not in str(answer)
    # The reader's own session is no key to alpha's pages.
    assert reader.get(f"/alpha/katalog/{eid}").status_code in (302, 403, 404)


def upload(client, token, process_id, name, content):
    return client.post(
        f"/api/v1/processes/{process_id}/attachments",
        data={"file": [(io.BytesIO(content), name)]},
        headers=bearer(token),
        content_type="multipart/form-data",
    )


def test_shareable_files_are_copied_and_survive_the_process(client, alpha, su_engine):
    api = client.application.test_client()
    ids = []
    for name, content, share in (("diagram.pdf", PDF, True), ("intern.txt", b"Hemmeligt", False)):
        r = upload(api, alpha.team_token, alpha.process.id, name, content)
        assert r.status_code == 201, r.get_data(as_text=True)
        aid = r.get_json()[0]["id"]
        ids.append(aid)
        if share:
            assert (
                api.patch(
                    f"/api/v1/processes/{alpha.process.id}/attachments/{aid}",
                    json={"shareable": True},
                    headers=bearer(alpha.team_token),
                ).status_code
                == 200
            )
    html = preview_page(client, alpha)
    assert "intern.txt" not in html and "diagram.pdf" in html
    response = publish_from(client, alpha, html, size_band="small", attachment_ids=ids[0])
    assert response.status_code == 302
    eid = entry_id(su_engine)
    with su_engine.connect() as conn:
        files = conn.execute(
            text("select id, filename, storage_key from catalogue_attachment")
        ).all()
    assert [f.filename for f in files] == ["diagram.pdf"]
    assert files[0].storage_key.startswith(f"catalogue/{eid}/")
    assert (
        api.delete(
            f"/api/v1/processes/{alpha.process.id}", headers=bearer(alpha.team_token)
        ).status_code
        == 204
    )
    reader = client.application.test_client()
    login(reader, alpha.reader)
    page = reader.get(f"/beta/katalog/{eid}").get_data(as_text=True)
    assert "diagram.pdf" in page
    download = reader.get(f"/beta/katalog/{eid}/filer/{files[0].id}")
    assert download.status_code == 200 and download.data == PDF
    with su_engine.connect() as conn:
        assert conn.scalar(text("select process_id from catalogue_source")) is None


def test_an_unticked_shareable_file_stays_home(client, alpha, su_engine):
    api = client.application.test_client()
    r = upload(api, alpha.team_token, alpha.process.id, "diagram.pdf", PDF)
    aid = r.get_json()[0]["id"]
    api.patch(
        f"/api/v1/processes/{alpha.process.id}/attachments/{aid}",
        json={"shareable": True},
        headers=bearer(alpha.team_token),
    )
    html = preview_page(client, alpha)
    assert publish_from(client, alpha, html, size_band="small").status_code == 302
    with su_engine.connect() as conn:
        assert conn.scalar(text("select count(*) from catalogue_attachment")) == 0


# --- The API -------------------------------------------------------------------------------


def test_the_api_previews_and_publishes(client, alpha, su_engine):
    h = bearer(alpha.team_token)
    url = f"/api/v1/processes/{alpha.process.id}/publish"
    preview = client.post(
        url + "/preview", json={"extra_redactions": {"description": ["KMD Opera"]}}, headers=h
    )
    assert preview.status_code == 200, preview.get_json()
    body = preview.get_json()
    description = next(f for f in body["fields"] if f["name"] == "description")
    assert description["text"].endswith("Vi bruger [skjult].")
    assert [r["kind"] for r in description["redactions"]] == ["navn", "email", "cpr", "manual"]
    publish = {
        "fingerprint": body["fingerprint"],
        "size_band": "small",
        "extra_redactions": {"description": ["KMD Opera"]},
    }
    stale = client.post(url, json={**publish, "extra_redactions": {}}, headers=h)
    assert stale.status_code == 409
    created = client.post(url, json=publish, headers=h)
    assert created.status_code == 201, created.get_json()
    entry = created.get_json()
    assert entry["current_version"] == 1 and entry["version"]["publisher"] == "Alfa Kommune"
    read = client.get(f"/api/v1/catalogue/{entry['id']}", headers=bearer(alpha.reader_token))
    assert read.status_code == 200
    assert {f["name"]: f["text"] for f in read.get_json()["version"]["fields"]}[
        "description"
    ].endswith("[skjult].")


def test_the_api_names_the_bad_field(client, alpha):
    h = bearer(alpha.team_token)
    url = f"/api/v1/processes/{alpha.process.id}/publish"
    r = client.post(
        url + "/preview", json={"extra_redactions": {"internal_notes": ["x"]}}, headers=h
    )
    assert r.status_code == 422 and "extra_redactions" in str(r.get_json()["errors"])
    r = client.post(url + "/preview", json={"restore": ["description:0:16"]}, headers=h)
    assert r.status_code == 422 and "restore_confirmed" in str(r.get_json()["errors"])
    r = client.post(url, json={"fingerprint": "0" * 64, "size_band": "huge"}, headers=h)
    assert r.status_code == 422 and "size_band" in str(r.get_json()["errors"])
    r = client.post(url, json={"size_band": "small"}, headers=h)
    assert r.status_code == 422 and "fingerprint" in str(r.get_json()["errors"])


def test_the_api_refuses_those_who_may_not_publish(client, alpha):
    url = f"/api/v1/processes/{alpha.process.id}/publish/preview"
    assert client.post(url, json={}, headers=bearer(alpha.erik_token)).status_code == 403
    assert client.post(url, json={}, headers=bearer(alpha.reader_token)).status_code == 404
    missing = "/api/v1/catalogue/00000000-0000-0000-0000-000000000000"
    assert client.get(missing, headers=bearer(alpha.reader_token)).status_code == 404
    assert (
        client.get(missing + "/versions/1", headers=bearer(alpha.reader_token)).status_code == 404
    )


def test_only_the_publishers_team_withdraws(client, alpha, su_engine):
    html = preview_page(client, alpha)
    assert publish_from(client, alpha, html, size_band="small").status_code == 302
    eid = entry_id(su_engine)
    # A colleague in the publishing municipality sees the entry but may not withdraw it.
    assert (
        client.post(
            f"/api/v1/catalogue/{eid}/withdraw", headers=bearer(alpha.erik_token)
        ).status_code
        == 403
    )
    done = client.post(f"/api/v1/catalogue/{eid}/withdraw", headers=bearer(alpha.team_token))
    assert done.status_code == 200 and done.get_json()["withdrawn_at"]
    # Publishing again brings the entry back as a new version.
    html = client.get(page_url(alpha.process)).get_data(as_text=True)
    assert publish_from(client, alpha, html, size_band="small").status_code == 302
    with su_engine.connect() as conn:
        row = conn.execute(text("select current_version, withdrawn_at from catalogue_entry")).one()
    assert tuple(row) == (2, None)


def test_a_note_naming_a_person_is_refused_not_altered(client, alpha, su_engine):
    """The note is typed after the preview, so it is published exactly as written: what the
    anonymiser finds in it is named back (422 on "note"), and nothing is stored."""
    html = preview_page(client, alpha)
    response = publish_from(
        client, alpha, html, size_band="medium", note="Spørg ole@alpha.dk om aftalen"
    )
    assert response.status_code == 422
    page = lxml.html.fromstring(response.get_data(as_text=True))
    message = " ".join(e.text_content() for e in page.xpath('//*[@class="form-error-message"]'))
    assert "ole@alpha.dk" in message and "Noten nævner" in message
    with su_engine.connect() as conn:
        assert conn.execute(text("select count(*) from catalogue_version")).scalar_one() == 0
    again = preview_page(client, alpha)
    ok = publish_from(client, alpha, again, size_band="medium", note="Spørg jeres ESDH-team")
    assert ok.status_code == 302
    with su_engine.connect() as conn:
        note = conn.execute(text("select note from catalogue_version")).scalar_one()
    assert note == "Spørg jeres ESDH-team"

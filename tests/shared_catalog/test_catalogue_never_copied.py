"""DOMAIN.md "Catalogue entry": what is never copied, whatever happens. A process with every
never-copied thing filled with a unique marker is published; then every column of every
catalogue table, every copied file and every answer about the entry (API and pages) is
searched for the markers."""

from __future__ import annotations

import io
import json

from helpers import bearer, login
from html_forms import submitted
from sqlalchemy import text
from werkzeug.datastructures import MultiDict

MARKERS = {
    "internal_notes": "Qxinternalnote",
    "esdh_reference": "Qxesdhref-2026-77",
    "org_unit": "Qxorgunitafdeling",
    "reporter": "Qxreportername",
    "reporter_email": "qxreporter@alpha.dk",
    "owner": "Qxownername",
    "owner_email": "qxowner@alpha.dk",
    "contact": "Qxcontactname",
    "contact_email": "qxcontact@alpha.dk",
    "associated": "Qxassociatedname",
    "associated_email": "qxassociated@alpha.dk",
    "follower": "Qxfollowername",
    "follower_email": "qxfollower@alpha.dk",
    "comment": "Qxcommentbody",
    "history": "Qxoldtitle",
    "private_file_name": "qxprivatefile",
    "private_file_content": "Qxprivatecontent",
}


def test_nothing_never_copied_reaches_the_catalogue(client, make, su_engine, app):
    tenant = make.tenant("alpha", "Alfa Kommune")
    reporter = make.user(
        tenant, "automation", name=f"Rita {MARKERS['reporter']}", email=MARKERS["reporter_email"]
    )
    owner = make.user(
        tenant, "employee", name=f"Otto {MARKERS['owner']}", email=MARKERS["owner_email"]
    )
    contact = make.user(
        tenant, "employee", name=f"Carl {MARKERS['contact']}", email=MARKERS["contact_email"]
    )
    associated = make.user(
        tenant, "employee", name=f"Asta {MARKERS['associated']}", email=MARKERS["associated_email"]
    )
    follower = make.user(
        tenant, "employee", name=f"Frida {MARKERS['follower']}", email=MARKERS["follower_email"]
    )
    beta = make.tenant("beta", "Beta Kommune")
    reader = make.user(beta, "employee", name="Bo Beta")
    process = make.process(
        reporter,
        title=f"{MARKERS['history']} Gammel titel",
        summary="Fakturaer kontrolleres automatisk.",
        description="Beskrivelse uden personer.",
        internal_notes=MARKERS["internal_notes"],
        esdh_reference=MARKERS["esdh_reference"],
        org_unit=MARKERS["org_unit"],
        owner_id=owner.id,
        contact_id=contact.id,
        associated_user_ids=[associated.id],
        what_worked="Robotten kører hver nat.",
    )
    token, follower_token = make.token(reporter), make.token(follower)
    api = app.test_client()
    h = bearer(token)
    assert (
        api.patch(
            f"/api/v1/processes/{process.id}",
            json={"version": process.version, "title": "Kontrol af fakturaer"},
            headers=h,
        ).status_code
        == 200
    )
    assert (
        api.post(
            f"/api/v1/processes/{process.id}/comments", json={"body": MARKERS["comment"]}, headers=h
        ).status_code
        == 201
    )
    assert api.put(
        f"/api/v1/processes/{process.id}/follow", headers=bearer(follower_token)
    ).status_code in (200, 204)
    for name, content, share in (
        (f"{MARKERS['private_file_name']}.txt", MARKERS["private_file_content"].encode(), False),
        ("offentlig.txt", b"Et delbart diagram", True),
    ):
        r = api.post(
            f"/api/v1/processes/{process.id}/attachments",
            data={"file": [(io.BytesIO(content), name)]},
            headers=h,
            content_type="multipart/form-data",
        )
        assert r.status_code == 201
        if share:
            aid = r.get_json()[0]["id"]
            api.patch(
                f"/api/v1/processes/{process.id}/attachments/{aid}",
                json={"shareable": True},
                headers=h,
            )
    # Publish through the page, every shareable file ticked.
    login(client, reporter)
    html = client.get(f"/alpha/processer/{process.id}/del").get_data(as_text=True)
    data = MultiDict(submitted(html, "publish-form", button="publish"))
    data["size_band"] = "small"
    for value in lxml_values(html, "attachment_ids"):
        data.add("attachment_ids", value)
    assert client.post(f"/alpha/processer/{process.id}/del", data=data).status_code == 302

    ids = {
        str(x)
        for x in (
            process.id,
            tenant.id,
            reporter.id,
            owner.id,
            contact.id,
            associated.id,
            follower.id,
        )
    }
    # The reader reuses it (copy, interest, contact), so the reuse tables are walked too.
    with su_engine.connect() as conn:
        published_id = conn.scalar(text("select id from catalogue_entry"))
    reuser = bearer(make.token(reader))
    for path, body in (("copy", None), ("interest", {}), ("contact", {"body": "Hej"})):
        r = api.post(f"/api/v1/catalogue/{published_id}/{path}", json=body, headers=reuser)
        assert r.status_code < 300, (path, r.get_json())
    found_rows = []
    with su_engine.connect() as conn:
        # Tenant-owned (RLS): the source link and the reuse tables of the acting municipality.
        tenant_owned = set(
            conn.scalars(
                text(
                    "select table_name from information_schema.columns"
                    " where table_name like 'catalogue%' and column_name = 'tenant_id'"
                )
            )
        )
        tables = conn.scalars(
            text("select tablename from pg_tables where tablename like 'catalogue%' order by 1")
        ).all()
        assert {
            "catalogue_entry",
            "catalogue_version",
            "catalogue_attachment",
            "catalogue_source",
        } <= set(tables)
        for table in tables:
            rows = conn.scalars(text(f"select t::text from {table} t")).all()
            assert rows, table
            found_rows += [(table, r) for r in rows]
        keys = conn.scalars(text("select storage_key from catalogue_attachment")).all()
        # The reader's copy in its own register holds none of it either.
        copies = conn.scalars(
            text("select p::text from process p where copied_from_entry_id is not null")
        ).all()
    assert len(copies) == 1
    assert len(keys) == 1
    with app.app_context():
        from autoproces.platform.storage import storage

        files = [b"".join(storage().read(k)).decode() for k in keys]
    entry_id = next(r for t, r in found_rows if t == "catalogue_entry").strip("()").split(",")[0]
    reader_api = bearer(make.token(reader))
    answers = [
        # Decoded and dumped without escapes, so a marker with æøå would be found too.
        json.dumps(api.get(path, headers=reader_api).get_json(), ensure_ascii=False)
        for path in (
            f"/api/v1/catalogue/{entry_id}",
            f"/api/v1/catalogue/{entry_id}/versions",
            f"/api/v1/catalogue/{entry_id}/versions/1",
        )
    ]
    page_client = app.test_client()
    login(page_client, reader)
    for path in (
        "/beta/katalog",
        f"/beta/katalog/{entry_id}",
        f"/beta/katalog/{entry_id}/versions/1",
    ):
        response = page_client.get(path)
        assert response.status_code == 200, path
        answers.append(response.get_data(as_text=True))
    copied = {f["name"]: f["text"] for f in json.loads(answers[0])["version"]["fields"]}
    assert copied["title"] == "Kontrol af fakturaer"
    assert copied["what_worked"] == "Robotten kører hver nat."
    everything = [r for _t, r in found_rows] + files + answers + copies
    for what, marker in MARKERS.items():
        leaks = [text_ for text_ in everything if marker.lower() in text_.lower()]
        assert leaks == [], what
    # No id of the municipality's rows, outside the tenant-owned tables (its own source link,
    # its inbox).
    assert "catalogue_source" in tenant_owned
    shared = [r for t, r in found_rows if t not in tenant_owned] + answers
    for value in ids:
        assert not [r for r in shared if value in r], value


def lxml_values(html: str, name: str) -> list[str]:
    import lxml.html

    return [i.get("value") for i in lxml.html.fromstring(html).xpath(f'//input[@name="{name}"]')]

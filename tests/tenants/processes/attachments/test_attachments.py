"""Attachments: what is accepted (bytes, not names), who may do what, the file and its row
kept in step, the pages, the intake form, isolation, and the S3-compatible storage."""

from __future__ import annotations

import io
import shutil
import socket
import uuid
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import pytest
from helpers import app_env, bearer, login
from sqlalchemy import text

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


def xlsx_bytes() -> bytes:
    wb = openpyxl.Workbook()
    wb.active["A1"] = "Sag"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.fixture
def alpha(make):
    tenant = make.tenant("alpha", "Alfa Kommune")
    team = make.user(tenant, "automation", name="Tea Team")
    erik = make.user(tenant, "employee", name="Erik Medarbejder")
    mona = make.user(tenant, "employee", name="Mona Kollega")
    beta = make.tenant("beta", "Beta Kommune")
    stranger = make.user(beta, "automation", name="Bo Beta")
    process = make.process(erik, title="Sygemeldinger i lønsystemet")
    return SimpleNamespace(
        tenant=tenant,
        team=team,
        erik=erik,
        mona=mona,
        stranger=stranger,
        process=process,
        team_token=make.token(team),
        erik_token=make.token(erik),
        mona_token=make.token(mona),
        stranger_token=make.token(stranger),
    )


@pytest.fixture(autouse=True)
def _no_stored_files(app):
    """The session's app keeps its files in one instance folder: start each test empty."""
    shutil.rmtree(Path(app.instance_path) / "files", ignore_errors=True)


def url(process_id, attachment_id=None, suffix="") -> str:
    base = f"/api/v1/processes/{process_id}/attachments"
    return base + (f"/{attachment_id}" if attachment_id else "") + suffix


def upload(client, token, process_id, *files, **form):
    data = {"file": [(io.BytesIO(content), name) for name, content in files], **form}
    return client.post(
        url(process_id), data=data, headers=bearer(token), content_type="multipart/form-data"
    )


def post_idea(client, title: str, files, **form):
    """The intake form as the browser posts it: an idea and its file(s)."""
    return client.post(
        "/alpha/processer/ny",
        data={"title": title, "summary": "Et resumé.", **form, "file": files},
        content_type="multipart/form-data",
    )


def stored_files(app) -> list[Path]:
    root = Path(app.instance_path) / "files"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def count(su_engine, **where) -> int:
    clause = " and ".join(f"{k} = :{k}" for k in where) or "true"
    with su_engine.connect() as conn:
        return conn.scalar(text(f"select count(*) from process_attachment where {clause}"), where)


# --- What is accepted ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("notat.pdf", PDF, "application/pdf"),
        ("skærm.PNG", PNG, "image/png"),
        ("tal.xlsx", None, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("liste.csv", "navn;beløb\nÆble;12,50\n".encode("cp1252"), "text/csv"),
        ("noter.txt", "Første linje\r\nAnden linje\n".encode(), "text/plain"),
        ("flow.bpmn", b'\xef\xbb\xbf<?xml version="1.0"?><definitions/>', "application/xml"),
    ],
)
def test_allowed_files_get_the_type_their_bytes_have(name, content, expected):
    from autoproces.tenants.processes.attachments.services import sniff

    assert sniff(name, content if content is not None else xlsx_bytes()) == expected


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("billede.pdf", PNG, "passer ikke til filtypen .pdf"),
        ("program.pdf", EXE, "passer ikke til filtypen .pdf"),
        ("program.exe", EXE, "Filtypen er ikke tilladt"),
        ("side.html", b"<html></html>", "Filtypen er ikke tilladt"),
        ("tal.docx", None, "passer ikke til filtypen .docx"),  # an xlsx named .docx
        ("binær.txt", b"abc\x00def", "passer ikke til filtypen .txt"),
        ("pdf.txt", PDF + b"\x00", "passer ikke til filtypen .txt"),
        ("flow.bpmn", b"not xml", "passer ikke til filtypen .bpmn"),
        ("tom.pdf", b"", "Filen er tom"),
        ("uden-endelse", PDF, "Filtypen er ikke tilladt"),
    ],
)
def test_files_whose_bytes_are_not_what_the_name_says_are_refused(name, content, message, app):
    from autoproces.platform.errors import Invalid
    from autoproces.tenants.processes.attachments.services import sniff

    with app.test_request_context(), pytest.raises(Invalid) as e:
        sniff(name, content if content is not None else xlsx_bytes())
    assert message in e.value.errors["file"][0]


def test_a_file_over_20_mb_is_refused(app):
    from autoproces.platform.errors import Invalid
    from autoproces.tenants.processes.attachments.services import MAX_BYTES, sniff

    assert sniff("stor.pdf", PDF + b"\x00" * (MAX_BYTES - len(PDF))) == "application/pdf"
    with app.test_request_context(), pytest.raises(Invalid) as e:
        sniff("stor.pdf", PDF + b"\x00" * (MAX_BYTES - len(PDF) + 1))
    assert "20 MB" in e.value.errors["file"][0]


def test_filenames_lose_folders_and_control_characters():
    from autoproces.tenants.processes.attachments.services import clean_filename

    assert clean_filename("C:\\Users\\erik\\Skrivebord\\Løn.pdf") == "Løn.pdf"
    assert clean_filename("../../etc/passwd.txt") == "passwd.txt"
    assert clean_filename("a\x00b\nc.pdf") == "abc.pdf"
    long = clean_filename("x" * 300 + ".pdf")
    assert len(long) == 255 and long.endswith(".pdf")


# --- The API -------------------------------------------------------------------------------


def test_upload_list_read_and_download(client, alpha, app):
    r = upload(
        client,
        alpha.erik_token,
        alpha.process.id,
        ("Skærmbillede af løn.png", PNG),
        ("vejledning.pdf", PDF),
        description="Sådan ser det ud i dag",
    )
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert [a["filename"] for a in body] == ["Skærmbillede af løn.png", "vejledning.pdf"]
    assert body[0]["content_type"] == "image/png"
    assert body[0]["size_bytes"] == len(PNG)
    assert body[0]["shareable"] is False
    assert body[0]["description"] == "Sådan ser det ud i dag"
    assert body[0]["uploaded_by"]["name"] == "Erik Medarbejder"
    assert len(stored_files(app)) == 2

    listed = client.get(url(alpha.process.id), headers=bearer(alpha.mona_token)).get_json()
    assert [a["id"] for a in listed] == [a["id"] for a in body]
    one = client.get(url(alpha.process.id, body[1]["id"]), headers=bearer(alpha.mona_token))
    assert one.get_json()["sha256"] == body[1]["sha256"]

    r = client.get(
        url(alpha.process.id, body[0]["id"], "/content"), headers=bearer(alpha.mona_token)
    )
    assert r.status_code == 200
    assert r.data == PNG
    assert r.headers["Content-Type"] == "image/png"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    disposition = r.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''Sk%C3%A6rmbillede%20af%20l%C3%B8n.png" in disposition


def test_the_declared_content_type_is_ignored(client, alpha):
    r = client.post(
        url(alpha.process.id),
        data={"file": (io.BytesIO(PNG), "billede.pdf", "application/pdf")},
        headers=bearer(alpha.erik_token),
        content_type="multipart/form-data",
    )
    assert r.status_code == 422
    assert "file" in r.get_json()["errors"]["json"]


def test_one_bad_file_refuses_them_all_and_nothing_is_kept(client, alpha, app, su_engine):
    r = upload(client, alpha.erik_token, alpha.process.id, ("god.pdf", PDF), ("virus.pdf", EXE))
    assert r.status_code == 422
    assert "passer ikke" in r.get_json()["errors"]["json"]["file"][0]
    assert count(su_engine) == 0
    assert stored_files(app) == []


def test_bad_uploads_are_named(client, alpha):
    r = client.post(url(alpha.process.id), headers=bearer(alpha.erik_token), data={})
    assert r.status_code == 422
    assert r.get_json()["errors"]["json"]["file"] == ["Vælg en fil."]
    r = upload(client, alpha.erik_token, alpha.process.id, ("a.pdf", PDF), description="x" * 301)
    assert r.status_code == 422
    assert "description" in r.get_json()["errors"]["form"]
    r = upload(client, alpha.erik_token, alpha.process.id, ("a.pdf", PDF), shareable="måske")
    assert r.status_code == 422
    assert "shareable" in r.get_json()["errors"]["form"]
    r = client.patch(
        url(alpha.process.id, uuid.uuid4()),
        json={"shareable": "x"},
        headers=bearer(alpha.team_token),
    )
    assert r.status_code == 422


def test_a_file_just_over_the_limit_is_422_and_a_huge_request_413(client, alpha):
    from autoproces.tenants.processes.attachments.services import MAX_BYTES

    big = PDF + b"\x00" * (MAX_BYTES - len(PDF) + 1)
    r = upload(client, alpha.erik_token, alpha.process.id, ("stor.pdf", big))
    assert r.status_code == 422
    assert "20 MB" in r.get_json()["errors"]["json"]["file"][0]
    huge = PDF + b"\x00" * (26 * 1024 * 1024)
    r = upload(client, alpha.erik_token, alpha.process.id, ("kæmpe.pdf", huge))
    assert r.status_code == 413
    assert r.get_json()["code"] == 413


def test_only_the_team_marks_attachments_shareable(client, alpha):
    r = upload(client, alpha.erik_token, alpha.process.id, ("a.pdf", PDF), shareable="true")
    assert r.status_code == 403
    a = upload(client, alpha.erik_token, alpha.process.id, ("a.pdf", PDF)).get_json()[0]
    r = client.patch(
        url(alpha.process.id, a["id"]), json={"shareable": True}, headers=bearer(alpha.erik_token)
    )
    assert r.status_code == 403
    r = client.patch(
        url(alpha.process.id, a["id"]), json={"shareable": True}, headers=bearer(alpha.team_token)
    )
    assert r.status_code == 200 and r.get_json()["shareable"] is True
    # The uploader may still describe their own file, not someone else's.
    r = client.patch(
        url(alpha.process.id, a["id"]), json={"description": "Ny"}, headers=bearer(alpha.erik_token)
    )
    assert r.status_code == 200 and r.get_json()["description"] == "Ny"
    r = client.patch(
        url(alpha.process.id, a["id"]),
        json={"description": "Min"},
        headers=bearer(alpha.mona_token),
    )
    assert r.status_code == 403
    r = upload(client, alpha.team_token, alpha.process.id, ("b.pdf", PDF), shareable="true")
    assert r.status_code == 201 and r.get_json()[0]["shareable"] is True


def test_the_uploader_and_the_team_delete_and_the_file_goes_after_commit(client, alpha, app):
    first = upload(client, alpha.erik_token, alpha.process.id, ("a.pdf", PDF)).get_json()[0]
    second = upload(client, alpha.erik_token, alpha.process.id, ("b.pdf", PDF)).get_json()[0]
    assert len(stored_files(app)) == 2
    r = client.delete(url(alpha.process.id, first["id"]), headers=bearer(alpha.mona_token))
    assert r.status_code == 403
    assert (
        client.delete(
            url(alpha.process.id, first["id"]), headers=bearer(alpha.erik_token)
        ).status_code
        == 204
    )
    assert (
        client.delete(
            url(alpha.process.id, second["id"]), headers=bearer(alpha.team_token)
        ).status_code
        == 204
    )
    assert stored_files(app) == []
    r = client.get(url(alpha.process.id, first["id"], "/content"), headers=bearer(alpha.erik_token))
    assert r.status_code == 404


def test_deleting_the_process_removes_its_files(client, alpha, app, su_engine):
    upload(client, alpha.erik_token, alpha.process.id, ("a.pdf", PDF), ("b.png", PNG))
    assert len(stored_files(app)) == 2
    r = client.delete(f"/api/v1/processes/{alpha.process.id}", headers=bearer(alpha.team_token))
    assert r.status_code == 204
    assert count(su_engine) == 0
    assert stored_files(app) == []


def test_a_file_written_in_a_rolled_back_transaction_is_removed(app, alpha):
    from autoproces.platform.db import db
    from autoproces.platform.storage import delete_after_commit, put_in_transaction, storage

    with app.app_context():
        put_in_transaction(db.session(), "test/kept", b"x", "text/plain")
        db.session.commit()
        put_in_transaction(db.session(), "test/undone", b"y", "text/plain")
        delete_after_commit(db.session(), "test/kept")
        db.session.rollback()  # neither the new file nor the deletion happened
        assert storage().exists("test/kept")
        assert not storage().exists("test/undone")
        delete_after_commit(db.session(), "test/kept")
        db.session.commit()
        assert not storage().exists("test/kept")


def test_storage_keys_cannot_leave_the_folder(tmp_path):
    from autoproces.platform.storage import LocalStorage

    store = LocalStorage(tmp_path)
    for key in ("../x", "/etc/passwd", "a/../../b", "", "a//b"):
        with pytest.raises(ValueError):
            store.put(key, b"x", "text/plain")


# --- Isolation -----------------------------------------------------------------------------


def test_another_municipality_sees_nothing(client, alpha, app, su_engine):
    a = upload(client, alpha.erik_token, alpha.process.id, ("a.pdf", PDF)).get_json()[0]
    token = alpha.stranger_token
    for method, path, kwargs in [
        ("get", url(alpha.process.id), {}),
        ("get", url(alpha.process.id, a["id"]), {}),
        ("get", url(alpha.process.id, a["id"], "/content"), {}),
        ("patch", url(alpha.process.id, a["id"]), {"json": {"shareable": True}}),
        ("delete", url(alpha.process.id, a["id"]), {}),
    ]:
        r = getattr(client, method)(path, headers=bearer(token), **kwargs)
        assert r.status_code == 404, (method, path)
    r = upload(client, token, alpha.process.id, ("b.pdf", PDF))
    assert r.status_code == 404
    assert count(su_engine) == 1
    assert len(stored_files(app)) == 1
    with su_engine.connect() as conn:
        assert conn.scalar(text("select shareable from process_attachment")) is False


def test_a_private_process_hides_its_attachments(client, alpha, make):
    private = make.process(alpha.erik, title="Privat idé", visibility="personal")
    a = upload(client, alpha.erik_token, private.id, ("a.pdf", PDF)).get_json()[0]
    r = client.get(url(private.id, a["id"], "/content"), headers=bearer(alpha.mona_token))
    assert r.status_code == 404
    r = client.get(url(private.id, a["id"], "/content"), headers=bearer(alpha.team_token))
    assert r.status_code == 200


def test_an_attachment_is_found_only_under_its_own_process(client, alpha, make):
    other = make.process(alpha.erik, title="En anden proces")
    a = upload(client, alpha.erik_token, alpha.process.id, ("a.pdf", PDF)).get_json()[0]
    r = client.get(url(other.id, a["id"], "/content"), headers=bearer(alpha.erik_token))
    assert r.status_code == 404


# --- Pages ---------------------------------------------------------------------------------


def page(process_id, suffix="") -> str:
    return f"/alpha/processer/{process_id}{suffix}"


def test_the_process_page_uploads_lists_shares_and_deletes(client, alpha, app):
    login(client, alpha.team)
    r = client.post(
        page(alpha.process.id, "/bilag"),
        data={"file": (io.BytesIO(PDF), "Arbejdsgang.pdf"), "attachment_description": "Diagram"},
        content_type="multipart/form-data",
    )
    assert r.status_code == 302 and r.headers["Location"].endswith("#bilag")
    html = client.get(page(alpha.process.id)).get_data(as_text=True)
    assert "Arbejdsgang.pdf" in html and "Diagram" in html
    from autoproces.platform.db import db
    from autoproces.tenants.processes.attachments.models import Attachment

    with app.app_context():
        from autoproces.platform.db import use_tenant

        use_tenant(alpha.tenant.id)
        attachment = db.session.scalars(db.select(Attachment)).one()
    r = client.get(page(alpha.process.id, f"/bilag/{attachment.id}"))
    assert r.status_code == 200 and r.data == PDF
    assert r.headers["Content-Disposition"].startswith("attachment;")
    r = client.post(
        page(alpha.process.id, f"/bilag/{attachment.id}/deling"), data={"shareable": "1"}
    )
    assert r.status_code == 302
    r = client.post(page(alpha.process.id, f"/bilag/{attachment.id}/slet"))
    assert r.status_code == 302
    assert stored_files(app) == []
    assert "Ingen bilag endnu." in client.get(page(alpha.process.id)).get_data(as_text=True)


def test_a_refused_upload_shows_the_error_in_danish_on_the_page(client, alpha, su_engine):
    login(client, alpha.erik)
    r = client.post(
        page(alpha.process.id, "/bilag"),
        data={"file": (io.BytesIO(EXE), "regneark.xlsx")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "Filens indhold passer ikke til filtypen .xlsx." in html
    assert 'id="attachment-file-error"' in html
    assert count(su_engine) == 0


def test_employees_see_no_sharing_buttons(client, alpha):
    login(client, alpha.erik)
    upload(client, alpha.erik_token, alpha.process.id, ("a.pdf", PDF))
    html = client.get(page(alpha.process.id)).get_data(as_text=True)
    assert "/deling" not in html
    assert 'name="shareable"' not in html
    r = client.post(
        page(alpha.process.id, f"/bilag/{uuid.uuid4()}/deling"), data={"shareable": "1"}
    )
    assert r.status_code == 404


def test_the_intake_form_takes_files_with_the_idea(client, alpha, su_engine):
    login(client, alpha.mona)
    r = post_idea(
        client,
        "Udbetaling af befordringsgodtgørelse",
        [(io.BytesIO(PDF), "blanket.pdf"), (io.BytesIO(PNG), "skærm.png")],
        summary="Kørselsblanketter tastes manuelt.",
        visibility="municipality",
        attachment_description="Blanketten",
    )
    assert r.status_code == 302, r.get_data(as_text=True)
    assert count(su_engine, description="Blanketten") == 2
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "blanket.pdf" in html and "skærm.png" in html


def test_a_refused_file_on_the_intake_form_keeps_the_idea_from_being_saved(
    client, alpha, su_engine
):
    login(client, alpha.mona)
    r = post_idea(
        client, "Ny idé med forkert fil", (io.BytesIO(EXE), "blanket.pdf"), visibility="municipality"
    )
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "Filens indhold passer ikke til filtypen .pdf." in html
    assert 'href="#attachment-file"' in html
    assert "Ny idé med forkert fil" in html  # what was typed comes back
    with su_engine.connect() as conn:
        assert conn.scalar(text("select count(*) from process where title like 'Ny idé%'")) == 0
    assert count(su_engine) == 0


# --- S3-compatible storage -----------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3_server():
    """moto's S3 server: a real S3 HTTP API on loopback."""
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


S3_CREDENTIALS = {
    "AUTOPROCES_S3_REGION": "eu-north-1",
    "AUTOPROCES_S3_ACCESS_KEY_ID": "test",
    "AUTOPROCES_S3_SECRET_ACCESS_KEY": "test",
}


def _bucket(endpoint: str, name: str):
    import boto3

    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="eu-north-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-north-1"})
    return s3


def test_attachments_go_to_s3_compatible_storage_when_configured(database, s3_server, alpha):
    from autoproces.platform.app import create_app
    from autoproces.platform.storage import S3Storage

    s3 = _bucket(s3_server, "autoproces-bilag")
    app = create_app(
        app_env(
            database,
            AUTOPROCES_S3_BUCKET="autoproces-bilag",
            AUTOPROCES_S3_ENDPOINT_URL=s3_server,
            AUTOPROCES_S3_PREFIX="test",
            **S3_CREDENTIALS,
        ),
        TESTING=True,
    )
    assert isinstance(app.extensions["autoproces.storage"], S3Storage)
    client = app.test_client()
    a = upload(client, alpha.erik_token, alpha.process.id, ("vejledning.pdf", PDF)).get_json()[0]
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="autoproces-bilag")["Contents"]]
    assert keys == [f"test/{alpha.tenant.id}/{alpha.process.id}/{a['id']}"]
    obj = s3.get_object(Bucket="autoproces-bilag", Key=keys[0])
    assert obj["Body"].read() == PDF and obj["ContentType"] == "application/pdf"
    r = client.get(url(alpha.process.id, a["id"], "/content"), headers=bearer(alpha.erik_token))
    assert r.data == PDF
    # A refused batch leaves nothing in the bucket either.
    r = upload(client, alpha.erik_token, alpha.process.id, ("a.pdf", PDF), ("b.pdf", EXE))
    assert r.status_code == 422
    assert len(s3.list_objects_v2(Bucket="autoproces-bilag")["Contents"]) == 1
    r = client.delete(url(alpha.process.id, a["id"]), headers=bearer(alpha.erik_token))
    assert r.status_code == 204
    assert s3.list_objects_v2(Bucket="autoproces-bilag").get("KeyCount") == 0


def test_storage_down_gives_503_in_danish_and_nothing_is_written(database, alpha, su_engine):
    from autoproces.platform.app import create_app

    app = create_app(
        app_env(
            database,
            AUTOPROCES_S3_BUCKET="findes-ikke",
            AUTOPROCES_S3_ENDPOINT_URL=f"http://127.0.0.1:{_free_port()}",
            **S3_CREDENTIALS,
        ),
        TESTING=True,
    )
    client = app.test_client()
    r = upload(client, alpha.erik_token, alpha.process.id, ("a.pdf", PDF))
    assert r.status_code == 503
    assert r.get_json()["message"] == "Filen kunne ikke gemmes lige nu. Prøv igen senere."
    assert count(su_engine) == 0


# --- Review follow-ups ---------------------------------------------------------------------


def test_text_is_judged_by_its_bytes_not_by_a_magic_number_guess():
    from autoproces.tenants.processes.attachments.services import sniff

    # "BM" is a bitmap's magic number, "ID3" an MP3's: ordinary words at the start of text.
    assert sniff("biler.csv", b"BMW;Audi\n1;2\n") == "text/csv"
    assert sniff("noter.txt", b"ID3-nummeret er 12") == "text/plain"


def _docx_with_thumbnail_first() -> bytes:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("docProps/thumbnail.jpeg", bytes(range(256)) * 40)  # 10 KB before word/
        z.writestr(
            "[Content_Types].xml",
            '<Types><Override PartName="/word/document.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        )
        z.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


def test_office_files_are_recognised_from_their_manifest(app):
    from autoproces.platform.errors import Invalid
    from autoproces.tenants.processes.attachments.services import sniff

    data = _docx_with_thumbnail_first()
    assert sniff("rapport.docx", data).endswith("wordprocessingml.document")
    with app.test_request_context(), pytest.raises(Invalid):
        sniff("rapport.xlsx", data)  # the manifest says Word, not Excel
    with app.test_request_context(), pytest.raises(Invalid):
        sniff("arkiv.docx", _zip_of({"a.txt": "x"}))  # a plain zip is no document


def _zip_of(entries: dict[str, str]) -> bytes:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, content in entries.items():
            z.writestr(name, content)
    return out.getvalue()


class _Recorder:
    """A storage that remembers what it holds (for the bookkeeping around savepoints)."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def put(self, key, data, content_type):
        self.files[key] = data

    def read(self, key):
        return iter([self.files[key]])

    def delete(self, key):
        self.files.pop(key, None)

    def exists(self, key):
        return key in self.files


@pytest.fixture
def recorder(app):
    store = _Recorder()
    saved = app.extensions["autoproces.storage"]
    app.extensions["autoproces.storage"] = store
    yield store
    app.extensions["autoproces.storage"] = saved


def test_savepoints_keep_files_and_rows_in_step(app, recorder):
    from autoproces.platform.db import db
    from autoproces.platform.storage import delete_after_commit, put_in_transaction

    with app.app_context():
        s = db.session()
        # A: written in a released savepoint, then the whole transaction rolls back.
        with s.begin_nested():
            put_in_transaction(s, "a", b"1", "text/plain")
        s.rollback()
        assert "a" not in recorder.files
        # B: a deletion queued in a released savepoint waits for the outer commit …
        recorder.files["b"] = b"2"
        with s.begin_nested():
            delete_after_commit(s, "b")
        assert "b" in recorder.files
        s.rollback()  # … and never happens when the outer transaction rolls back.
        assert "b" in recorder.files
        # C: written in a savepoint that rolls back, then the outer transaction commits.
        s.connection()
        savepoint = s.begin_nested()
        put_in_transaction(s, "c", b"3", "text/plain")
        savepoint.rollback()
        put_in_transaction(s, "d", b"4", "text/plain")
        s.commit()
        assert "c" not in recorder.files and recorder.files["d"] == b"4"
        # A released savepoint's deletion happens at the outer commit.
        with s.begin_nested():
            delete_after_commit(s, "b")
        s.commit()
        assert "b" not in recorder.files


def test_a_disk_error_is_503_and_a_failed_removal_does_not_break_the_commit(
    client, alpha, app, monkeypatch, su_engine
):
    import os

    a = upload(client, alpha.erik_token, alpha.process.id, ("a.pdf", PDF)).get_json()[0]

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    r = upload(client, alpha.erik_token, alpha.process.id, ("b.pdf", PDF))
    assert r.status_code == 503
    assert r.get_json()["message"] == "Filen kunne ikke gemmes lige nu. Prøv igen senere."
    monkeypatch.undo()

    monkeypatch.setattr(Path, "unlink", lambda self, missing_ok=False: full())
    r = client.delete(url(alpha.process.id, a["id"]), headers=bearer(alpha.erik_token))
    assert r.status_code == 204  # the row is gone; the stray file is only logged
    assert count(su_engine) == 0


def test_a_missing_file_is_404_not_a_retry_later(client, alpha, app):
    a = upload(client, alpha.erik_token, alpha.process.id, ("a.pdf", PDF)).get_json()[0]
    for path in stored_files(app):
        path.unlink()
    r = client.get(url(alpha.process.id, a["id"], "/content"), headers=bearer(alpha.erik_token))
    assert r.status_code == 404
    assert r.get_json()["message"] == "Filen findes ikke længere."


def test_the_intake_form_asks_for_the_files_again_after_other_errors(client, alpha, su_engine):
    login(client, alpha.mona)
    r = post_idea(client, "", (io.BytesIO(PDF), "blanket.pdf"))
    assert r.status_code == 422
    assert "Vælg filerne igen, når du har rettet fejlene." in r.get_data(as_text=True)
    assert count(su_engine) == 0


def test_the_intake_form_keeps_the_idea_on_the_page_when_storage_is_down(
    client, alpha, app, monkeypatch, su_engine
):
    from autoproces.platform.storage import StorageError

    def down(*args, **kwargs):
        raise StorageError("connection refused")

    monkeypatch.setattr(app.extensions["autoproces.storage"], "put", down)
    login(client, alpha.mona)
    r = post_idea(client, "Idé mens lageret er nede", (io.BytesIO(PDF), "blanket.pdf"))
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "Filen kunne ikke gemmes lige nu. Prøv igen senere." in html
    assert "Idé mens lageret er nede" in html
    with su_engine.connect() as conn:
        assert conn.scalar(text("select count(*) from process where title like 'Idé mens%'")) == 0


def test_uploads_to_one_process_wait_for_each_other(app, alpha):
    """The count of a process's attachments is taken under a row lock (FOR NO KEY UPDATE)."""
    import threading

    from autoproces.platform.db import db, use_tenant
    from autoproces.platform.identity.models import User
    from autoproces.tenants.processes.attachments import services as attachments
    from autoproces.tenants.processes.policy import get_process

    first_locked, release = threading.Event(), threading.Event()
    order: list[str] = []

    def first() -> None:
        with app.app_context():
            use_tenant(alpha.tenant.id)
            user = db.session.get(User, (alpha.tenant.id, alpha.erik.id))
            attachments.add_attachments(
                user, get_process(user, alpha.process.id), [attachments.Upload("a.txt", b"a")]
            )
            first_locked.set()
            release.wait(10)
            order.append("first")
            db.session.commit()

    thread = threading.Thread(target=first)
    thread.start()
    assert first_locked.wait(10)
    with app.app_context():
        use_tenant(alpha.tenant.id)
        user = db.session.get(User, (alpha.tenant.id, alpha.mona.id))
        process = get_process(user, alpha.process.id)
        threading.Timer(0.3, release.set).start()
        attachments.add_attachments(user, process, [attachments.Upload("b.txt", b"b")])
        order.append("second")
        db.session.commit()
    thread.join(10)
    assert order == ["first", "second"]


def test_the_files_folder_can_be_a_shared_volume(database, alpha, tmp_path):
    from autoproces.platform.app import create_app

    app = create_app(app_env(database, AUTOPROCES_FILES_PATH=str(tmp_path)), TESTING=True)
    a = upload(app.test_client(), alpha.erik_token, alpha.process.id, ("a.pdf", PDF))
    key = a.get_json()[0]["id"]
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [key]


def test_uploads_are_rate_limited_per_user_not_per_address(database, alpha):
    from autoproces.platform.app import create_app

    app = create_app(app_env(database), TESTING=True, UPLOAD_RATE_LIMIT="2/minute")
    client = app.test_client()
    for _ in range(2):
        assert (
            upload(client, alpha.erik_token, alpha.process.id, ("a.txt", b"a")).status_code == 201
        )
    r = upload(client, alpha.erik_token, alpha.process.id, ("a.txt", b"a"))
    assert r.status_code == 429
    # A colleague behind the same address has a budget of their own.
    assert upload(client, alpha.mona_token, alpha.process.id, ("b.txt", b"b")).status_code == 201

"""The municipality's export archive: asked for by the administrator or the operator, made by
the worker, announced by e-mail (aiosmtpd on loopback), downloaded once, on real PostgreSQL
and real storage (the instance folder, and moto's S3 server)."""

from __future__ import annotations

import io
import json
import shutil
import threading
import zipfile
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import pytest
from helpers import login, operator_login
from sqlalchemy import text

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _no_stored_files(app):
    root = app.extensions["autoproces.storage"].root
    yield
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def alpha(app, make):
    from autoproces.platform.db import db
    from autoproces.platform.identity.models import User
    from autoproces.platform.identity.services import save_idp
    from autoproces.platform.tenancy import activate_tenant, tenant_by_slug
    from autoproces.tenants.engagement import services as engagement
    from autoproces.tenants.processes.attachments import services as attachments
    from autoproces.tenants.processes.policy import get_process
    from autoproces.tenants.processes.services import update_process

    tenant = make.tenant("alpha", "Alfa Kommune")
    admin = make.user(tenant, "tenant_admin", email="admin@alfa.dk", name="Ada Admin")
    other_admin = make.user(tenant, "tenant_admin", email="anden@alfa.dk", name="Anden Admin")
    team = make.user(tenant, "automation", email="team@alfa.dk", name="Tea Team")
    public = make.process(team, title="Refusion")
    private = make.process(team, title="Hemmelig plan", visibility="personal")
    beta = make.tenant("beta", "Beta Kommune")
    beta_admin = make.user(beta, "tenant_admin", email="admin@beta.dk")
    with app.test_request_context():
        activate_tenant(tenant_by_slug("alpha"))
        u = db.session.get(User, (tenant.id, team.id))
        loaded = get_process(u, public.id, need="edit")
        update_process(u, loaded, {"version": public.version, "title": "Lønrefusion ved sygdom"})
        engagement.add_comment(u, public.id, "En **vigtig** kommentar")
        attachments.add_attachments(
            u, get_process(u, public.id), [attachments.Upload("notat æøå.pdf", PDF)]
        )
        save_idp(
            tenant_by_slug("alpha"),
            issuer="https://idp.alfa.example",
            client_id="autoproces",
            client_secret="super-hemmelig-klientnoegle",
        )
        db.session.commit()
    return SimpleNamespace(
        tenant=tenant,
        admin=admin,
        other_admin=other_admin,
        team=team,
        public=public,
        private=private,
        beta=beta,
        beta_admin=beta_admin,
    )


def work(app, smtp=None) -> int:
    """One pass of `autoproces worker --once`: the exports, then the mail."""
    from autoproces.platform.export.services import run_due
    from autoproces.platform.offboarding.services import run_due as offboard
    from autoproces.platform.outbox.sender import run_worker

    with app.app_context():
        if smtp is None:
            return run_due()
        return run_worker(smtp.config(), once=True, tasks=(run_due, offboard))


def exports(su_engine) -> list:
    with su_engine.connect() as conn:
        return conn.execute(text("select * from tenant_export order by created_at")).all()


def storage_files(app) -> list[str]:
    root = Path(app.extensions["autoproces.storage"].root)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_the_administrator_exports_everything_and_downloads_it_once(
    app, client, alpha, smtp, su_engine
):
    login(client, alpha.admin)
    page = client.get("/alpha/admin/eksport")
    assert page.status_code == 200 and "Bestil eksport" in page.get_data(as_text=True)
    r = client.post("/alpha/admin/eksport")
    assert r.status_code == 302
    page = client.get("/alpha/admin/eksport").get_data(as_text=True)
    assert "Venter" in page and "Hent eksporten" not in page
    # A second order while the first waits is refused, in Danish, not a 500.
    again = client.post("/alpha/admin/eksport")
    assert again.status_code == 409 and "venter eller er i gang" in again.get_data(as_text=True)

    work(app, smtp)
    (export,) = exports(su_engine)
    assert export.status == "ready" and export.attempts == 1
    assert export.storage_key == f"{alpha.tenant.id}/exports/{export.id}.zip"
    assert storage_files(app).count(export.storage_key) == 1
    (mail,) = [m for m in smtp.messages if m["To"] == "admin@alfa.dk"]
    assert "Eksporten af Alfa Kommune er klar" in mail["Subject"]
    assert "http://localhost/alpha/admin/eksport\r\n" in mail.get_content()

    page = client.get("/alpha/admin/eksport").get_data(as_text=True)
    assert "Klar" in page and "Hent eksporten" in page
    r = client.get(f"/alpha/admin/eksport/{export.id}/hent")
    assert r.status_code == 200 and r.mimetype == "application/zip"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in r.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(r.data))
    check_archive(archive, alpha)
    # Taken: the stored file is gone, and a second download is a Danish 410 page.
    assert export.storage_key not in storage_files(app)
    second = client.get(f"/alpha/admin/eksport/{export.id}/hent")
    assert second.status_code == 410
    assert "allerede hentet" in second.get_data(as_text=True)
    page = client.get("/alpha/admin/eksport").get_data(as_text=True)
    assert "Hentet" in page
    (export,) = exports(su_engine)
    assert export.status == "downloaded" and export.downloaded_at is not None
    with su_engine.connect() as conn:
        actions = conn.scalars(
            text("select action from tenant_audit where tenant_id = :t order by id"),
            {"t": alpha.tenant.id},
        ).all()
    assert "export.requested" in actions and "export.downloaded" in actions


def check_archive(archive: zipfile.ZipFile, alpha) -> None:
    from autoproces.tenants.processes.exchange.converters import headers

    names = set(archive.namelist())
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["municipality"]["slug"] == "alpha"
    kinds = {p["kind"]: p for p in manifest["parts"]}
    for kind in (
        "municipality",
        "users",
        "identity_provider",
        "audit_log",
        "processes",
        "process_history",
        "comments",
        "attachments",
        "catalogue_entries",
        "saved_searches",
        "process_runs",
    ):
        assert kind in kinds, kind
        assert kinds[kind]["file"] in names and kinds[kind]["description"]

    def data(kind):
        return json.loads(archive.read(kinds[kind]["file"]))

    titles = {p["title"] for p in data("processes")}
    assert titles == {"Lønrefusion ved sygdom", "Hemmelig plan"}  # private ones too
    assert {u["email"] for u in data("users")} == {"admin@alfa.dk", "anden@alfa.dk", "team@alfa.dk"}
    assert data("comments")[0]["body_markdown"] == "En **vigtig** kommentar"
    assert data("process_history")
    idp = data("identity_provider")
    assert idp["issuer"] == "https://idp.alfa.example" and idp["has_client_secret"] is True
    (attachment,) = data("attachments")
    assert attachment["filename"] == "notat æøå.pdf"
    assert archive.read(attachment["file"]) == PDF
    # No secret anywhere: neither the client secret nor its encrypted form, no token hash.
    everything = b"".join(archive.read(n) for n in names)
    assert b"super-hemmelig-klientnoegle" not in everything
    assert b"client_secret_encrypted" not in everything and b"token_hash" not in everything
    assert b"Beta Kommune" not in everything
    workbook = openpyxl.load_workbook(io.BytesIO(archive.read("autoproces.xlsx")))
    sheet = workbook["Processer"]
    assert [c.value for c in sheet[1]] == headers()  # the register's own columns
    assert sheet.max_row == 3
    assert "Brugere" in workbook.sheetnames


def test_only_the_person_who_asked_may_download(app, client, make, alpha, su_engine):
    login(client, alpha.admin)
    client.post("/alpha/admin/eksport")
    work(app)
    (export,) = exports(su_engine)
    other = app.test_client()
    login(other, alpha.other_admin)
    assert other.get(f"/alpha/admin/eksport/{export.id}/hent").status_code == 404
    assert "Hent eksporten" not in other.get("/alpha/admin/eksport").get_data(as_text=True)
    stranger = app.test_client()
    login(stranger, alpha.beta_admin)
    assert stranger.get(f"/beta/admin/eksport/{export.id}/hent").status_code == 404
    r = stranger.get(f"/alpha/admin/eksport/{export.id}/hent")
    assert r.status_code == 302 and "/alpha/login" in r.headers["Location"]
    team = app.test_client()
    login(team, alpha.team)
    assert team.get(f"/alpha/admin/eksport/{export.id}/hent").status_code == 403
    assert team.post("/alpha/admin/eksport").status_code == 403
    for forged in ("nope", "00000000-0000-0000-0000-000000000000", "%00", "1" * 300):
        r = client.get(f"/alpha/admin/eksport/{forged}/hent")
        assert r.status_code == 404, forged
    # Still there for its owner.
    assert client.get(f"/alpha/admin/eksport/{export.id}/hent").status_code == 200


def test_two_downloads_at_once_give_the_file_once(app, alpha, su_engine):
    first = app.test_client()
    login(first, alpha.admin)
    first.post("/alpha/admin/eksport")
    work(app)
    (export,) = exports(su_engine)
    clients = [app.test_client() for _ in range(4)]
    for c in clients:
        login(c, alpha.admin)
    statuses: list[int] = []
    barrier = threading.Barrier(len(clients))

    def download(c) -> None:
        barrier.wait()
        statuses.append(c.get(f"/alpha/admin/eksport/{export.id}/hent").status_code)

    threads = [threading.Thread(target=download, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200, 410, 410, 410]


class BrokenStorage:
    """The instance folder's storage, but writing fails (a full disk)."""

    def __init__(self, inner) -> None:
        self.inner = inner

    def put(self, key, data, content_type):
        from autoproces.platform.storage import StorageError

        raise StorageError("disk full")

    put_file = put

    def __getattr__(self, name):
        return getattr(self.inner, name)


def test_a_failing_job_is_retried_then_failed_and_never_half_written(
    app, client, alpha, su_engine, smtp
):
    login(client, alpha.admin)
    client.post("/alpha/admin/eksport")
    good = app.extensions["autoproces.storage"]
    app.extensions["autoproces.storage"] = BrokenStorage(good)
    try:
        work(app, smtp)
        (export,) = exports(su_engine)
        assert export.status == "pending" and export.attempts == 1
        assert "disk full" in export.last_error
        assert client.get("/alpha/admin/eksport").get_data(as_text=True).count("Venter") == 1
        assert work(app) == 0  # the next try waits for its backoff
        assert exports(su_engine)[0].attempts == 1
        for _ in range(2):
            with su_engine.begin() as conn:
                conn.execute(text("update tenant_export set locked_until = now()"))
            work(app)
    finally:
        app.extensions["autoproces.storage"] = good
    (export,) = exports(su_engine)
    assert export.status == "failed" and export.attempts == 3 and export.storage_key is None
    assert not [f for f in storage_files(app) if "/exports/" in f]
    work(app, smtp)
    assert not [m for m in smtp.messages if "Eksporten" in m["Subject"]]
    page = client.get("/alpha/admin/eksport").get_data(as_text=True)
    assert "Fejlet" in page
    # A failed export is not open: a new one may be ordered, and it works.
    assert client.post("/alpha/admin/eksport").status_code == 302
    work(app)
    assert exports(su_engine)[-1].status == "ready"


def test_a_job_whose_worker_died_is_taken_up_again(app, client, alpha, su_engine):
    login(client, alpha.admin)
    client.post("/alpha/admin/eksport")
    with su_engine.begin() as conn:
        conn.execute(
            text(
                "update tenant_export set status = 'running', attempts = 1,"
                " locked_until = now() - interval '1 second'"
            )
        )
    work(app)
    (export,) = exports(su_engine)
    assert export.status == "ready" and export.attempts == 2
    # One that died on its last try is failed, not retried for ever.
    client.post("/alpha/admin/eksport")
    with su_engine.begin() as conn:
        conn.execute(
            text(
                "update tenant_export set status = 'running', attempts = 3,"
                " locked_until = now() - interval '1 second' where status = 'pending'"
            )
        )
    work(app)
    assert [e.status for e in exports(su_engine)] == ["ready", "failed"]


def test_a_lease_that_has_not_run_out_is_left_alone(app, client, alpha, su_engine):
    login(client, alpha.admin)
    client.post("/alpha/admin/eksport")
    with su_engine.begin() as conn:
        conn.execute(
            text(
                "update tenant_export set status = 'running', attempts = 1,"
                " locked_until = now() + interval '10 minutes'"
            )
        )
    assert work(app) == 0
    assert exports(su_engine)[0].status == "running"
    assert "I gang" in client.get("/alpha/admin/eksport").get_data(as_text=True)


def test_the_operator_exports_and_downloads_from_the_console(app, make, alpha, smtp, su_engine):
    operator = make.operator("ops@os2.dk")
    console = app.test_client()
    operator_login(console, operator)
    r = console.post("/operator/kommuner/alpha/eksport")
    assert r.status_code == 302
    page = console.get("/operator/kommuner/alpha").get_data(as_text=True)
    assert "Venter" in page
    work(app, smtp)
    (mail,) = [m for m in smtp.messages if m["To"] == "ops@os2.dk"]
    assert "http://localhost/operator/kommuner/alpha" in mail.get_content()
    (export,) = exports(su_engine)
    assert export.requested_by_operator_id == operator.id and export.requested_by_user_id is None
    # The municipality's own administrator cannot take the operator's export.
    admin = app.test_client()
    login(admin, alpha.admin)
    assert admin.get(f"/alpha/admin/eksport/{export.id}/hent").status_code == 404
    # Another municipality's page does not hand it out either.
    assert console.get(f"/operator/kommuner/beta/eksport/{export.id}/hent").status_code == 404
    assert console.get("/operator/kommuner/ingen/eksport/x/hent").status_code == 404
    r = console.get(f"/operator/kommuner/alpha/eksport/{export.id}/hent")
    assert r.status_code == 200
    check_archive(zipfile.ZipFile(io.BytesIO(r.data)), alpha)
    assert console.get(f"/operator/kommuner/alpha/eksport/{export.id}/hent").status_code == 410
    with su_engine.connect() as conn:
        actions = conn.scalars(
            text("select action from operator_audit where subject_tenant_slug = 'alpha'")
        ).all()
    assert "tenant.export_requested" in actions and "tenant.export_downloaded" in actions


def test_the_app_role_cannot_claim_or_read_across_tenants(app_engine, client, alpha):
    login(client, alpha.admin)
    client.post("/alpha/admin/eksport")
    with app_engine.begin() as conn:
        assert conn.scalar(text("select count(*) from tenant_export")) == 0
        row = conn.execute(text("select * from export_claim(60, 3)")).one()
        assert set(row._mapping) == {"tenant_id", "id"}  # ids only, nothing else
        conn.execute(
            text("select set_config('app.tenant_id', :t, true)"), {"t": str(alpha.beta.id)}
        )
        assert conn.execute(text("update tenant_export set status = 'ready'")).rowcount == 0


# --- S3 (moto's server) ----------------------------------------------------------------


@pytest.fixture(scope="module")
def s3_endpoint():
    from helpers import free_port
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def test_the_archive_goes_through_s3_compatible_storage(app, client, alpha, s3_endpoint):
    import boto3

    from autoproces.platform.storage import LocalStorage, S3Storage

    s3 = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="eu-north-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    s3.create_bucket(
        Bucket="eksport", CreateBucketConfiguration={"LocationConstraint": "eu-north-1"}
    )
    local = app.extensions["autoproces.storage"]
    assert isinstance(local, LocalStorage)
    bucket = S3Storage(
        "eksport",
        prefix="autoproces",
        endpoint_url=s3_endpoint,
        region="eu-north-1",
        access_key_id="test",
        secret_access_key="test",
    )
    # The attachment made in the fixture went to the folder: copy it into the bucket.
    for key in local.keys(f"{alpha.tenant.id}/"):
        bucket.put(key, b"".join(local.read(key)), "application/pdf")
    app.extensions["autoproces.storage"] = bucket
    try:
        login(client, alpha.admin)
        client.post("/alpha/admin/eksport")
        work(app)
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="eksport")["Contents"]]
        archive_key = next(k for k in keys if "/exports/" in k)
        assert archive_key.startswith(f"autoproces/{alpha.tenant.id}/exports/")
        export_id = archive_key.rsplit("/", 1)[1].removesuffix(".zip")
        r = client.get(f"/alpha/admin/eksport/{export_id}/hent")
        assert r.status_code == 200
        check_archive(zipfile.ZipFile(io.BytesIO(r.data)), alpha)
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="eksport").get("Contents", [])]
        assert not [k for k in keys if "/exports/" in k]
        assert sorted(bucket.keys(f"{alpha.tenant.id}/")) == [
            k.removeprefix("autoproces/") for k in keys
        ]
    finally:
        app.extensions["autoproces.storage"] = local


def test_storage_away_at_download_is_503_and_a_lost_file_is_410(app, client, alpha, su_engine):
    from autoproces.platform.storage import StorageError

    login(client, alpha.admin)
    client.post("/alpha/admin/eksport")
    work(app)
    (export,) = exports(su_engine)
    good = app.extensions["autoproces.storage"]

    class Away:
        def __getattr__(self, name):
            return getattr(good, name)

        def read(self, key):
            raise StorageError("connection refused")

    app.extensions["autoproces.storage"] = Away()
    try:
        r = client.get(f"/alpha/admin/eksport/{export.id}/hent")
    finally:
        app.extensions["autoproces.storage"] = good
    assert r.status_code == 503 and "Prøv igen om lidt" in r.get_data(as_text=True)
    assert exports(su_engine)[0].status == "ready"  # still there for another try
    good.delete(export.storage_key)
    r = client.get(f"/alpha/admin/eksport/{export.id}/hent")
    assert r.status_code == 410 and "findes ikke længere" in r.get_data(as_text=True)
    assert exports(su_engine)[0].status == "failed"


def test_an_archive_nobody_takes_expires_and_its_file_goes(app, client, alpha, su_engine):
    login(client, alpha.admin)
    client.post("/alpha/admin/eksport")
    work(app)
    (export,) = exports(su_engine)
    assert "inden for 7 dage" in client.get("/alpha/admin/eksport").get_data(as_text=True)
    with su_engine.begin() as conn:
        conn.execute(text("update tenant_export set finished_at = now() - interval '6 days'"))
    work(app)
    assert exports(su_engine)[0].status == "ready"
    with su_engine.begin() as conn:
        conn.execute(text("update tenant_export set finished_at = now() - interval '8 days'"))
    work(app)
    assert exports(su_engine)[0].status == "expired"
    assert export.storage_key not in storage_files(app)
    assert "Udløbet" in client.get("/alpha/admin/eksport").get_data(as_text=True)
    r = client.get(f"/alpha/admin/eksport/{export.id}/hent")
    assert r.status_code == 410 and "inden for 7 dage" in r.get_data(as_text=True)

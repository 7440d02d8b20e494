"""The review of issue 11, as an attacker and a careful reviewer: the export and the
offboarding under concurrency, reactivation, a grace period of 0, the app role calling
the purge itself, and what the archive must never hold. Real PostgreSQL, real storage."""

from __future__ import annotations

import io
import shutil
import threading
import uuid
import zipfile

import pytest
from helpers import app_env, login, operator_login
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError


@pytest.fixture(autouse=True)
def _no_stored_files(app):
    root = app.extensions["autoproces.storage"].root
    yield
    shutil.rmtree(root, ignore_errors=True)


def work(app) -> None:
    """One pass of the worker: the exports, then the offboardings."""
    from autoproces.platform.export.services import run_due as exports
    from autoproces.platform.offboarding.services import run_due as offboardings

    with app.app_context():
        exports()
        offboardings()


def console(app, make, email: str = "ops@os2.dk"):
    client = app.test_client()
    operator_login(client, make.operator(email))
    return client


def schedule(client, slug: str = "alpha", days: str = "30", catalogue: str = "withdraw"):
    return client.post(
        f"/operator/kommuner/{slug}/slet",
        data={"days": days, "catalogue": catalogue, "reason": "Opsagt", "confirm": slug},
    )


def at_once(calls) -> list:
    """Run the calls in threads released together; their results in call order."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call) -> None:
        barrier.wait()
        results[i] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def tenant_count(su_engine, slug: str = "alpha") -> int:
    with su_engine.connect() as conn:
        return conn.scalar(text("select count(*) from tenant where slug = :s"), {"s": slug})


@pytest.fixture
def alpha(make):
    tenant = make.tenant("alpha", "Alfa Kommune")
    admin = make.user(tenant, "tenant_admin", email="admin@alfa.dk")
    make.process(make.user(tenant, "automation", email="team@alfa.dk"), title="Lønrefusion")
    return tenant, admin


# --- Offboarding ----------------------------------------------------------------------------


def test_scheduling_twice_at_once_plans_one_deletion_and_never_a_500(app, make, alpha, su_engine):
    clients = [console(app, make, "ops@os2.dk"), console(app, make, "ops2@os2.dk")]
    statuses = sorted(r.status_code for r in at_once([lambda c=c: schedule(c) for c in clients]))
    assert statuses == [302, 422]
    with su_engine.connect() as conn:
        assert conn.scalar(text("select count(*) from tenant_offboarding")) == 1
        assert conn.scalar(text("select count(*) from tenant_export")) == 1


def test_reactivating_while_scheduling_leaves_no_active_municipality_planned_for_deletion(
    app, make, alpha, su_engine
):
    from autoproces.platform.tenancy import TenantStatus

    ops = console(app, make)
    with app.app_context():
        from autoproces.platform.db import db
        from autoproces.platform.tenancy import set_tenant_status

        set_tenant_status("alpha", TenantStatus.SUSPENDED)
        db.session.commit()
    other = console(app, make, "ops2@os2.dk")
    for _round in range(3):
        at_once([lambda: schedule(ops), lambda: other.post("/operator/kommuner/alpha/aktiver")])
        with su_engine.connect() as conn:
            status = conn.scalar(text("select status from tenant where slug = 'alpha'"))
            planned = conn.scalar(
                text(
                    "select count(*) from tenant_offboarding"
                    " where cancelled_at is null and deleted_at is null"
                )
            )
        assert not (status == "active" and planned), "active, and planned for deletion"
        if planned:
            ops.post("/operator/kommuner/alpha/slet/annuller")
        with su_engine.begin() as conn:
            conn.execute(text("update tenant set status = 'suspended' where slug = 'alpha'"))


def test_the_command_line_cannot_reactivate_a_municipality_planned_for_deletion(
    app, make, alpha, database, su_engine
):
    from click.testing import CliRunner

    from autoproces.platform.cli import main

    assert schedule(console(app, make)).status_code == 302
    r = CliRunner().invoke(main, ["tenants", "activate", "alpha"], env=app_env(database))
    assert r.exit_code != 0 and "annull" in r.output.lower(), r.output
    with su_engine.connect() as conn:
        assert conn.scalar(text("select status from tenant where slug = 'alpha'")) == "suspended"


def test_cancel_racing_the_deletion_either_cancels_or_deletes(app, make, alpha, su_engine):
    ops = console(app, make)
    assert schedule(ops).status_code == 302
    with su_engine.begin() as conn:
        conn.execute(text("update tenant_offboarding set delete_after = now() - interval '1s'"))

    def purge() -> int:
        from autoproces.platform.offboarding.services import run_due

        with app.app_context():
            return run_due()

    deleted, cancel = at_once([purge, lambda: ops.post("/operator/kommuner/alpha/slet/annuller")])
    assert cancel.status_code in (302, 404)
    with su_engine.connect() as conn:
        row = conn.execute(text("select * from tenant_offboarding")).one()
    if deleted:
        assert row.deleted_at is not None and row.cancelled_at is None
        assert tenant_count(su_engine) == 0
    else:
        assert row.cancelled_at is not None and row.deleted_at is None
        assert tenant_count(su_engine) == 1
        work(app)
        assert tenant_count(su_engine) == 1


def test_with_a_grace_period_of_0_the_operator_still_gets_the_export_first(
    app, make, alpha, su_engine
):
    """Suspend, export, then delete: a deletion due at once waits until the operator's
    archive has been taken (or has expired), so the export is not deleted unseen."""
    ops = console(app, make)
    assert schedule(ops, days="0").status_code == 302
    work(app)  # the export is made; the deletion is due but waits for it
    assert tenant_count(su_engine) == 1
    with su_engine.connect() as conn:
        export_id = conn.scalar(text("select export_id from tenant_offboarding"))
    r = ops.get(f"/operator/kommuner/alpha/eksport/{export_id}/hent")
    assert r.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(r.get_data())).namelist()
    assert "manifest.json" in names
    work(app)
    assert tenant_count(su_engine) == 0


def test_an_export_nobody_takes_holds_the_deletion_only_until_it_expires(
    app, make, alpha, su_engine
):
    ops = console(app, make)
    assert schedule(ops, days="0").status_code == 302
    work(app)
    assert tenant_count(su_engine) == 1
    with su_engine.begin() as conn:
        conn.execute(text("update tenant_export set finished_at = now() - interval '8 days'"))
    work(app)  # expired now: the deletion goes ahead
    assert tenant_count(su_engine) == 0


def test_the_app_role_cannot_purge_an_active_municipality_or_another_ones(
    app, make, alpha, app_engine, su_engine
):
    """Even a due offboarding row the app role writes itself does not purge an active
    municipality, and tenant_purge() deletes the offboarding's tenant only."""
    tenant, _admin = alpha
    beta = make.tenant("beta", "Beta Kommune")
    make.user(beta, "tenant_admin", email="admin@beta.dk")
    with pytest.raises(DBAPIError, match="not suspended"):
        with app_engine.begin() as conn:
            offboarding = conn.scalar(
                text(
                    "insert into tenant_offboarding (subject_tenant_id, tenant_slug,"
                    " operator_email, delete_after, catalogue) values (:t, 'alpha', 'x',"
                    " now() - interval '1 day', 'withdraw') returning id"
                ),
                {"t": tenant.id},
            )
            conn.execute(text("select tenant_purge(:o)"), {"o": offboarding})
    for target in (uuid.uuid4(), None):
        with pytest.raises(DBAPIError):
            with app_engine.begin() as conn:
                conn.execute(text("select tenant_purge(:o)"), {"o": target})
    with su_engine.connect() as conn:
        assert conn.scalar(text("select count(*) from tenant")) == 2
        assert conn.scalar(text("select count(*) from app_user")) == 3


def test_storage_failing_mid_deletion_keeps_the_rows_deleted_and_retries_the_files(
    app, make, alpha, su_engine
):
    """The storage removes some files, then fails: the rows are gone (committed), the
    error is recorded, and the next pass removes the rest."""
    tenant, _admin = alpha
    ops = console(app, make)
    assert schedule(ops).status_code == 302
    work(app)
    store = app.extensions["autoproces.storage"]
    with app.app_context():
        for n in range(3):
            store.put(f"{tenant.id}/extra/{n}.txt", b"x", "text/plain")
    with su_engine.begin() as conn:
        conn.execute(text("update tenant_export set status = 'downloaded'"))
        conn.execute(text("update tenant_offboarding set delete_after = now() - interval '1s'"))
    calls = {"n": 0}

    class Flaky:
        def __getattr__(self, name):
            return getattr(store, name)

        def delete(self, key):
            from autoproces.platform.storage import StorageError

            calls["n"] += 1
            if calls["n"] > 1:
                raise StorageError("storage went away")
            return store.delete(key)

    app.extensions["autoproces.storage"] = Flaky()
    try:
        work(app)
    finally:
        app.extensions["autoproces.storage"] = store
    assert tenant_count(su_engine) == 0
    with su_engine.connect() as conn:
        row = conn.execute(text("select * from tenant_offboarding")).one()
    assert row.files_deleted_at is None and "storage went away" in row.last_error
    assert list(store.keys(f"{tenant.id}/"))
    work(app)
    assert list(store.keys(f"{tenant.id}/")) == []


# --- Export ---------------------------------------------------------------------------------


def test_the_archive_holds_no_secret(app, make, alpha, su_engine):
    """A token's secret and hash, an operator's TOTP seed and password hash, the OIDC
    client secret, the SP key, the session cookie: none of it is in the ZIP."""
    from autoproces.platform.db import db
    from autoproces.platform.identity.models import User
    from autoproces.platform.identity.services import issue_token, save_idp
    from autoproces.platform.tenancy import activate_tenant, tenant_by_slug

    tenant, admin = alpha
    with app.test_request_context():
        activate_tenant(tenant_by_slug("alpha"))
        owner = db.session.get(User, (tenant.id, admin.id))
        token, secret = issue_token(owner, owner, "robot")
        save_idp(
            tenant_by_slug("alpha"),
            issuer="https://idp.alfa.example",
            client_id="autoproces",
            client_secret="klient-hemmelighed-42",
        )
        db.session.commit()
        token_hash = token.token_hash
    client = app.test_client()
    login(client, admin)
    session_cookie = client.get_cookie("session")
    assert client.post("/alpha/admin/eksport").status_code == 302
    ops = console(app, make)
    assert ops.post("/operator/kommuner/alpha/eksport").status_code in (302, 303)
    work(app)
    with su_engine.connect() as conn:
        operator = conn.execute(
            text("select password_hash, totp_secret_encrypted from platform_operator")
        ).one()
        idp_secret = conn.scalar(text("select client_secret_encrypted from tenant_idp"))
        export_id = conn.scalar(
            text("select id from tenant_export where requested_by_user_id is not null")
        )
    r = client.get(f"/alpha/admin/eksport/{export_id}/hent")
    assert r.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(r.get_data()))
    everything = b"".join(archive.read(n) for n in archive.namelist())
    from openpyxl import load_workbook

    sheets = load_workbook(io.BytesIO(archive.read("autoproces.xlsx")), read_only=True)
    cells = " ".join(
        str(v) for ws in sheets.worksheets for row in ws.iter_rows(values_only=True) for v in row
    )
    forbidden = [
        secret,
        token_hash,
        "klient-hemmelighed-42",
        idp_secret,
        operator.password_hash,
        operator.totp_secret_encrypted,
        app.secret_key,
        session_cookie.value if session_cookie else None,
    ]
    for value in filter(None, forbidden):
        assert value.encode() not in everything and value not in cells, value[:12]
    for word in (b"token_hash", b"session_epoch", b"client_secret_encrypted", b"totp"):
        assert word not in everything, word


def test_another_operator_cannot_take_an_operators_export(app, make, alpha, su_engine):
    ops = console(app, make)
    assert ops.post("/operator/kommuner/alpha/eksport").status_code in (302, 303)
    work(app)
    with su_engine.connect() as conn:
        export_id = conn.scalar(text("select id from tenant_export"))
    other = console(app, make, "ops2@os2.dk")
    assert other.get(f"/operator/kommuner/alpha/eksport/{export_id}/hent").status_code == 404
    beta = make.tenant("beta", "Beta Kommune")
    assert beta  # the export id under another municipality's address is nothing either
    assert ops.get(f"/operator/kommuner/beta/eksport/{export_id}/hent").status_code == 404
    assert ops.get(f"/operator/kommuner/alpha/eksport/{export_id}/hent").status_code == 200


def test_an_export_ordered_twice_at_once_is_made_once(app, make, alpha, su_engine):
    _tenant, admin = alpha
    clients = [app.test_client() for _ in range(3)]
    for c in clients:
        login(c, admin)
    statuses = at_once([lambda c=c: c.post("/alpha/admin/eksport").status_code for c in clients])
    assert sorted(statuses) == [302, 409, 409]
    with su_engine.connect() as conn:
        assert conn.scalar(text("select count(*) from tenant_export")) == 1


def test_the_archive_has_the_saml_settings_too(app, make, alpha, su_engine):
    """Everything the municipality set: its SAML provider's metadata (address, extra
    certificates) and the NSIS minimum are settings too."""
    import json

    from autoproces.platform.db import db
    from autoproces.platform.identity.services import save_kombit
    from autoproces.platform.tenancy import activate_tenant, tenant_by_slug

    tenant, admin = alpha
    with app.test_request_context():
        from autoproces.platform.tenancy import update_tenant

        update_tenant("alpha", "Alfa Kommune", cvr="29189846")
        activate_tenant(tenant_by_slug("alpha"))
        save_kombit(tenant_by_slug("alpha"), min_loa="High", role_mapping={"x": "manager"})
        db.session.commit()
    client = app.test_client()
    login(client, admin)
    client.post("/alpha/admin/eksport")
    work(app)
    with su_engine.connect() as conn:
        export_id = conn.scalar(text("select id from tenant_export"))
    archive = zipfile.ZipFile(
        io.BytesIO(client.get(f"/alpha/admin/eksport/{export_id}/hent").get_data())
    )
    idp = json.loads(archive.read("data/identity_provider.json"))
    assert idp["protocol"] == "kombit" and idp["min_loa"] == "High"
    assert {"saml_metadata", "saml_metadata_url", "saml_certificates"} <= set(idp)


def test_an_administrators_export_then_the_municipality_offboarded(app, make, alpha, su_engine):
    """The administrator's archive is made, but the municipality is suspended by then: no
    download (a Danish 403), and the deletion takes the archive and its file too."""
    tenant, admin = alpha
    client = app.test_client()
    login(client, admin)
    assert client.post("/alpha/admin/eksport").status_code == 302
    ops = console(app, make)
    assert schedule(ops, days="0").status_code == 302
    work(app)
    with su_engine.connect() as conn:
        mine = conn.scalar(
            text("select id from tenant_export where requested_by_user_id is not null")
        )
        theirs = conn.scalar(text("select export_id from tenant_offboarding"))
        assert conn.scalar(text("select count(*) from tenant_export where status = 'ready'")) == 2
    r = client.get(f"/alpha/admin/eksport/{mine}/hent")
    assert r.status_code == 403 and '<html lang="da"' in r.get_data(as_text=True)
    assert ops.get(f"/operator/kommuner/alpha/eksport/{theirs}/hent").status_code == 200
    work(app)
    assert tenant_count(su_engine) == 0
    assert list(app.extensions["autoproces.storage"].keys(f"{tenant.id}/")) == []
    assert client.get(f"/alpha/admin/eksport/{mine}/hent").status_code == 404


@pytest.mark.parametrize("days", ["²", "³", "١٢", "-0", "+5", "1e3", "0" * 400])
def test_odd_numbers_of_days_are_a_danish_422_or_plain_digits(app, make, alpha, su_engine, days):
    """str.isdigit() says yes to "²", which int() refuses: never a 500."""
    r = schedule(console(app, make), days=days)
    if r.status_code == 302:
        with su_engine.connect() as conn:
            grace = conn.scalar(
                text("select extract(day from delete_after - scheduled_at) from tenant_offboarding")
            )
        assert 0 <= grace <= 365
    else:
        assert r.status_code == 422 and "Skriv et antal dage" in r.get_data(as_text=True)

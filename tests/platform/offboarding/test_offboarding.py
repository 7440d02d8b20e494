"""Offboarding by the operator: schedule (suspend, export, the administrators told by
e-mail through aiosmtpd), cancel, and the worker's complete deletion after the grace period:
nothing of the municipality left in any table or in the storage, nothing else touched."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest
from helpers import login, operator_login
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _no_stored_files(app):
    root = app.extensions["autoproces.storage"].root
    yield
    shutil.rmtree(root, ignore_errors=True)


def work(app, smtp=None) -> None:
    from autoproces.platform.export.services import run_due as exports
    from autoproces.platform.offboarding.services import run_due as offboardings
    from autoproces.platform.outbox.sender import run_worker

    with app.app_context():
        if smtp is None:
            exports()
            offboardings()
        else:
            run_worker(smtp.config(), once=True, tasks=(exports, offboardings))


def console(app, make):
    operator = make.operator("ops@os2.dk")
    client = app.test_client()
    operator_login(client, operator)
    return client, operator


def schedule(client, slug="alpha", **form):
    data = {
        "days": "30",
        "catalogue": "withdraw",
        "reason": "Aftalen er opsagt",
        "confirm": slug,
        **form,
    }
    return client.post(f"/operator/kommuner/{slug}/slet", data=data)


def export_taken(su_engine) -> None:
    """As if the operator had downloaded the offboarding's export: the deletion waits for
    it otherwise (test_attack_issue11.py)."""
    with su_engine.begin() as conn:
        conn.execute(text("update tenant_export set status = 'downloaded'"))


def due_now(su_engine) -> None:
    with su_engine.begin() as conn:
        conn.execute(text("update tenant_offboarding set delete_after = now() - interval '1s'"))


def tenant_tables(conn) -> list[str]:
    return conn.scalars(
        text(
            "select c.relname from pg_class c join pg_attribute a on a.attrelid = c.oid"
            " where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p')"
            " and a.attname = 'tenant_id' and not a.attisdropped order by 1"
        )
    ).all()


def uuid_columns(conn) -> list[tuple[str, str]]:
    return conn.execute(
        text(
            "select table_name, column_name from information_schema.columns"
            " where table_schema = 'public' and data_type = 'uuid' order by 1, 2"
        )
    ).all()


def counts(conn, tenant_id) -> dict[str, int]:
    return {
        t: conn.scalar(text(f"select count(*) from {t} where tenant_id = :t"), {"t": tenant_id})
        for t in tenant_tables(conn)
    }


def stored(app, prefix: str) -> list[str]:
    return list(app.extensions["autoproces.storage"].keys(prefix))


@pytest.fixture
def small(app, make):
    """Alpha with an administrator, a process with a file; beta beside it."""
    from autoproces.platform.db import db
    from autoproces.platform.identity.models import User
    from autoproces.platform.tenancy import activate_tenant, tenant_by_slug
    from autoproces.tenants.processes.attachments import services as attachments
    from autoproces.tenants.processes.policy import get_process

    alpha = make.tenant("alpha", "Alfa Kommune")
    admin = make.user(alpha, "tenant_admin", email="admin@alfa.dk")
    make.user(alpha, "tenant_admin", email="gammel@alfa.dk")
    team = make.user(alpha, "automation", email="team@alfa.dk")
    process = make.process(team, title="Lønrefusion")
    beta = make.tenant("beta", "Beta Kommune")
    beta_admin = make.user(beta, "tenant_admin", email="admin@beta.dk")
    with app.test_request_context():
        activate_tenant(tenant_by_slug("alpha"))
        u = db.session.get(User, (alpha.id, team.id))
        attachments.add_attachments(
            u, get_process(u, process.id), [attachments.Upload("notat.pdf", PDF)]
        )
        db.session.commit()
    return alpha, admin, beta, beta_admin


def test_scheduling_suspends_exports_tells_the_administrators_and_cancelling_keeps_all(
    app, make, small, smtp, su_engine
):
    alpha, admin, beta, _beta_admin = small
    client, _operator = console(app, make)
    page = client.get("/operator/kommuner/alpha/slet")
    assert page.status_code == 200 and 'value="30"' in page.get_data(as_text=True)
    r = schedule(client)
    assert r.status_code == 302
    with su_engine.connect() as conn:
        status = conn.scalar(text("select status from tenant where slug = 'alpha'"))
        (row,) = conn.execute(text("select * from tenant_offboarding")).all()
        before = counts(conn, alpha.id)
    assert status == "suspended"
    assert row.catalogue == "withdraw" and row.export_id is not None
    page = client.get("/operator/kommuner/alpha").get_data(as_text=True)
    assert "Kommunen slettes" in page and "Annullér sletningen" in page
    # The administrators' e-mail (before the suspension, so it is queued) and the export.
    work(app, smtp)
    told = sorted(m["To"] for m in smtp.messages if "slettes fra Autoproces" in m["Subject"])
    assert told == ["admin@alfa.dk", "gammel@alfa.dk"]
    body = next(m for m in smtp.messages if m["To"] == "admin@alfa.dk").get_content()
    assert "trækkes tilbage" in body and "Kontakt OS2" in body
    assert any(m["To"] == "ops@os2.dk" and "klar" in m["Subject"] for m in smtp.messages)
    assert "Hent eksporten" in client.get("/operator/kommuner/alpha").get_data(as_text=True)
    # Scheduling twice, or reactivating while it is planned, is refused in Danish.
    assert schedule(client).status_code == 422
    r = client.post("/operator/kommuner/alpha/aktiver")
    assert r.status_code == 422 and "Annullér den først" in r.get_data(as_text=True)
    # Cancelled: the due date passes and nothing goes.
    assert client.post("/operator/kommuner/alpha/slet/annuller").status_code == 302
    due_now(su_engine)
    work(app)
    with su_engine.connect() as conn:
        assert conn.scalar(text("select count(*) from tenant where slug = 'alpha'")) == 1
        after = counts(conn, alpha.id)
        actions = conn.scalars(
            text("select action from operator_audit where subject_tenant_slug = 'alpha'")
        ).all()
        tenant_actions = conn.scalars(
            text("select action from tenant_audit where tenant_id = :t"), {"t": alpha.id}
        ).all()
    # Nothing went (only the log and the mail grew).
    assert all(after[k] >= n for k, n in before.items())
    for table in ("app_user", "process", "process_attachment", "tenant_export"):
        assert after[table] == before[table] > 0, table
    assert stored(app, f"{alpha.id}/")
    assert "tenant.offboarding_scheduled" in actions and "tenant.offboarding_cancelled" in actions
    assert "tenant.deleted" not in actions
    assert "offboarding.scheduled" in tenant_actions
    assert "offboarding.cancelled" in tenant_actions
    # Reactivating is possible again.
    assert client.post("/operator/kommuner/alpha/aktiver").status_code == 302


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"days": "abc"}, "Skriv et antal dage"),
        ({"days": "9999"}, "Skriv et antal dage"),
        ({"catalogue": "burn"}, "Vælg, hvad der skal ske"),
        ({"catalogue": ""}, "Vælg, hvad der skal ske"),
        ({"reason": "  "}, "Skriv, hvorfor"),
        ({"reason": "x" * 501}, "højst være 500 tegn"),
        ({"confirm": "beta"}, "Skriv kommunens adressenavn"),
        ({"confirm": "alpha-x"}, "Skriv kommunens adressenavn"),
    ],
)
def test_bad_scheduling_input_is_a_danish_422(app, make, small, su_engine, form, field):
    client, _operator = console(app, make)
    r = schedule(client, **form)
    assert r.status_code == 422
    assert field in r.get_data(as_text=True), r.get_data(as_text=True)[
        r.get_data(as_text=True).find("alert-error") :
    ][:800]
    with su_engine.connect() as conn:
        assert conn.scalar(text("select count(*) from tenant_offboarding")) == 0
        assert conn.scalar(text("select status from tenant where slug = 'alpha'")) == "active"


def test_unknown_municipalities_and_nothing_to_cancel(app, make, small):
    client, _operator = console(app, make)
    assert schedule(client, confirm="alpha\x00").status_code == 400  # NUL: refused as input
    assert schedule(client, slug="ingen").status_code == 404
    assert client.get("/operator/kommuner/ingen/slet").status_code == 404
    r = client.post("/operator/kommuner/alpha/slet/annuller", follow_redirects=True)
    assert r.status_code == 200 and "ingen planlagt sletning" in r.get_data(as_text=True)
    # A tenant user's session opens nothing in the console.
    _alpha, admin, _beta, _beta_admin = small
    user = app.test_client()
    login(user, admin)
    r = user.post("/operator/kommuner/alpha/slet", data={"confirm": "alpha"})
    assert r.status_code == 302 and "/operator/login" in r.headers["Location"]


def test_the_app_role_cannot_purge_what_is_not_due(app, make, small, app_engine, su_engine):
    alpha = small[0]
    client, _operator = console(app, make)
    schedule(client)
    with su_engine.connect() as conn:
        offboarding_id = conn.scalar(text("select id from tenant_offboarding"))
    for target in (offboarding_id, uuid.uuid4()):
        with pytest.raises(DBAPIError, match="no due offboarding"):
            with app_engine.begin() as conn:
                conn.execute(text("select tenant_purge(:o)"), {"o": target})
    with su_engine.connect() as conn:
        assert conn.scalar(
            text("select count(*) from app_user where tenant_id = :t"), {"t": alpha.id}
        )


def _copy_alpha_entry_into_gamma(app, gamma_user_id, gamma_id) -> tuple:
    """Gamma copies alpha's catalogue entry: lineage from another municipality."""
    from autoproces.platform.db import db
    from autoproces.platform.identity.models import User
    from autoproces.platform.tenancy import Tenant, activate_tenant
    from autoproces.shared_catalog import reuse
    from autoproces.shared_catalog.models import CatalogueEntry

    with app.test_request_context():
        entries = db.session.scalars(db.select(CatalogueEntry.id)).all()
        activate_tenant(db.session.get(Tenant, gamma_id))
        g_user = db.session.get(User, (gamma_id, gamma_user_id))
        own = set(db.session.execute(text("select entry_id from catalogue_source")).scalars().all())
        alpha_entry = next(e for e in entries if e not in own)
        copy = reuse.copy_entry(g_user, alpha_entry)
        from autoproces.tenants.processes.attachments import services as attachments
        from autoproces.tenants.processes.policy import get_process

        attachments.add_attachments(
            g_user, get_process(g_user, copy.id), [attachments.Upload("gamma.pdf", PDF)]
        )
        db.session.commit()
        return alpha_entry, copy.id


@pytest.mark.parametrize("choice", ["withdraw", "anonymise"])
def test_after_deletion_nothing_of_the_municipality_remains_and_nobody_else_is_touched(
    app, make, alpha_everywhere, su_engine, smtp, choice
):
    alpha, beta = alpha_everywhere
    with su_engine.connect() as conn:
        gamma_id = conn.scalar(text("select id from tenant where slug = 'gamma'"))
        gamma_user = conn.scalar(
            text("select id from app_user where tenant_id = :g"), {"g": gamma_id}
        )
    entry_id, copy_id = _copy_alpha_entry_into_gamma(app, gamma_user, gamma_id)
    # Alpha's own folder has its attachment and a finished export archive.
    work(app, smtp)
    assert len(stored(app, f"{alpha.id}/")) >= 2
    gamma_files = stored(app, f"{gamma_id}/")
    assert gamma_files  # the file on gamma's copy
    with su_engine.connect() as conn:
        alpha_ids = {alpha.id}
        for table, column in uuid_columns(conn):
            if table in tenant_tables(conn) and column != "tenant_id":
                alpha_ids |= set(
                    conn.scalars(
                        text(f"select {column} from {table} where tenant_id = :a"), {"a": alpha.id}
                    )
                )
        alpha_ids.discard(None)
        # Catalogue entries are platform data (alpha's own and those it copied or wanted).
        alpha_ids -= set(conn.scalars(text("select id from catalogue_entry")))
        others = {t: (counts(conn, beta.id), counts(conn, gamma_id)) for t in ("x",)}["x"]
        alpha_name = conn.scalar(text("select name from tenant where id = :a"), {"a": alpha.id})

    client, _operator = console(app, make)
    assert schedule(client, catalogue=choice).status_code == 302
    work(app, smtp)  # the operator's export, the administrators' e-mail
    with su_engine.connect() as conn:
        export_id = conn.scalar(text("select export_id from tenant_offboarding"))
    # The operator takes the archive (the deletion waits for that).
    assert client.get(f"/operator/kommuner/alpha/eksport/{export_id}/hent").status_code == 200
    due_now(su_engine)
    work(app, smtp)

    with su_engine.connect() as conn:
        left = {t: n for t, n in counts(conn, alpha.id).items() if n}
        assert left == {}, f"alpha's rows remain in {left}"
        assert conn.scalar(text("select count(*) from tenant where id = :a"), {"a": alpha.id}) == 0
        # No reference to alpha or any of its rows anywhere, but in the operator's records.
        for table, column in uuid_columns(conn):
            if table in ("operator_audit", "tenant_offboarding"):
                continue
            found = conn.scalar(
                text(f"select count(*) from {table} where {column} = any(:ids)"),
                {"ids": list(alpha_ids)},
            )
            assert found == 0, f"{table}.{column} still refers to alpha"
        # Nobody else's rows changed.
        assert (counts(conn, beta.id), counts(conn, gamma_id)) == others
        (offboarding,) = conn.execute(text("select * from tenant_offboarding")).all()
        assert offboarding.deleted_at is not None and offboarding.files_deleted_at is not None
        assert offboarding.deleted_rows > 0
        actions = conn.scalars(
            text("select action from operator_audit where subject_tenant_id = :a order by id"),
            {"a": alpha.id},
        ).all()
        assert actions[-2:] == ["tenant.deleted", "tenant.files_deleted"]
        entry = conn.execute(
            text("select * from catalogue_entry where id = :e"), {"e": entry_id}
        ).one()
        names = conn.scalars(
            text("select publisher_name from catalogue_version where entry_id = :e"),
            {"e": entry_id},
        ).all()
        lineage = conn.scalar(
            text("select copied_from_entry_id from process where id = :p"), {"p": copy_id}
        )
    assert stored(app, f"{alpha.id}/") == []
    assert stored(app, f"{gamma_id}/") == gamma_files
    assert lineage == entry_id  # gamma's copy stays, and so does its lineage
    # The municipality's name leaves every version whichever the operator chose.
    assert names and all(n is None for n in names) and entry.search_publisher is None
    if choice == "withdraw":
        assert entry.withdrawn_at is not None and not entry.search_listed
    else:
        assert entry.withdrawn_at is None and entry.search_listed
    # Gamma's copy shows the source as it now is.
    from autoproces.platform.db import db
    from autoproces.platform.identity.models import User
    from autoproces.platform.tenancy import Tenant, activate_tenant

    with app.test_request_context():
        activate_tenant(db.session.get(Tenant, gamma_id))
        gamma_person = db.session.get(User, (gamma_id, gamma_user))
    gamma_client = app.test_client()
    login(gamma_client, gamma_person)
    page = gamma_client.get(f"/gamma/processer/{copy_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert ("trukket tilbage" in html) == (choice == "withdraw")
    assert alpha_name not in html
    entry_page = gamma_client.get(f"/gamma/katalog/{entry_id}")
    assert entry_page.status_code == 200
    assert alpha_name not in entry_page.get_data(as_text=True)
    # The console no longer knows the municipality, but its log does.
    assert client.get("/operator/kommuner/alpha").status_code == 404
    log = client.get("/operator/log?kommune=alpha").get_data(as_text=True)
    assert "Kommunen slettet" in log


def test_a_deletion_that_fails_is_recorded_and_tried_again(app, make, small, su_engine):
    alpha = small[0]
    client, _operator = console(app, make)
    schedule(client)
    work(app)
    export_taken(su_engine)
    due_now(su_engine)
    # The tenant is made active behind the console's back: the purge refuses, nothing goes.
    with su_engine.begin() as conn:
        conn.execute(text("update tenant set status = 'active' where slug = 'alpha'"))
    work(app)
    with su_engine.connect() as conn:
        row = conn.execute(text("select * from tenant_offboarding")).one()
        assert row.deleted_at is None and "not suspended" in row.last_error
        assert conn.scalar(
            text("select count(*) from app_user where tenant_id = :t"), {"t": alpha.id}
        )
    with su_engine.begin() as conn:
        conn.execute(text("update tenant set status = 'suspended' where slug = 'alpha'"))
    work(app)
    with su_engine.connect() as conn:
        assert conn.scalar(text("select count(*) from tenant where slug = 'alpha'")) == 0
    assert stored(app, f"{alpha.id}/") == []


def test_files_left_by_a_failed_removal_go_on_the_next_pass(app, make, small, su_engine):
    alpha = small[0]
    client, _operator = console(app, make)
    schedule(client)
    work(app)
    export_taken(su_engine)
    due_now(su_engine)
    good = app.extensions["autoproces.storage"]

    class NoDelete:
        def __getattr__(self, name):
            return getattr(good, name)

        def delete(self, key):
            from autoproces.platform.storage import StorageError

            raise StorageError("storage away")

    app.extensions["autoproces.storage"] = NoDelete()
    try:
        work(app)
    finally:
        app.extensions["autoproces.storage"] = good
    with su_engine.connect() as conn:
        row = conn.execute(text("select * from tenant_offboarding")).one()
    assert row.deleted_at is not None and row.files_deleted_at is None
    assert "storage away" in row.last_error
    assert stored(app, f"{alpha.id}/")
    work(app)
    assert stored(app, f"{alpha.id}/") == []
    assert not Path(good.root, str(alpha.id)).exists() or not any(
        p.is_file() for p in Path(good.root, str(alpha.id)).rglob("*")
    )

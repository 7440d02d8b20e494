"""The operator console at /operator/: CLI accounts, password + TOTP login, tenants through
metadata and aggregates only, an audit row for every action, and sessions that stay apart
from the tenants' own."""

from __future__ import annotations

import re
import time
from contextlib import contextmanager

import pyotp
import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet
from helpers import TEST_ENCRYPTION_KEY, app_env, bearer, login
from sqlalchemy import event, text

from autoproces.platform.cli import main

SECRET_TITLE = "Hemmelig proces om Xylofon-sagen"
SECRET_SUMMARY = "Resumé der aldrig må ses af operatøren"
SECRET_NOTES = "Interne noter om Zebrafinken"
SECRET_USER = "Henriette Hemmeligsen"


@pytest.fixture
def cli(database):
    env = app_env(database)

    def run(*args: str, input: str | None = None):
        return CliRunner().invoke(main, list(args), env=env, input=input, catch_exceptions=False)

    return run


def _field(output: str, label: str) -> str:
    match = re.search(rf"^{re.escape(label)}: (\S+)$", output, re.M)
    assert match, output
    return match.group(1)


@pytest.fixture
def account(cli):
    r = cli("operators", "create", "Ops@OS2.dk", "--name", "Olga Operatør")
    assert r.exit_code == 0, r.output
    return {
        "email": "ops@os2.dk",
        "password": _field(r.output, "Password"),
        "secret": _field(r.output, "TOTP secret (base32)"),
        "uri": _field(r.output, "TOTP URI (scan as a QR code in the authenticator app)"),
    }


def operator_login(client, account, **overrides):
    data = {
        "email": account["email"],
        "password": account["password"],
        "code": pyotp.TOTP(account["secret"]).now(),
        **overrides,
    }
    return client.post("/operator/login", data=data)


@pytest.fixture
def signed_in(client, account):
    r = operator_login(client, account)
    assert r.status_code == 302 and r.headers["Location"] == "/operator/"
    return client


@pytest.fixture
def world(make):
    """Two municipalities with users and processes whose content the operator must not see."""
    alpha = make.tenant("alpha", "Alfa Kommune", municipality_code="706", cvr="29189978")
    beta = make.tenant("beta", "Beta Kommune")
    team = make.user(alpha, "automation", name=SECRET_USER)
    make.user(alpha, "employee")
    make.process(team, title=SECRET_TITLE, summary=SECRET_SUMMARY, internal_notes=SECRET_NOTES)
    make.process(team, title="Endnu en proces", visibility="personal")
    make.user(beta, "employee")
    return {"alpha": alpha, "beta": beta, "team": team}


def audit_rows(su_engine, action: str | None = None):
    sql = "select * from operator_audit"
    if action:
        sql += " where action = :action"
    with su_engine.connect() as conn:
        return conn.execute(text(sql + " order by id"), {"action": action}).mappings().all()


def tenant_row(su_engine, slug: str):
    with su_engine.connect() as conn:
        return (
            conn.execute(text("select * from tenant where slug = :s"), {"s": slug}).mappings().one()
        )


def forms_carry_csrf(html: str) -> None:
    for form in re.findall(r"<form[^>]*method=\"post\".*?</form>", html, re.S):
        assert 'name="csrf_token"' in form, form[:200]


# --- Accounts (CLI) --------------------------------------------------------------------------


def test_operators_create_list_deactivate_via_cli(cli, account, su_engine):
    assert account["uri"].startswith("otpauth://totp/Autoproces:ops%40os2.dk?secret=")
    assert f"secret={account['secret']}" in account["uri"]
    assert len(account["password"]) >= 20
    with su_engine.connect() as conn:
        row = conn.execute(text("select * from platform_operator")).mappings().one()
    assert row["email"] == "ops@os2.dk" and row["name"] == "Olga Operatør" and row["active"]
    assert account["password"] not in row["password_hash"]
    assert account["secret"] not in row["totp_secret_encrypted"]
    assert (
        Fernet(TEST_ENCRYPTION_KEY).decrypt(row["totp_secret_encrypted"].encode()).decode()
        == (account["secret"])
    )

    r = cli("operators", "create", "OPS@os2.dk")
    assert r.exit_code != 0 and "exists already" in r.output
    r = cli("operators", "create", "not-an-email")
    assert r.exit_code != 0 and "e-mail" in r.output
    r = cli("operators", "list")
    assert r.exit_code == 0 and "ops@os2.dk\tactive\tpassword+totp\t-\tOlga Operatør" in r.output
    r = cli("operators", "deactivate", "nobody@os2.dk")
    assert r.exit_code != 0 and "no operator" in r.output
    r = cli("operators", "deactivate", "ops@os2.dk")
    assert r.exit_code == 0, r.output
    assert "ops@os2.dk\tdeactivated" in cli("operators", "list").output

    [created] = audit_rows(su_engine, "operator.create")
    assert created["operator_email"].startswith("cli") and created["details"] == {
        "operator": "ops@os2.dk"
    }
    assert len(audit_rows(su_engine, "operator.deactivate")) == 1
    # Nothing secret went into the log.
    for row in audit_rows(su_engine):
        assert account["password"] not in str(row) and account["secret"] not in str(row)


def test_create_with_password_from_stdin(cli, client):
    r = cli("operators", "create", "kim@os2.dk", "--password-stdin", input="kort\n")
    assert r.exit_code != 0 and "at least 12" in r.output
    r = cli("operators", "create", "kim@os2.dk", "--password-stdin", input="en lang nok kode 42\n")
    assert r.exit_code == 0, r.output
    assert "Password:" not in r.output and "en lang nok kode" not in r.output
    secret = _field(r.output, "TOTP secret (base32)")
    r = operator_login(
        client, {"email": "kim@os2.dk", "password": "en lang nok kode 42", "secret": secret}
    )
    assert r.status_code == 302


# --- Password + TOTP login -------------------------------------------------------------------


def test_login_page_is_danish_and_accessible(client):
    r = client.get("/operator/login")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "Log ind som operatør" in html
    for name in ("email", "password", "code"):
        assert f'<label class="form-label" for="{name}">' in html
    forms_carry_csrf(html)
    assert r.headers["Cache-Control"] == "no-store"


def test_password_and_totp_login(client, account, su_engine):
    r = operator_login(client, account, password="forkert-kode-123")
    assert r.status_code == 422
    assert "adgangskoden eller engangskoden er forkert" in r.get_data(as_text=True)
    r = operator_login(
        client,
        account,
        code="000000" if pyotp.TOTP(account["secret"]).now() != "000000" else "111111",
    )
    assert r.status_code == 422
    r = operator_login(client, account, email="ukendt@os2.dk")
    assert r.status_code == 422
    r = operator_login(client, account, code="")
    assert r.status_code == 422 and "Feltet skal udfyldes" in r.get_data(as_text=True)
    with client.session_transaction() as sess:
        assert "operator_id" not in sess
    assert client.get("/operator/").status_code == 302

    r = operator_login(client, account)
    assert r.status_code == 302 and r.headers["Location"] == "/operator/"
    with client.session_transaction() as sess:
        assert sess["operator_id"] and sess.permanent
        assert "_user_id" not in sess
    assert client.get("/operator/").status_code == 200

    failed = audit_rows(su_engine, "login_failed")
    assert [f["details"]["reason"] for f in failed] == [
        "wrong_password",
        "wrong_code",
        "unknown_account",
    ]
    assert failed[0]["operator_id"] is not None and failed[2]["operator_id"] is None
    [ok] = audit_rows(su_engine, "login")
    assert ok["operator_email"] == "ops@os2.dk" and ok["details"] == {"method": "password"}
    with su_engine.connect() as conn:
        assert conn.scalar(text("select last_login_at from platform_operator")) is not None


def test_login_rotates_the_session_and_follows_next_inside_the_console(client, account, make):
    alpha = make.tenant("alpha")
    login(client, make.user(alpha, "tenant_admin"))
    with client.session_transaction() as sess:
        sess["something"] = "from before"
    r = client.get("/operator/log")
    assert r.status_code == 302 and r.headers["Location"].startswith("/operator/login?next=")
    data = {
        "email": account["email"],
        "password": account["password"],
        "code": pyotp.TOTP(account["secret"]).now(),
    }
    r = client.post("/operator/login?next=/operator/log", data=data)
    assert r.headers["Location"] == "/operator/log"
    with client.session_transaction() as sess:
        assert "something" not in sess and "_user_id" not in sess
    client.post("/operator/logout")
    # A code is good once (test_totp_replay.py): the next step's, which the drift allows.
    data["code"] = pyotp.TOTP(account["secret"]).at(time.time() + 30)
    r = client.post("/operator/login?next=https://evil.example/operator/", data=data)
    assert r.headers["Location"] == "/operator/"


def test_logout_ends_the_operator_session(signed_in, su_engine):
    r = signed_in.post("/operator/logout")
    assert r.status_code == 303 and r.headers["Location"] == "/operator/logget-ud"
    assert "Du er logget ud" in signed_in.get("/operator/logget-ud").get_data(as_text=True)
    assert signed_in.get("/operator/").status_code == 302
    [row] = audit_rows(su_engine, "logout")
    assert row["operator_email"] == "ops@os2.dk"


def test_a_deactivated_operator_is_signed_out_and_cannot_sign_in(signed_in, cli, account):
    assert cli("operators", "deactivate", "ops@os2.dk").exit_code == 0
    r = signed_in.get("/operator/")
    assert r.status_code == 302 and r.headers["Location"].startswith("/operator/login")
    with signed_in.session_transaction() as sess:
        assert "operator_id" not in sess
    assert operator_login(signed_in, account).status_code == 422
    assert cli("operators", "activate", "ops@os2.dk").exit_code == 0
    next_code = pyotp.TOTP(account["secret"]).at(time.time() + 30)  # a code is good once
    assert operator_login(signed_in, account, code=next_code).status_code == 302


# --- Sessions stay apart ---------------------------------------------------------------------


def test_the_operator_session_opens_no_tenant_page_or_api(signed_in, world):
    for path in ("/alpha/processer", "/alpha/", "/beta/processer/ny"):
        r = signed_in.get(path)
        slug = path.split("/")[1]
        assert r.status_code == 302 and r.headers["Location"].startswith(f"/{slug}/login"), path
    assert signed_in.get("/api/v1/processes").status_code == 401
    assert signed_in.get("/api/v1/me").status_code == 401


def test_a_tenant_users_session_cannot_open_the_console(client, world):
    login(client, world["team"])
    assert client.get("/alpha/processer").status_code == 200
    for path in (
        "/operator/",
        "/operator/log",
        "/operator/kommuner/alpha",
        "/operator/kommuner/ny",
    ):
        r = client.get(path)
        assert r.status_code == 302 and r.headers["Location"].startswith("/operator/login"), path
    r = client.post("/operator/kommuner/alpha/suspender")
    assert r.status_code == 302 and r.headers["Location"].startswith("/operator/login")
    r = client.post("/operator/kommuner/ny", data={"slug": "gamma", "name": "Gamma"})
    assert r.status_code == 302
    assert client.get("/operator/kommuner/alpha/log-in").status_code == 302


def test_anonymous_visitors_are_sent_to_the_login(client, world, su_engine):
    r = client.get("/operator/")
    assert r.status_code == 302 and r.headers["Location"] == "/operator/login?next=/operator/"
    client.post("/operator/kommuner/alpha/suspender", data={"reason": "Prøve"})
    assert tenant_row(su_engine, "alpha")["status"] == "active"
    assert audit_rows(su_engine) == []


# --- Tenants: metadata and aggregates only ---------------------------------------------------


@contextmanager
def recorded_sql(app):
    from autoproces.platform.db import db

    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_console_lists_usage_from_the_aggregate_and_no_tenant_content(
    app, signed_in, world, su_engine
):
    with su_engine.begin() as conn:
        # Last activity is the platform's own: a user's last sign-in (or a token's last use).
        conn.execute(
            text("update app_user set last_login_at = now() where id = :id"),
            {"id": world["team"].id},
        )
        usage = {
            r.tenant_id: r
            for r in conn.execute(text("select * from operator_tenant_usage()")).all()
        }
        processes = dict(conn.execute(text("select * from operator_process_counts()")).all())
    assert usage[world["alpha"].id].users == 2 and processes[world["alpha"].id] == 2
    assert usage[world["beta"].id].last_activity is None and world["beta"].id not in processes
    with recorded_sql(app) as statements:
        html = signed_in.get("/operator/").get_data(as_text=True)
    row = re.search(r"Alfa Kommune</a></th>.*?</tr>", html, re.S).group(0)
    assert 'data-usage="users">2<' in row and 'data-usage="processes">2<' in row
    assert "706" in row and "Aktiv" in row and "Ingen endnu" not in row
    beta = re.search(r"Beta Kommune</a></th>.*?</tr>", html, re.S).group(0)
    assert 'data-usage="users">1<' in beta and 'data-usage="processes">0<' in beta
    assert "Ingen endnu" in beta
    assert "<caption>Kommuner på platformen</caption>" in html and '<th scope="col">' in html
    assert '<th scope="col" class="align-text-right">Processer</th>' in html  # the label
    # The counts come from operator_tenant_usage() and the register's declared function,
    # never from the tenants' tables.
    assert any("operator_tenant_usage()" in s for s in statements)
    assert any("operator_process_counts()" in s for s in statements)
    for statement in statements:
        assert not re.search(r"\b(from|join)\s+(app_user|process|api_token)\b", statement, re.I)

    pages = [
        "/operator/",
        "/operator/kommuner/alpha",
        "/operator/kommuner/alpha/rediger",
        "/operator/kommuner/alpha/log-in",
        "/operator/log",
        "/operator/log?kommune=alpha",
        "/operator/kommuner/ny",
    ]
    with recorded_sql(app) as statements:
        for page in pages:
            r = signed_in.get(page)
            assert r.status_code == 200, page
            html = r.get_data(as_text=True)
            for secret in (
                SECRET_TITLE,
                SECRET_SUMMARY,
                SECRET_NOTES,
                SECRET_USER,
                "Endnu en proces",
            ):
                assert secret not in html, (page, secret)
            assert world["team"].email not in html
            forms_carry_csrf(html)
    for statement in statements:
        assert not re.search(r"\b(from|join)\s+(app_user|process|api_token)\b", statement, re.I)
    detail = signed_in.get("/operator/kommuner/alpha").get_data(as_text=True)
    assert 'data-usage="users">2<' in detail and 'data-usage="processes">2<' in detail
    assert '<dt>Processer</dt><dd data-usage="processes">2</dd>' in detail
    assert "29189978" in detail


def test_create_tenant_with_audit(signed_in, su_engine):
    r = signed_in.get("/operator/kommuner/ny")
    assert r.status_code == 200 and '<label class="form-label" for="slug">' in r.get_data(
        as_text=True
    )
    r = signed_in.post(
        "/operator/kommuner/ny",
        data={
            "slug": "Syddjurs",
            "name": " Syddjurs Kommune ",
            "municipality_code": "706",
            "cvr": "29189978",
        },
    )
    assert r.status_code == 302 and r.headers["Location"] == "/operator/kommuner/syddjurs"
    row = tenant_row(su_engine, "syddjurs")
    assert row["name"] == "Syddjurs Kommune" and row["municipality_code"] == "706"
    assert "Syddjurs Kommune er oprettet" in signed_in.get(r.headers["Location"]).get_data(
        as_text=True
    )
    [entry] = audit_rows(su_engine, "tenant.create")
    assert entry["operator_email"] == "ops@os2.dk" and entry["operator_id"] is not None
    assert entry["subject_tenant_id"] == row["id"] and entry["subject_tenant_slug"] == "syddjurs"
    assert entry["details"] == {
        "name": "Syddjurs Kommune",
        "municipality_code": "706",
        "cvr": "29189978",
    }
    # The new municipality works at once.
    assert signed_in.get("/syddjurs/login").status_code in (302, 503)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"slug": "api", "name": "X"}, "slug", "bruges af platformen selv"),
        ({"slug": "Ugyldig slug!", "name": "X"}, "slug", "små bogstaver"),
        ({"slug": "", "name": "X"}, "slug", "Feltet skal udfyldes"),
        ({"slug": "alpha", "name": "X"}, "slug", "findes allerede"),
        ({"slug": "ok", "name": "  "}, "name", "Feltet skal udfyldes"),
        ({"slug": "ok", "name": "X" * 201}, "name", "højst være 200 tegn"),
        (
            {"slug": "ok", "name": "X", "municipality_code": "7060"},
            "municipality_code",
            "tre cifre",
        ),
        ({"slug": "ok", "name": "X", "cvr": "12345678"}, "cvr", "modulus 11"),
    ],
)
def test_create_tenant_rejects_bad_input_in_danish(
    signed_in, make, su_engine, data, field, message
):
    make.tenant("alpha")
    r = signed_in.post("/operator/kommuner/ny", data=data)
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert f'id="{field}-error"' in html and message in html
    assert 'href="#' + field + '"' in html  # the error summary links to the field
    assert audit_rows(su_engine, "tenant.create") == []
    with su_engine.connect() as conn:
        assert conn.scalar(text("select count(*) from tenant")) == 1


def test_edit_tenant_with_audit(signed_in, world, su_engine):
    r = signed_in.get("/operator/kommuner/alpha/rediger")
    assert 'value="Alfa Kommune"' in r.get_data(as_text=True)
    r = signed_in.post(
        "/operator/kommuner/alpha/rediger",
        data={"name": "Alfa Storkommune", "municipality_code": "707", "cvr": ""},
    )
    assert r.status_code == 302
    row = tenant_row(su_engine, "alpha")
    assert (row["name"], row["municipality_code"], row["cvr"]) == ("Alfa Storkommune", "707", None)
    [entry] = audit_rows(su_engine, "tenant.update")
    assert entry["subject_tenant_slug"] == "alpha" and entry["operator_email"] == "ops@os2.dk"
    assert entry["details"] == {
        "changes": {
            "name": {"from": "Alfa Kommune", "to": "Alfa Storkommune"},
            "municipality_code": {"from": "706", "to": "707"},
            "cvr": {"from": "29189978", "to": None},
        }
    }
    r = signed_in.post(
        "/operator/kommuner/alpha/rediger", data={"name": "", "municipality_code": "x", "cvr": "1"}
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "Feltet skal udfyldes" in html and "tre cifre" in html
    assert tenant_row(su_engine, "alpha")["name"] == "Alfa Storkommune"
    assert signed_in.get("/operator/kommuner/findes-ikke/rediger").status_code == 404
    assert (
        signed_in.post("/operator/kommuner/findes-ikke/rediger", data={"name": "x"}).status_code
        == 404
    )


def test_suspend_and_activate_with_audit(signed_in, world, su_engine, make):
    token = make.token(world["team"])
    # Suspending asks first: what happens, and why (kept in the audit log).
    page = signed_in.get("/operator/kommuner/alpha").get_data(as_text=True)
    assert 'href="/operator/kommuner/alpha/suspender"' in page
    confirm = signed_in.get("/operator/kommuner/alpha/suspender").get_data(as_text=True)
    assert "Er du sikker?" in confirm and 'name="reason"' in confirm
    r = signed_in.post("/operator/kommuner/alpha/suspender", data={"reason": "  "})
    assert r.status_code == 422 and "Årsag: Skriv, hvorfor" in r.get_data(as_text=True)
    assert tenant_row(su_engine, "alpha")["status"] == "active"
    r = signed_in.post("/operator/kommuner/alpha/suspender", data={"reason": "Aftalen er opsagt."})
    assert r.status_code == 302 and tenant_row(su_engine, "alpha")["status"] == "suspended"
    assert signed_in.get("/alpha/processer").status_code == 403
    assert signed_in.get("/api/v1/me", headers=bearer(token)).status_code == 403
    html = signed_in.get("/operator/").get_data(as_text=True)
    assert "Suspenderet" in html and "Alfa Kommune" in html  # still listed for the operator
    signed_in.post("/operator/kommuner/alpha/suspender", data={"reason": "Igen."})  # once
    r = signed_in.post("/operator/kommuner/alpha/aktiver")
    assert r.status_code == 302 and tenant_row(su_engine, "alpha")["status"] == "active"
    assert signed_in.get("/api/v1/me", headers=bearer(token)).status_code == 200
    [suspended] = audit_rows(su_engine, "tenant.suspend")
    [activated] = audit_rows(su_engine, "tenant.activate")
    assert suspended["subject_tenant_id"] == world["alpha"].id
    assert suspended["details"] == {
        "status": {"from": "active", "to": "suspended"},
        "note": "Aftalen er opsagt.",
    }
    log = signed_in.get("/operator/log").get_data(as_text=True)
    assert "Begrundelse: Aftalen er opsagt." in log
    assert activated["operator_email"] == "ops@os2.dk"
    assert signed_in.post("/operator/kommuner/findes-ikke/suspender").status_code == 404


# --- Identity provider settings --------------------------------------------------------------

IDP_FORM = {
    "issuer": "https://login.alfa.dk",
    "client_id": "autoproces",
    "client_secret": "super-hemmelig-klientnøgle",
    "scopes": "openid profile email roles",
    "role_claim": "roles",
    "role_mapping": "rpa-team = automation\nledelse = manager",
    "default_role": "employee",
    "allowed_domains": "alfa.dk",
}


def test_idp_settings_store_an_encrypted_secret_that_is_never_shown(signed_in, world, su_engine):
    r = signed_in.get("/operator/kommuner/alpha/log-in")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "http://localhost/alpha/auth/callback" in html
    assert "<legend" in html and '<label class="form-label" for="client_secret">' in html
    r = signed_in.post("/operator/kommuner/alpha/log-in", data=IDP_FORM)
    assert r.status_code == 302, r.get_data(as_text=True)
    with su_engine.connect() as conn:
        row = conn.execute(text("select * from tenant_idp")).mappings().one()
    assert row["tenant_id"] == world["alpha"].id and row["issuer"] == "https://login.alfa.dk"
    assert row["role_mapping"] == {"rpa-team": "automation", "ledelse": "manager"}
    assert row["allowed_domains"] == ["alfa.dk"]
    assert IDP_FORM["client_secret"] not in row["client_secret_encrypted"]
    assert (
        Fernet(TEST_ENCRYPTION_KEY).decrypt(row["client_secret_encrypted"].encode()).decode()
        == (IDP_FORM["client_secret"])
    )
    [entry] = audit_rows(su_engine, "tenant.idp")
    assert entry["subject_tenant_slug"] == "alpha" and entry["details"]["client_secret_changed"]
    assert entry["details"]["created"] is True
    assert entry["details"]["changes"]["issuer"] == {"from": None, "to": "https://login.alfa.dk"}
    assert "hemmelig" not in str(entry["details"]) and "client_secret_encrypted" not in str(
        entry["details"]
    )

    # A blank secret keeps the stored one; the form never shows it.
    encrypted = row["client_secret_encrypted"]
    r = signed_in.post(
        "/operator/kommuner/alpha/log-in", data={**IDP_FORM, "client_secret": "", "client_id": "ny"}
    )
    assert r.status_code == 302
    with su_engine.connect() as conn:
        row = conn.execute(text("select * from tenant_idp")).mappings().one()
    assert row["client_secret_encrypted"] == encrypted and row["client_id"] == "ny"
    latest = audit_rows(su_engine, "tenant.idp")[-1]["details"]
    assert latest["client_secret_changed"] is False
    assert latest["changes"] == {"client_id": {"from": "autoproces", "to": "ny"}}

    for page in ("/operator/kommuner/alpha/log-in", "/operator/kommuner/alpha", "/operator/log"):
        html = signed_in.get(page).get_data(as_text=True)
        assert IDP_FORM["client_secret"] not in html and encrypted not in html, page
    form = signed_in.get("/operator/kommuner/alpha/log-in").get_data(as_text=True)
    assert 'name="client_secret" type="password"' in form
    assert re.search(r'name="client_secret" type="password"\s+value=""', form)
    assert "rpa-team = automation" in form

    # The tenant's own rows stay the tenant's: the operator's transaction ended acting for it.
    assert signed_in.get("/operator/").status_code == 200


def test_idp_settings_reject_bad_input_and_never_echo_the_secret(signed_in, world, su_engine):
    r = signed_in.post(
        "/operator/kommuner/alpha/log-in",
        data={
            **IDP_FORM,
            "issuer": "http://login.alfa.dk",
            "role_mapping": "rpa-team = superhelt",
            "allowed_domains": "ikke et domæne",
        },
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "Udstederen skal bruge https" in html and "ukendt rolle superhelt" in html
    assert "Ugyldigt domæne" in html and 'id="role_mapping-error"' in html
    assert IDP_FORM["client_secret"] not in html
    r = signed_in.post("/operator/kommuner/alpha/log-in", data={**IDP_FORM, "client_secret": ""})
    assert r.status_code == 422 and 'id="client_secret-error"' in r.get_data(as_text=True)
    with su_engine.connect() as conn:
        assert conn.scalar(text("select count(*) from tenant_idp")) == 0
    assert audit_rows(su_engine, "tenant.idp") == []
    assert signed_in.get("/operator/kommuner/findes-ikke/log-in").status_code == 404


# --- The audit log ---------------------------------------------------------------------------


def test_audit_log_page_newest_first_and_filtered_by_tenant(signed_in, world, su_engine):
    signed_in.post("/operator/kommuner/alpha/suspender", data={"reason": "Test"})
    signed_in.post("/operator/kommuner/beta/suspender", data={"reason": "Test"})
    signed_in.post("/operator/kommuner/alpha/aktiver")
    html = signed_in.get("/operator/log").get_data(as_text=True)
    assert "Handlingslog" in html and '<th scope="col">Operatør</th>' in html
    actions = re.findall(r"<td>(Kommune genaktiveret|Kommune suspenderet|Logget ind)</td>", html)
    assert actions == [
        "Kommune genaktiveret",
        "Kommune suspenderet",
        "Kommune suspenderet",
        "Logget ind",
    ]
    assert "ops@os2.dk" in html and "Aktiv → Suspenderet" in html
    filtered = signed_in.get("/operator/log?kommune=beta").get_data(as_text=True)
    assert filtered.count("<td>Kommune suspenderet</td>") == 1
    assert "Kommune genaktiveret" not in filtered and "<td>Logget ind</td>" not in filtered
    assert '<option value="beta" selected>' in filtered
    assert "Ingen handlinger." in signed_in.get("/operator/log?kommune=ukendt").get_data(
        as_text=True
    )
    assert signed_in.get("/operator/log?side=abc").status_code == 200


def test_audit_log_is_paginated(app, signed_in, world):
    from autoproces.platform.db import db
    from autoproces.platform.operator.services import audit

    with app.app_context():
        for n in range(60):
            audit(None, "tenant.update", email=f"bulk{n}@os2.dk")
        db.session.commit()
    html = signed_in.get("/operator/log").get_data(as_text=True)
    assert "Side 1 af 2" in html and "bulk59@os2.dk" in html and "bulk0@os2.dk" not in html
    html = signed_in.get("/operator/log?side=2").get_data(as_text=True)
    assert "bulk0@os2.dk" in html and "bulk59@os2.dk" not in html
    assert "Side 2 af 2" in signed_in.get("/operator/log?side=99").get_data(as_text=True)


# --- CSRF and rate limits (on, as in production) ---------------------------------------------


@pytest.fixture
def strict_app(database):
    from autoproces.platform.app import create_app

    return create_app(app_env(database), TESTING=True, LOGIN_RATE_LIMIT="3/minute")


def test_console_forms_need_their_csrf_token(strict_app, account, su_engine, make):
    make.tenant("alpha")
    client = strict_app.test_client()
    r = operator_login(client, account)
    assert r.status_code == 400 and "Formularen er udløbet" in r.get_data(as_text=True)
    html = client.get("/operator/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    r = operator_login(client, account, csrf_token=token)
    assert r.status_code == 302
    assert client.post("/operator/kommuner/alpha/suspender").status_code == 400
    assert tenant_row(su_engine, "alpha")["status"] == "active"


def test_operator_login_is_rate_limited(strict_app, account):
    client = strict_app.test_client()
    html = client.get("/operator/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    codes = [
        operator_login(client, account, password="forkert-forkert", csrf_token=token).status_code
        for _ in range(4)
    ]
    assert codes == [422, 422, 422, 429]
    assert client.get("/operator/login").status_code == 200  # only the POST is limited


def test_odd_input_never_gives_a_500(signed_in, world, client):
    for path in (
        "/operator/kommuner/al%00pha",
        "/operator/kommuner/" + "x" * 300,
        "/operator/log?kommune=%00&side=-3",
        "/operator/log?side=99999999999999999999999",
    ):
        assert signed_in.get(path).status_code in (200, 400, 404), path
    # NUL characters are refused at the door (400) for every form.
    r = signed_in.post("/operator/kommuner/ny", data={"slug": "ny\x00", "name": "N\x00y"})
    assert r.status_code == 400
    r = signed_in.post("/operator/kommuner/alpha/rediger", data={"name": "A\x00"})
    assert r.status_code == 400
    r = signed_in.post(
        "/operator/kommuner/alpha/log-in", data={**IDP_FORM, "issuer": "https://\x00x.dk"}
    )
    assert r.status_code == 400
    r = signed_in.post("/operator/kommuner/alpha/suspender", data={"reason": "A\x00"})
    assert r.status_code == 400
    signed_in.post("/operator/logout")
    r = signed_in.post(
        "/operator/login", data={"email": "o\x00@os2.dk", "password": "x\x00", "code": "1\x00"}
    )
    assert r.status_code == 400


def test_demo_operator_login_only_in_demo_mode(demo_app, client):
    from autoproces.platform.db import db
    from autoproces.platform.demo import seed_demo

    with demo_app.app_context():
        seed_demo()
        db.session.commit()
    demo = demo_app.test_client()
    assert "Log ind som demo-operatør" in demo.get("/operator/login").get_data(as_text=True)
    r = demo.post("/operator/dev-login")
    assert r.status_code == 302
    html = demo.get("/operator/").get_data(as_text=True)
    assert "Syddjurs Kommune" in html and "Demo-operatør" in html
    assert client.post("/operator/dev-login").status_code == 404
    assert "demo-operatør" not in client.get("/operator/login").get_data(as_text=True)


# --- Creating municipalities: no duplicates, the seed list, the first administrator -----


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"slug": "ny", "name": "alfa kommune"}, "name", "allerede en kommune med dette navn"),
        (
            {"slug": "ny", "name": "Ny", "municipality_code": "706"},
            "municipality_code",
            "allerede en kommune med denne kommunekode",
        ),
        (
            {"slug": "ny", "name": "Ny", "cvr": "29189978"},
            "cvr",
            "allerede en kommune med dette CVR-nummer",
        ),
        (
            {"slug": "ny", "name": "Ny", "first_admin_email": "ikke-en-adresse"},
            "first_admin_email",
            "gyldig e-mailadresse",
        ),
    ],
)
def test_a_name_code_or_cvr_another_municipality_has_is_refused(
    signed_in, world, su_engine, data, field, message
):
    r = signed_in.post("/operator/kommuner/ny", data=data)
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and f'id="{field}-error"' in html and message in html
    assert f'href="#{field}"' in html
    with su_engine.connect() as conn:
        assert conn.scalar(text("select count(*) from tenant")) == 2
    # Editing another municipality into a duplicate is refused the same way.
    r = signed_in.post(
        "/operator/kommuner/beta/rediger",
        data={"name": "Beta Kommune", **{k: v for k, v in data.items() if k != "slug"}},
    )
    assert r.status_code == 422 and message in r.get_data(as_text=True)
    # Keeping one's own name, code and CVR is fine.
    r = signed_in.post(
        "/operator/kommuner/alpha/rediger",
        data={"name": "Alfa Kommune", "municipality_code": "706", "cvr": "29189978"},
    )
    assert r.status_code == 302


def test_the_command_line_refuses_duplicates_too(cli, world):
    r = cli("tenants", "create", "ny", "--name", "Ny", "--code", "706")
    assert r.exit_code != 0 and "municipality code" in r.output


def test_new_municipality_is_picked_from_the_98_of_the_seed_data(signed_in, world):
    from html.parser import HTMLParser

    class Options(HTMLParser):
        def __init__(self):
            super().__init__()
            self.inside, self.values = False, []

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "select":
                self.inside = a.get("name") == "kommune"
            elif tag == "option" and self.inside and a.get("value"):
                self.values.append(a["value"])

    html = signed_in.get("/operator/kommuner/ny").get_data(as_text=True)
    options = Options()
    options.feed(html)
    assert len(options.values) == 97 and "706" not in options.values  # Alfa has 706
    assert "101" in options.values and "751" in options.values
    r = signed_in.get("/operator/kommuner/ny?kommune=253")
    form = r.get_data(as_text=True)
    assert 'value="Greve Kommune"' in form and 'value="253"' in form
    assert 'value="greve"' in form and 'value="44023911"' in form
    r = signed_in.get("/operator/kommuner/ny?kommune=169")  # Høje-Taastrup
    assert 'value="hoeje-taastrup"' in r.get_data(as_text=True)
    # An unknown code just shows the empty form.
    assert signed_in.get("/operator/kommuner/ny?kommune=999").status_code == 200


def test_the_named_first_administrator_becomes_tenant_admin_at_first_sign_in(
    signed_in, app, su_engine
):
    from autoproces.platform.db import db
    from autoproces.platform.identity.services import get_idp, save_idp, sso_user
    from autoproces.platform.tenancy import activate_tenant, tenant_by_slug

    r = signed_in.post(
        "/operator/kommuner/ny",
        data={
            "slug": "greve",
            "name": "Greve Kommune",
            "municipality_code": "253",
            "cvr": "44023911",
            "first_admin_email": "It-Chef@Greve.dk",
        },
    )
    assert r.status_code == 302
    page = signed_in.get("/operator/kommuner/greve").get_data(as_text=True)
    assert "it-chef@greve.dk" in page
    [entry] = audit_rows(su_engine, "tenant.create")
    assert entry["details"]["first_admin_email"] == "it-chef@greve.dk"
    with app.app_context():
        tenant = tenant_by_slug("greve")
        activate_tenant(tenant)
        save_idp(
            tenant,
            issuer="https://login.greve.dk",
            client_id="c",
            client_secret="s",
            role_mapping={"rpa": "automation"},
        )
        idp = get_idp(tenant)
        boss = sso_user(tenant, idp, {"sub": "1", "email": "it-chef@greve.dk"})
        colleague = sso_user(tenant, idp, {"sub": "2", "email": "kollega@greve.dk"})
        mapped = sso_user(tenant, idp, {"sub": "1", "email": "it-chef@greve.dk", "roles": "rpa"})
        assert colleague.roles == ["employee"]
        assert boss is mapped and set(mapped.roles) == {"automation", "tenant_admin"}
        db.session.rollback()


def test_the_console_session_ends_hours_after_sign_in_however_active(signed_in):
    """The operator's own session has the same absolute lifetime as a tenant user's: a real
    sign-in stamps it, and 12 hours later it is refused even if used a minute ago."""
    assert signed_in.get("/operator/").status_code == 200
    with signed_in.session_transaction() as sess:
        assert abs(sess["signed_in_at"] - time.time()) < 60
        sess["signed_in_at"] = int(time.time()) - 12 * 3600 - 1
    r = signed_in.get("/operator/")
    assert r.status_code == 302 and "/operator/login" in r.headers["Location"]

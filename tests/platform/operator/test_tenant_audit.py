"""The municipality's own audit log (Administration → Log): identity provider, roles,
users, tokens; who, when, what, never a secret; its own rows only."""

from __future__ import annotations

import re

import pytest
from helpers import login
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError


@pytest.fixture
def alpha(make):
    return make.tenant("alpha", "Alfa Kommune")


SECRET = "meget-hemmelig-klientnoegle"


def _rows(html: str) -> list[str]:
    body = html.split('id="audit-log"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)[1:]  # skip the head
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in rows]


def test_the_log_shows_who_did_what_and_never_a_secret(client, make, alpha, su_engine):
    admin = make.user(alpha, "tenant_admin", name="Anne Admin")
    erik = make.user(alpha, "employee", name="Erik Eriksen")
    login(client, admin)
    r = client.post(
        "/alpha/admin/log-in",
        data={
            "action": "save",
            "issuer": "https://login.alpha.dk",
            "client_id": "autoproces",
            "client_secret": SECRET,
            "scopes": "openid profile email",
            "role_claim": "roles",
            "role_mapping": "rpa = automation",
            "default_role": "employee",
        },
    )
    assert r.status_code == 302
    client.post(f"/alpha/admin/brugere/{erik.id}/roller", data={"roles": ["manager"]})
    client.post(f"/alpha/admin/brugere/{erik.id}/aktiv", data={"active": "0"})
    client.post("/alpha/admin/noegler", data={"name": "Min integration"})
    listing = client.get("/alpha/admin/noegler").get_data(as_text=True)
    token_id = re.search(r"/alpha/admin/noegler/([0-9a-f-]+)/tilbagekald", listing).group(1)
    client.post(f"/alpha/admin/noegler/{token_id}/tilbagekald")

    html = client.get("/alpha/admin/log").get_data(as_text=True)
    rows = _rows(html)
    assert len(rows) == 5, rows
    # Newest first.
    assert "Anne Admin API-nøgle tilbagekaldt Nøgle: Min integration" in rows[0]
    assert "Anne Admin API-nøgle oprettet" in rows[1]
    assert "Anne Admin Bruger deaktiveret Bruger: Erik Eriksen" in rows[2]
    assert "Roller ændret Bruger: Erik Eriksen Roller: Medarbejder → Leder" in rows[3]
    assert "Log-in-løsning ændret" in rows[4] and "Ny klienthemmelighed: ja" in rows[4]
    assert "Udsteder (issuer): – → https://login.alpha.dk" in rows[4]
    assert re.search(r"\d{1,2}\. \w+\.? \d{4} kl\. \d{2}\.\d{2}", rows[0])  # the one format
    assert SECRET not in html
    with su_engine.connect() as conn:
        stored = conn.scalars(text("select details::text from tenant_audit")).all()
    assert stored and not any(SECRET in d for d in stored)


def test_only_administrators_read_the_log(client, make, alpha):
    login(client, make.user(alpha, "automation"))
    assert client.get("/alpha/admin/log").status_code == 403


def test_the_operator_and_the_command_line_appear_in_the_log(client, app, make, alpha, database):
    from click.testing import CliRunner
    from helpers import app_env

    from autoproces.platform.cli import main

    make.user(alpha, "employee", email="erik@alpha.dk")
    result = CliRunner().invoke(
        main,
        ["users", "set-roles", "alpha", "erik@alpha.dk", "--role", "manager"],
        env=app_env(database),
    )
    assert result.exit_code == 0, result.output
    from autoproces.platform.db import db
    from autoproces.platform.operator.models import Operator
    from autoproces.platform.operator.services import save_tenant_idp

    with app.app_context():
        operator = Operator(email="ops@os2.dk", name="Ops")
        db.session.add(operator)
        db.session.flush()
        save_tenant_idp(
            operator,
            "alpha",
            {
                "issuer": "https://login.alpha.dk",
                "client_id": "c",
                "client_secret": SECRET,
                "scopes": "openid",
                "role_claim": "roles",
            },
        )
        db.session.commit()
    login(client, make.user(alpha, "tenant_admin"))
    rows = _rows(client.get("/alpha/admin/log").get_data(as_text=True))
    assert "OS2-operatør (ops@os2.dk) Log-in-løsning ændret" in rows[0]
    assert "Kommandolinjen (" in rows[1] and "Roller ændret" in rows[1]


def test_another_municipality_neither_reads_nor_writes_the_log(
    client, make, alpha, app_engine, su_engine
):
    beta = make.tenant("beta", "Beta Kommune")
    alpha_admin = make.user(alpha, "tenant_admin", name="Anne Admin")
    login(client, alpha_admin)
    client.post("/alpha/admin/noegler", data={"name": "Alfas nøgle"})
    beta_client = client.application.test_client()
    login(beta_client, make.user(beta, "tenant_admin"))
    html = beta_client.get("/beta/admin/log").get_data(as_text=True)
    assert "Alfas nøgle" not in html and "Der er ingen ændringer" in html
    # With alpha's session, beta's log is not reachable either.
    assert client.get("/beta/admin/log").status_code == 302
    # At the SQL level, as the app role acting for beta.
    with app_engine.begin() as conn:
        conn.execute(text("select set_config('app.tenant_id', :t, true)"), {"t": str(beta.id)})
        assert conn.scalar(text("select count(*) from tenant_audit")) == 0
    with pytest.raises(DBAPIError, match="row-level security"):
        with app_engine.begin() as conn:
            conn.execute(text("select set_config('app.tenant_id', :t, true)"), {"t": str(beta.id)})
            conn.execute(
                text(
                    "insert into tenant_audit (tenant_id, actor_name, action)"
                    " values (:t, 'x', 'forged')"
                ),
                {"t": alpha.id},
            )
    # Append-only: even acting for alpha, the app role can neither change nor delete.
    for statement in ("update tenant_audit set actor_name = 'x'", "delete from tenant_audit"):
        with pytest.raises(DBAPIError, match="permission denied"):
            with app_engine.begin() as conn:
                conn.execute(
                    text("select set_config('app.tenant_id', :t, true)"), {"t": str(alpha.id)}
                )
                conn.execute(text(statement))
    with su_engine.connect() as conn:
        assert conn.scalar(text("select count(*) from tenant_audit")) == 1

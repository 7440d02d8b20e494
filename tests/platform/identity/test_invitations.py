"""Invitations by e-mail: the administrator's and the operator's forms posted as the pages
render them, the e-mail delivered to a real SMTP server (aiosmtpd), the first sign-in through
a real OpenID provider (npm oidc-provider) matched by address, expiry, revocation and the
municipality's audit log."""

from __future__ import annotations

import pytest
from helpers import login, operator_login
from html_forms import post_form
from oidc_provider import OidcProvider, login_via_provider
from sqlalchemy import text
from werkzeug.datastructures import MultiDict

BASE = "http://localhost"
PAGE = "/alpha/admin/invitationer"


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    idp = OidcProvider(
        tmp_path_factory.mktemp("idp-invite"),
        [
            {
                "client_id": "autoproces-alpha",
                "client_secret": "secret-alpha",
                "redirect_uris": [f"{BASE}/alpha/auth/callback"],
                "post_logout_redirect_uris": [f"{BASE}/alpha/logget-ud"],
                "token_endpoint_auth_method": "client_secret_basic",
            }
        ],
    ).start()
    yield idp
    idp.stop()


@pytest.fixture
def alpha(app, make, provider):
    """Alfa lets in only those its mapping names (no default role): an invitation is the
    way in for everyone else."""
    from autoproces.platform.db import db
    from autoproces.platform.identity.services import save_idp
    from autoproces.platform.tenancy import activate_tenant, tenant_by_slug

    tenant = make.tenant("alpha", "Alfa Kommune")
    with app.app_context():
        activate_tenant(tenant_by_slug("alpha"))
        save_idp(
            tenant_by_slug("alpha"),
            issuer=provider.issuer,
            client_id="autoproces-alpha",
            client_secret="secret-alpha",
            scopes="openid profile email roles",
            role_mapping={"rpa-team": "automation"},
            default_role=None,
            allowed_domains=["alpha.dk"],
        )
        db.session.commit()
    return tenant


@pytest.fixture
def admin(make, alpha):
    return make.user(alpha, "tenant_admin", email="admin@alpha.dk", name="Anne Admin")


def invite_via_page(client, email: str, *extra_roles: str, page: str = PAGE):
    """Post the invitation form as the page renders it (Medarbejder ticked), with `email`
    typed and `extra_roles` ticked too."""
    html = client.get(page).get_data(as_text=True)
    form = post_form(html, page)
    data = [(k, v) for k, v in form.data(email=email)] + [("roles", r) for r in extra_roles]
    return client.post(form.action, data=MultiDict(data))


def sign_in(client, provider, login_name: str):
    r = client.get("/alpha/login")
    assert r.status_code == 302
    callback = login_via_provider(r.headers["Location"], login_name)
    return client.get(callback[len(BASE) :])


def invitations(su_engine) -> list:
    with su_engine.connect() as conn:
        return (
            conn.execute(text("select * from user_invitation order by created_at")).mappings().all()
        )


def audit_actions(su_engine) -> list[tuple[str, str, dict]]:
    with su_engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                text(
                    "select action, actor_name, details from tenant_audit"
                    " where action like 'invitation.%' order by id"
                )
            )
        ]


def deliver(app, smtp) -> list:
    from autoproces.platform.outbox.sender import deliver_due

    with app.app_context():
        report = deliver_due(smtp.config())
    assert report.sent == report.claimed
    return smtp.messages


def test_the_administrator_invites_and_the_first_sign_in_gets_the_roles(
    app, client, provider, alpha, admin, smtp, su_engine
):
    login(client, admin)
    r = invite_via_page(client, " Nye.Kollega@Alpha.DK ", "automation")
    assert r.status_code == 302 and r.headers["Location"] == PAGE
    html = client.get(PAGE).get_data(as_text=True)
    assert "Invitationen er sendt til nye.kollega@alpha.dk." in html
    assert 'data-status="pending"' in html and "af Anne Admin" in html
    [row] = invitations(su_engine)
    assert row["email"] == "nye.kollega@alpha.dk" and row["roles"] == ["employee", "automation"]
    assert (row["expires_at"] - row["created_at"]).days == 14

    [mail] = deliver(app, smtp)
    assert mail["To"] == "nye.kollega@alpha.dk"
    assert mail["Subject"] == "Du er inviteret til Autoproces i Alfa Kommune"
    body = mail.get_content()
    assert "Medarbejder, Automatiseringskonsulent" in body
    assert "http://localhost/alpha/login" in body and "Invitationen gælder til" in body

    # The provider sends the address in another case and no mapped role: the invitation
    # alone lets the person in, with its roles, kept at the next sign-in.
    provider.set_account("nk", email="NYE.KOLLEGA@alpha.dk", name="Nye Kollega")
    other = app.test_client()
    r = sign_in(other, provider, "nk")
    assert r.status_code == 302, r.get_data(as_text=True)
    with su_engine.connect() as conn:
        user = conn.execute(
            text("select roles, roles_source from app_user where email = 'nye.kollega@alpha.dk'")
        ).one()
    assert user == (["employee", "automation"], "manual")
    assert sign_in(app.test_client(), provider, "nk").status_code == 302
    [row] = invitations(su_engine)
    assert row["accepted_at"] is not None
    html = client.get(PAGE).get_data(as_text=True)
    assert 'data-status="accepted"' in html and "Taget i brug" in html
    assert "tilbagekald" not in html  # an accepted invitation cannot be revoked
    assert [(a, who) for a, who, _ in audit_actions(su_engine)] == [
        ("invitation.created", "Anne Admin"),
        ("invitation.accepted", "nye.kollega@alpha.dk"),
    ]
    log = client.get("/alpha/admin/log").get_data(as_text=True)
    assert "Invitation sendt" in log and "Invitation taget i brug" in log


def test_mapped_roles_and_invited_roles_are_joined(app, provider, alpha, admin, su_engine):
    client = app.test_client()
    login(client, admin)
    assert invite_via_page(client, "mia@alpha.dk", "manager").status_code == 302
    provider.set_account("mia", email="mia@alpha.dk", name="Mia", roles=["rpa-team"])
    assert sign_in(app.test_client(), provider, "mia").status_code == 302
    with su_engine.connect() as conn:
        roles, source = conn.execute(
            text("select roles, roles_source from app_user where email = 'mia@alpha.dk'")
        ).one()
    assert set(roles) == {"automation", "employee", "manager"} and source == "mapping"


def test_an_expired_invitation_grants_nothing(app, client, provider, alpha, admin, su_engine):
    login(client, admin)
    assert invite_via_page(client, "sen@alpha.dk", "automation").status_code == 302
    with su_engine.begin() as conn:
        conn.execute(text("update user_invitation set expires_at = now() - interval '1 second'"))
    html = client.get(PAGE).get_data(as_text=True)
    assert 'data-status="expired"' in html and "Udløbet" in html and "Tilbagekald" not in html
    provider.set_account("sen", email="sen@alpha.dk", name="Sen Ankomst")
    r = sign_in(app.test_client(), provider, "sen")
    assert r.status_code == 403 and "Du har ikke adgang" in r.get_data(as_text=True)
    with su_engine.connect() as conn:
        assert conn.scalar(text("select count(*) from app_user where email = 'sen@alpha.dk'")) == 0
    assert invitations(su_engine)[0]["accepted_at"] is None
    # An expired invitation does not stand in the way of a new one.
    assert invite_via_page(client, "sen@alpha.dk").status_code == 302
    assert sign_in(app.test_client(), provider, "sen").status_code == 302


def test_a_revoked_invitation_grants_nothing(app, client, provider, alpha, admin, su_engine):
    login(client, admin)
    assert invite_via_page(client, "fortrudt@alpha.dk").status_code == 302
    [row] = invitations(su_engine)
    html = client.get(PAGE).get_data(as_text=True)
    revoke = post_form(html, f"{PAGE}/{row['id']}/tilbagekald")
    r = client.post(revoke.action, data=MultiDict(revoke.data()))
    assert r.status_code == 302
    html = client.get(PAGE).get_data(as_text=True)
    assert "Invitationen til fortrudt@alpha.dk er tilbagekaldt." in html
    assert 'data-status="revoked"' in html
    # Sent twice (a double click): nothing more happens.
    assert client.post(revoke.action, data=MultiDict(revoke.data())).status_code == 302
    provider.set_account("fortrudt", email="fortrudt@alpha.dk", name="F")
    assert sign_in(app.test_client(), provider, "fortrudt").status_code == 403
    assert [a for a, _who, _d in audit_actions(su_engine)] == [
        "invitation.created",
        "invitation.revoked",
    ]


@pytest.mark.parametrize(
    ("email", "roles", "field", "message"),
    [
        ("ikke-en-adresse", None, "email", "Skriv en gyldig e-mailadresse."),
        ("to\nlinjer@alpha.dk", None, "email", "Skriv en gyldig e-mailadresse."),
        ("tab\t@alpha.dk", None, "email", "Skriv en gyldig e-mailadresse."),
        ("x" * 250 + "@alpha.dk", None, "email", "Skriv en gyldig e-mailadresse."),
        ("admin@ALPHA.dk", None, "email", "Der findes allerede en bruger med den e-mailadresse."),
        ("ude@andet.dk", None, "email", "Brugere fra andet.dk kan ikke logge ind i kommunen"),
        ("ny@alpha.dk", ["superbruger"], "roles", "Ukendt rolle: superbruger"),
        ("ny@alpha.dk", [], "roles", "Vælg mindst én rolle."),
    ],
)
def test_bad_input_is_answered_in_danish_at_its_field(
    client, alpha, admin, su_engine, email, roles, field, message
):
    login(client, admin)
    html = client.get(PAGE).get_data(as_text=True)
    form = post_form(html, PAGE)
    data = form.data(email=email)
    if roles is not None:
        data = [(k, v) for k, v in data if k != "roles"] + [("roles", r) for r in roles]
    r = client.post(form.action, data=MultiDict(data))
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert message in page and f'id="{field}-error"' in page
    assert "Det kunne ikke gemmes. Ret venligst:" in page
    assert invitations(su_engine) == []


def test_a_second_pending_invitation_and_malformed_text_are_refused(
    client, alpha, admin, su_engine
):
    login(client, admin)
    assert invite_via_page(client, "to@alpha.dk").status_code == 302
    r = invite_via_page(client, "TO@alpha.dk")
    assert r.status_code == 422
    assert "Der er allerede en ventende invitation" in r.get_data(as_text=True)
    r = invite_via_page(client, "nul\x00@alpha.dk")
    assert r.status_code == 400 and "Traceback" not in r.get_data(as_text=True)
    assert '<html lang="da"' in r.get_data(as_text=True)
    assert len(invitations(su_engine)) == 1


@pytest.mark.parametrize("role", ["employee", "automation", "manager"])
def test_only_the_administrator_may_invite_or_revoke(app, client, make, alpha, admin, role):
    import uuid

    owner = app.test_client()
    login(owner, admin)
    invite_via_page(owner, "kun@alpha.dk")
    login(client, make.user(alpha, role))
    assert client.get(PAGE).status_code == 403
    r = client.post(PAGE, data={"email": "snyd@alpha.dk", "roles": "tenant_admin"})
    assert r.status_code == 403
    assert client.post(f"{PAGE}/{uuid.uuid4()}/tilbagekald").status_code == 403
    with app.app_context():
        from autoproces.platform.identity.invitations import list_invitations
        from autoproces.platform.tenancy import activate_tenant, tenant_by_slug

        tenant = tenant_by_slug("alpha")
        activate_tenant(tenant)
        assert [i.email for i in list_invitations(tenant)] == ["kun@alpha.dk"]


def test_an_unknown_invitation_is_not_found(client, alpha, admin):
    import uuid

    login(client, admin)
    assert client.post(f"{PAGE}/{uuid.uuid4()}/tilbagekald").status_code == 404


def test_the_operator_invites_the_first_administrator(
    app, client, make, provider, alpha, smtp, su_engine
):
    operator = make.operator()
    operator_login(client, operator)
    page = "/operator/kommuner/alpha/inviter"
    assert "Invitér en bruger" in client.get("/operator/kommuner/alpha").get_data(as_text=True)
    html = client.get(page).get_data(as_text=True)
    form = post_form(html, page)
    r = client.post(form.action, data=MultiDict(form.data(email="bad")))
    assert r.status_code == 422 and "Skriv en gyldig e-mailadresse." in r.get_data(as_text=True)
    data = [*form.data(email="It-Chef@alpha.dk"), ("roles", "tenant_admin")]
    r = client.post(form.action, data=MultiDict(data))
    assert r.status_code == 302 and r.headers["Location"] == "/operator/kommuner/alpha"
    assert "Invitationen er sendt til it-chef@alpha.dk." in client.get(
        r.headers["Location"]
    ).get_data(as_text=True)
    with su_engine.connect() as conn:
        op_entry = conn.execute(
            text(
                "select operator_email, details from operator_audit where action = 'tenant.invite'"
            )
        ).one()
    assert op_entry == (
        "ops@os2.dk",
        {"email": "it-chef@alpha.dk", "roles": ["employee", "tenant_admin"]},
    )
    assert [(a, who) for a, who, _d in audit_actions(su_engine)] == [
        ("invitation.created", "operator:ops@os2.dk")
    ]
    [mail] = deliver(app, smtp)
    assert mail["To"] == "it-chef@alpha.dk"

    provider.set_account("chef", email="it-chef@alpha.dk", name="It Chef")
    chef = app.test_client()
    assert sign_in(chef, provider, "chef").status_code == 302
    assert chef.get("/alpha/admin/invitationer").status_code == 200
    html = chef.get(PAGE).get_data(as_text=True)
    assert "OS2-operatør (ops@os2.dk)" in html and 'data-status="accepted"' in html


def test_accept_invitation_uses_an_invitation_once(app, alpha, admin):
    from autoproces.platform.db import db
    from autoproces.platform.identity.invitations import accept_invitation, invite
    from autoproces.platform.tenancy import activate_tenant, tenant_by_slug

    with app.app_context():
        tenant = tenant_by_slug("alpha")
        activate_tenant(tenant)
        invite(tenant, "en@alpha.dk", ["manager"], actor="cli:test")
        assert accept_invitation(tenant, "EN@alpha.dk") == ["manager"]
        assert accept_invitation(tenant, "en@alpha.dk") is None
        assert accept_invitation(tenant, "ingen@alpha.dk") is None
        db.session.rollback()


def test_two_simultaneous_first_sign_ins_use_the_invitation_once(app, alpha, admin):
    """The first holds the invitation's row until it commits; the second waits for it, then
    finds it used."""
    import threading

    from autoproces.platform.db import db
    from autoproces.platform.identity.invitations import accept_invitation, invite
    from autoproces.platform.tenancy import activate_tenant, tenant_by_slug

    with app.app_context():
        activate_tenant(tenant_by_slug("alpha"))
        invite(tenant_by_slug("alpha"), "samtidig@alpha.dk", ["manager"], actor="cli:test")
        db.session.commit()
    holding, release = threading.Event(), threading.Event()
    results: dict[str, object] = {}

    def attempt(name: str, hold: bool) -> None:
        with app.app_context():
            tenant = tenant_by_slug("alpha")
            activate_tenant(tenant)
            results[name] = accept_invitation(tenant, "samtidig@alpha.dk")
            if hold:
                holding.set()
                release.wait(20)
            db.session.commit()

    first = threading.Thread(target=attempt, args=("first", True))
    second = threading.Thread(target=attempt, args=("second", False))
    first.start()
    assert holding.wait(20)
    second.start()
    second.join(1.5)
    assert second.is_alive()  # waiting for the first sign-in's lock
    release.set()
    first.join(20)
    second.join(20)
    assert results == {"first": ["manager"], "second": None}

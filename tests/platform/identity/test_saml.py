"""SAML sign-in against real identity providers on loopback (pysaml2's own IdP server in a
WSGI app, tests/saml_idp.py): the platform's KOMBIT connection, where the assertion's CVR
picks the municipality, and a municipality's own provider. Everything the SP must refuse
is refused with a Danish page, never a 500."""

from __future__ import annotations

import pytest
from helpers import UNIT_TEST_CONFIG, app_env
from saml_idp import SamlIdp, key_pair, login_via_idp, privilege_list, query_of
from sqlalchemy import text

BASE = "http://localhost"
KOMBIT_ENTITY = "https://saml.autoproces.test"
ROLE = "http://localhost/roles/usersystemrole/"
ALPHA_CVR, BETA_CVR, GAMMA_CVR, OTHER_CVR = "64942212", "11259979", "58271713", "29189846"
AD_FS_ROLE = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"


@pytest.fixture(scope="module")
def kombit(tmp_path_factory):
    idp = SamlIdp(tmp_path_factory.mktemp("kombit"), "contexthandler").start()
    yield idp
    idp.stop()


@pytest.fixture(scope="module")
def own_idp(tmp_path_factory):
    idp = SamlIdp(tmp_path_factory.mktemp("adfs"), "adfs").start()
    yield idp
    idp.stop()


@pytest.fixture(scope="module")
def saml_app(database, kombit, tmp_path_factory):
    from autoproces.platform.app import create_app

    folder = tmp_path_factory.mktemp("sp")
    key, cert = key_pair(folder, "sp", "autoproces")
    metadata = folder / "kombit-metadata.xml"
    metadata.write_text(kombit.metadata)
    app = create_app(
        app_env(
            database,
            AUTOPROCES_SAML_KEY_FILE=str(key),
            AUTOPROCES_SAML_CERT_FILE=str(cert),
            AUTOPROCES_SAML_ENTITY_ID=KOMBIT_ENTITY,
            AUTOPROCES_KOMBIT_METADATA_FILE=str(metadata),
        ),
        **UNIT_TEST_CONFIG,
    )
    sp_metadata = app.test_client().get("/saml/metadata")
    assert sp_metadata.status_code == 200, sp_metadata.get_data(as_text=True)
    kombit.trust_sp(sp_metadata.get_data(as_text=True))
    app.metadata_file = metadata
    return app


@pytest.fixture
def client(saml_app):
    return saml_app.test_client()


def _configure(saml_app, slug: str, action) -> None:
    from autoproces.platform.db import db
    from autoproces.platform.tenancy import activate_tenant, tenant_by_slug

    with saml_app.test_request_context():
        tenant = tenant_by_slug(slug)
        activate_tenant(tenant)
        action(tenant)
        db.session.commit()


@pytest.fixture
def kombit_towns(saml_app, make, kombit):
    """Alfa and Beta sign in through KOMBIT; Gamma uses its own provider (set up below)."""
    from autoproces.platform.identity.services import save_kombit

    make.tenant("alpha", "Alfa Kommune", cvr=ALPHA_CVR)
    make.tenant("beta", "Beta Kommune", cvr=BETA_CVR)
    _configure(saml_app, "alpha", lambda t: save_kombit(t))
    _configure(saml_app, "beta", lambda t: save_kombit(t, min_loa="High"))
    kombit.set_account(
        "ada",
        cvr=ALPHA_CVR,
        email="ada@alfa.dk",
        first_name="Ada",
        last_name="Alfa",
        privileges={
            ALPHA_CVR: [f"{ROLE}automation/1", f"{ROLE}manager/1"],
            OTHER_CVR: [f"{ROLE}tenant_admin/1"],  # scoped to another CVR: grants nothing
        },
    )
    kombit.set_account(
        "bo",
        cvr=BETA_CVR,
        email="bo@beta.dk",
        first_name="Bo",
        last_name="Beta",
        loa="High",
        privileges={BETA_CVR.lower(): [f"{ROLE.upper()}TENANT_ADMIN/1"]},
    )
    kombit.set_account(
        "lav", cvr=ALPHA_CVR, loa="Low", privileges={ALPHA_CVR: [f"{ROLE}employee/1"]}
    )
    kombit.set_account("ukendt", cvr=OTHER_CVR, privileges={OTHER_CVR: [f"{ROLE}employee/1"]})
    kombit.set_account(
        "intet", cvr=ALPHA_CVR, loa=None, privileges={ALPHA_CVR: [f"{ROLE}employee/1"]}
    )
    kombit.set_account("fremmed", cvr=ALPHA_CVR, privileges={OTHER_CVR: [f"{ROLE}automation/1"]})
    return kombit


def start(client, slug: str | None = None, next_url: str = "") -> str:
    path = f"/{slug}/login" if slug else "/saml/login"
    r = client.get(path + (f"?next={next_url}" if next_url else ""))
    assert r.status_code == 302, r.get_data(as_text=True)
    return r.headers["Location"]


def post_to_sp(client, acs_url: str, fields: dict[str, str]):
    assert acs_url.startswith(BASE)
    return client.post(acs_url[len(BASE) :], data=fields)


def sign_in(client, login: str, slug: str | None = "alpha", variant: str = ""):
    acs, fields = login_via_idp(start(client, slug), login, variant)
    return post_to_sp(client, acs, fields), acs, fields


def refused(r, status: int = 400) -> str:
    body = r.get_data(as_text=True)
    assert r.status_code == status, body
    assert '<html lang="da"' in body
    return body


def users(su_engine) -> list:
    with su_engine.connect() as conn:
        return conn.execute(
            text(
                "select t.slug, u.email, u.name, u.roles, u.issuer, u.subject, u.roles_source"
                " from app_user u join tenant t on t.id = u.tenant_id order by 1, 2"
            )
        ).all()


# --- Metadata -------------------------------------------------------------------------


def test_sp_metadata_names_the_entity_id_endpoints_and_keys(client, kombit_towns):
    xml = client.get("/saml/metadata").get_data(as_text=True)
    assert f'entityID="{KOMBIT_ENTITY}"' in xml
    assert f'Location="{BASE}/saml/acs"' in xml and f'Location="{BASE}/saml/slo"' in xml
    assert 'use="signing"' in xml and 'use="encryption"' in xml
    assert "BEGIN" not in xml  # certificates as base64 bodies, no private key
    assert "PRIVATE" not in xml


def test_the_authn_request_is_signed_and_asks_for_the_tenants_loa(client, kombit_towns):
    import base64
    import zlib

    query = query_of(start(client, "beta"))
    assert query["SigAlg"].endswith("rsa-sha256") and query["Signature"]
    request_xml = zlib.decompress(base64.b64decode(query["SAMLRequest"]), -15).decode()
    assert "https://data.gov.dk/concept/core/nsis/loa/High" in request_xml
    assert KOMBIT_ENTITY in request_xml


# --- KOMBIT: the CVR decides ------------------------------------------------------------


def test_first_login_creates_the_user_with_the_roles_of_their_own_cvr(
    client, kombit_towns, su_engine
):
    r, _acs, _fields = sign_in(client, "ada")
    assert r.status_code == 303, r.get_data(as_text=True)
    assert r.headers["Location"].startswith("/alpha")
    assert users(su_engine) == [
        (
            "alpha",
            "ada@alfa.dk",
            "Ada Alfa",
            ["automation", "manager"],  # not tenant_admin: that group is another CVR's
            kombit_towns.entity_id,
            "persistent-ada",
            "mapping",
        )
    ]
    assert client.get("/alpha/processer").status_code == 200
    # pysaml2's in-memory cache of persons keeps nobody: the process does not grow per login.
    from autoproces.platform.identity import saml

    assert all(not c.users.subjects() for c in saml._clients.values())


def test_the_cvr_routes_to_the_right_municipality(client, kombit_towns, su_engine):
    # Started from Alfa's page, but Bo's CVR is Beta's: Bo lands in Beta.
    r, _acs, _fields = sign_in(client, "bo", "alpha")
    assert r.status_code == 303 and r.headers["Location"].startswith("/beta")
    assert client.get("/beta/admin/brugere").status_code == 200  # TENANT_ADMIN, any casing
    assert client.get("/alpha/processer").status_code == 302  # no session in Alfa
    client.post("/beta/logout")
    # From the platform's own KOMBIT page, no municipality in view.
    r, _acs, _fields = sign_in(client, "ada", None)
    assert r.status_code == 303 and r.headers["Location"].startswith("/alpha")
    assert [(row.slug, row.email) for row in users(su_engine)] == [
        ("alpha", "ada@alfa.dk"),
        ("beta", "bo@beta.dk"),
    ]


def test_an_unknown_cvr_is_refused_in_danish(client, kombit_towns, su_engine):
    r, _acs, _fields = sign_in(client, "ukendt")
    assert OTHER_CVR in refused(r, 403) and "bruger ikke Autoproces" in r.get_data(as_text=True)
    assert users(su_engine) == []


def test_a_suspended_municipality_is_refused(client, kombit_towns, saml_app, su_engine):
    from autoproces.platform.tenancy import TenantStatus, set_tenant_status

    with saml_app.app_context():
        from autoproces.platform.db import db

        set_tenant_status("alpha", TenantStatus.SUSPENDED)
        db.session.commit()
    acs, fields = login_via_idp(start(client, None), "ada")
    assert "lukket" in refused(post_to_sp(client, acs, fields), 403)
    assert users(su_engine) == []


def test_a_municipality_not_on_kombit_is_refused(client, kombit_towns, make):
    make.tenant("delta", "Delta Kommune", cvr=GAMMA_CVR)
    kombit_towns.set_account("dora", cvr=GAMMA_CVR, privileges={GAMMA_CVR: [f"{ROLE}employee/1"]})
    acs, fields = login_via_idp(start(client, None), "dora")
    assert "KOMBIT" in refused(post_to_sp(client, acs, fields), 403)


def test_privileges_of_another_cvr_only_grant_nothing(client, kombit_towns, su_engine):
    r, _acs, _fields = sign_in(client, "fremmed")
    assert "Din rolle giver ikke adgang" in refused(r, 403)
    assert users(su_engine) == []


def test_an_invitation_applies_to_the_first_kombit_sign_in(
    client, kombit_towns, saml_app, su_engine
):
    from autoproces.platform.identity.invitations import invite

    def invite_ada(tenant):
        invite(tenant, "Ada@Alfa.dk", ["tenant_admin"], actor="operator")

    _configure(saml_app, "alpha", invite_ada)
    r, _acs, _fields = sign_in(client, "ada")
    assert r.status_code == 303
    row = users(su_engine)[0]
    assert set(row.roles) == {"automation", "manager", "tenant_admin"}
    with su_engine.connect() as conn:
        assert conn.scalar(text("select accepted_at is not null from user_invitation"))


# --- Assurance (NSIS) ---------------------------------------------------------------------


def test_a_too_low_loa_is_refused(client, kombit_towns, su_engine):
    r, _acs, _fields = sign_in(client, "lav")
    body = refused(r, 403)
    assert "Low" in body and "Substantial" in body
    assert users(su_engine) == []


def test_a_missing_loa_attribute_is_refused_whatever_the_authn_context(client, kombit_towns):
    # The IdP's AuthnContextClassRef says Low here; the attribute is missing: refused.
    r, _acs, _fields = sign_in(client, "intet")
    assert "ukendt" in refused(r, 403)


def test_the_minimum_is_per_municipality(client, kombit_towns, su_engine):
    kombit_towns.set_account(
        "bo2", cvr=BETA_CVR, loa="Substantial", privileges={BETA_CVR: [f"{ROLE}employee/1"]}
    )
    r, _acs, _fields = sign_in(client, "bo2", "beta")
    assert "High" in refused(r, 403)  # Beta wants High; Substantial is enough for Alfa


# --- Safety ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "variant",
    [
        "unsigned",
        "tampered",
        "expired",
        "doctype",
        "wrong_audience",
        "no_audience",
        "second_audience",  # every AudienceRestriction must name us (SAML core 2.5.1.4)
        "wrong_destination",
        "no_destination",
        "wrong_recipient",
        "sha1",  # OIOSAML 3 signs with SHA-256; SHA-1 is refused
        "transient",
    ],
)
def test_bad_assertions_are_refused_without_a_500(client, kombit_towns, su_engine, variant):
    r, _acs, _fields = sign_in(client, "ada", variant=variant)
    refused(r, 400)
    assert users(su_engine) == []
    assert client.get("/alpha/processer").status_code == 302


def test_an_encrypted_assertion_rsa_oaep_is_accepted(client, kombit_towns, su_engine):
    import base64

    acs, fields = login_via_idp(start(client, "alpha"), "ada", "encrypted")
    xml = base64.b64decode(fields["SAMLResponse"]).decode()
    assert "EncryptedAssertion" in xml and "rsa-oaep" in xml and "ada@alfa.dk" not in xml
    r = post_to_sp(client, acs, fields)
    assert r.status_code == 303, r.get_data(as_text=True)
    assert users(su_engine)[0].email == "ada@alfa.dk"


def test_a_signed_assertion_in_an_unsigned_response_is_enough(client, kombit_towns):
    r, _acs, _fields = sign_in(client, "ada", variant="unsigned_assertion_only")
    assert r.status_code == 303, r.get_data(as_text=True)


def test_a_replayed_response_is_refused(client, kombit_towns, su_engine):
    authn_url = start(client, "alpha")
    # The pending-login cookie as it was before the answer (a copy an attacker kept).
    pending = client.get_cookie("autoproces_saml").value
    acs, fields = login_via_idp(authn_url, "ada")
    assert post_to_sp(client, acs, fields).status_code == 303
    client.post("/alpha/logout")
    client.set_cookie("autoproces_saml", pending)
    r = post_to_sp(client, acs, fields)
    refused(r, 400)
    assert client.get("/alpha/processer").status_code == 302
    with su_engine.connect() as conn:
        assert conn.scalar(text("select count(*) from saml_assertion_seen")) == 1


def test_an_unsolicited_or_foreign_answer_is_refused(client, kombit_towns, saml_app):
    acs, fields = login_via_idp(start(client, "alpha"), "ada")
    # Another browser, which asked for nothing.
    refused(post_to_sp(saml_app.test_client(), acs, fields), 400)
    # Junk, no answer at all, and a DOCTYPE in plain text.
    refused(client.post("/saml/acs", data={"SAMLResponse": "%%%"}), 400)
    refused(client.post("/saml/acs", data={}), 400)
    import base64

    bomb = base64.b64encode(b'<!DOCTYPE a [<!ENTITY b SYSTEM "http://127.0.0.1:1/">]><a>&b;</a>')
    refused(client.post("/saml/acs", data={"SAMLResponse": bomb.decode()}), 400)


def test_privileges_with_a_doctype_are_refused(client, kombit_towns):
    kombit_towns.accounts["ada"]["https://data.gov.dk/model/core/eid/privilegesIntermediate"] = [
        privilege_list({ALPHA_CVR: [f"{ROLE}automation/1"]}, doctype=True)
    ]
    r, _acs, _fields = sign_in(client, "ada")
    refused(r, 400)


def test_the_older_itst_namespace_and_oiosaml2_names_are_read(client, kombit_towns, su_engine):
    kombit_towns.accounts["gl"] = {
        "dk:gov:saml:attribute:CvrNumberIdentifier": [ALPHA_CVR],
        "urn:oid:0.9.2342.19200300.100.1.3": ["gammel@alfa.dk"],
        "urn:oid:2.5.4.42": ["Gamle"],
        "urn:oid:2.5.4.4": ["Gert"],
        "https://data.gov.dk/concept/core/nsis/loa": ["Substantial"],
        "dk:gov:saml:attribute:Privileges_intermediate": [
            privilege_list(
                {ALPHA_CVR: [f"{ROLE}automation/2"]},
                namespace="http://itst.dk/oiosaml/basic_privilege_profile",
            )
        ],
    }
    r, _acs, _fields = sign_in(client, "gl")
    assert r.status_code == 303, r.get_data(as_text=True)
    row = users(su_engine)[0]
    assert (row.email, row.name, row.roles) == ("gammel@alfa.dk", "Gamle Gert", ["automation"])


# --- Logout -------------------------------------------------------------------------------


def test_logout_ends_the_session_here_and_at_the_provider(client, kombit_towns):
    import requests

    sign_in(client, "ada")
    r = client.post("/alpha/logout")
    assert r.status_code == 303 and r.headers["Location"].endswith("/alpha/log-ud-hos-udbyder")
    assert client.get("/alpha/processer").status_code == 302
    hop = client.get("/alpha/log-ud-hos-udbyder").get_data(as_text=True)
    import html
    import re

    target = html.unescape(re.search(r'id="provider-logout" href="([^"]+)"', hop).group(1))
    assert target.startswith(kombit_towns.base + "/slo?") and "Signature=" in target
    back = requests.get(target, allow_redirects=False, timeout=10)
    assert back.status_code == 302 and kombit_towns.logouts[-1] == "persistent-ada"
    # The provider's signed LogoutResponse lands on Alfa's logged-out page.
    r = client.get(back.headers["Location"][len(BASE) :])
    assert r.status_code == 302 and r.headers["Location"].endswith("/alpha/logget-ud")


def test_the_providers_own_logout_request_ends_the_session(client, kombit_towns):
    sign_in(client, "ada")
    assert client.get("/alpha/processer").status_code == 200
    url = kombit_towns.logout_request_url(KOMBIT_ENTITY, "persistent-ada")
    r = client.get(url[len(BASE) :])
    assert r.status_code == 302 and r.headers["Location"].startswith(kombit_towns.base + "/slo?")
    assert "SAMLResponse=" in r.headers["Location"]
    assert client.get("/alpha/processer").status_code == 302
    # Unsigned, it is refused and nothing ends.
    sign_in(client, "ada")
    url = kombit_towns.logout_request_url(KOMBIT_ENTITY, "persistent-ada", sign=False)
    refused(client.get(url[len(BASE) :]), 400)
    # Signed, but the signature is another message's.
    url = kombit_towns.logout_request_url(KOMBIT_ENTITY, "persistent-ada")
    other = kombit_towns.logout_request_url(KOMBIT_ENTITY, "persistent-eve")
    forged = url.split("&Signature=")[0] + "&Signature=" + other.split("&Signature=")[1]
    refused(client.get(forged[len(BASE) :]), 400)
    # Signed with SHA-1: refused, though the signature itself is good.
    from saml2.xmldsig import SIG_RSA_SHA1

    url = kombit_towns.logout_request_url(KOMBIT_ENTITY, "persistent-ada", sigalg=SIG_RSA_SHA1)
    refused(client.get(url[len(BASE) :]), 400)
    assert client.get("/alpha/processer").status_code == 200


# --- A municipality's own provider (AD FS and the like) -------------------------------------


@pytest.fixture
def gamma(saml_app, make, own_idp, client):
    from autoproces.platform.identity.services import save_saml_idp

    make.tenant("gamma", "Gamma Kommune", cvr=GAMMA_CVR)
    _configure(
        saml_app,
        "gamma",
        lambda t: save_saml_idp(
            t,
            metadata=own_idp.metadata,
            role_claim=AD_FS_ROLE,
            role_mapping={"GG-RPA": "automation", "GG-IT": "tenant_admin"},
            default_role="employee",
            min_loa="Substantial",
        ),
    )
    sp = client.get("/gamma/saml/metadata").get_data(as_text=True)
    if sp not in own_idp.sp_metadata:
        own_idp.trust_sp(sp)
    own_idp.set_account(
        "gert", cvr=GAMMA_CVR, email="gert@gamma.dk", extra={AD_FS_ROLE: ["GG-RPA", "GG-Andet"]}
    )
    return own_idp


def test_own_provider_signs_in_with_its_mapping(client, gamma, su_engine):
    xml = client.get("/gamma/saml/metadata").get_data(as_text=True)
    assert f'entityID="{BASE}/gamma/saml/metadata"' in xml
    r, acs, _fields = sign_in(client, "gert", "gamma")
    assert acs == f"{BASE}/gamma/saml/acs"
    assert r.status_code == 303, r.get_data(as_text=True)
    row = users(su_engine)[0]
    assert (row.slug, row.email, row.roles, row.issuer) == (
        "gamma",
        "gert@gamma.dk",
        ["automation"],
        gamma.entity_id,
    )


def test_own_provider_answer_is_not_good_at_kombit_or_elsewhere(client, gamma, kombit_towns):
    acs, fields = login_via_idp(start(client, "gamma"), "gert")
    refused(post_to_sp(client, f"{BASE}/saml/acs", fields), 400)  # another SP, another IdP
    refused(post_to_sp(client, f"{BASE}/alpha/saml/acs", fields), 503)  # Alfa has no own IdP


def test_certificate_rollover(client, gamma, saml_app, su_engine):
    """The provider moves to a new key: its old metadata plus the new certificate,
    configured ahead, both work; the stale metadata alone does not."""
    from autoproces.platform.identity.services import save_saml_idp

    old_metadata = gamma.metadata
    new_cert = gamma.rotate_key()
    gamma.trust_sp(client.get("/gamma/saml/metadata").get_data(as_text=True))
    r, _acs, _fields = sign_in(client, "gert", "gamma")
    refused(r, 400)  # signed with a key the SP does not know
    _configure(
        saml_app,
        "gamma",
        lambda t: save_saml_idp(
            t,
            metadata=old_metadata,
            certificates=[new_cert.read_text()],
            role_claim=AD_FS_ROLE,
            role_mapping={"GG-RPA": "automation"},
        ),
    )
    r, _acs, _fields = sign_in(client, "gert", "gamma")
    assert r.status_code == 303, r.get_data(as_text=True)


def test_the_daily_job_reads_the_metadata_address_again(client, gamma, saml_app, su_engine):
    """AD FS rolls its signing key over by itself: the daily job reads the metadata address
    again, so sign-in goes on; an address that fails, or metadata naming another entity,
    keeps what is stored. Each change is in the municipality's audit log."""
    from autoproces.platform.daily import run_daily
    from autoproces.platform.identity.services import save_saml_idp

    # The entity ID is the metadata's address here, as AD FS's FederationMetadata URL is.
    _configure(
        saml_app,
        "gamma",
        lambda t: save_saml_idp(
            t,
            metadata_url=gamma.entity_id,
            role_claim=AD_FS_ROLE,
            role_mapping={"GG-RPA": "automation"},
        ),
    )

    def refresh() -> int:
        with saml_app.app_context():
            return run_daily(only="identity.saml_metadata", force=True).done.get(
                "identity.saml_metadata", 0
            )

    def stored() -> str:
        with su_engine.connect() as conn:
            return conn.scalar(
                text(
                    "select saml_metadata from tenant_idp i join tenant t on t.id = i.tenant_id"
                    " where t.slug = 'gamma'"
                )
            )

    assert refresh() == 0  # nothing new
    gamma.rotate_key()
    gamma.trust_sp(client.get("/gamma/saml/metadata").get_data(as_text=True))
    refused(sign_in(client, "gert", "gamma")[0], 400)  # the new key is not known yet
    assert refresh() == 1
    assert stored() == gamma.metadata
    r, _acs, _fields = sign_in(client, "gert", "gamma")
    assert r.status_code == 303, r.get_data(as_text=True)
    with su_engine.connect() as conn:
        logged = conn.execute(
            text(
                "select actor_name, details from tenant_audit a join tenant t on t.id ="
                " a.tenant_id where t.slug = 'gamma' and action = 'idp.changed'"
                " order by a.id desc limit 1"
            )
        ).one()
    assert "SAML-metadata" in logged.actor_name and "saml_metadata" in logged.details["changes"]

    before = stored()
    gamma.rotate_key()
    gamma.metadata_down = True  # the address does not answer: the stored metadata stays
    try:
        assert refresh() == 0
    finally:
        gamma.metadata_down = False
    assert stored() == before


def test_bad_metadata_and_certificates_are_named(saml_app, gamma):
    from autoproces.platform.errors import Invalid
    from autoproces.platform.identity.services import save_saml_idp

    def attempt(**kw):
        with pytest.raises(Invalid) as e:
            _configure(saml_app, "gamma", lambda t: save_saml_idp(t, **kw))
        return e.value.errors

    assert "saml_metadata" in attempt(metadata="<x/>")
    assert "saml_metadata" in attempt(metadata='<!DOCTYPE a [<!ENTITY b "c">]><a>&b;</a>')
    assert "saml_certificates" in attempt(metadata=gamma.metadata, certificates=["nope"])
    assert "min_loa" in attempt(metadata=gamma.metadata, min_loa="Medium")


# --- The administrator's page and the command line -------------------------------------------


def test_the_administrator_chooses_saml_by_upload_and_staff_sign_in(
    client, saml_app, make, own_idp, su_engine
):
    import io

    from helpers import login

    tenant = make.tenant("epsilon", "Epsilon Kommune", cvr=GAMMA_CVR)
    # The SP metadata is there before any provider is chosen (AD FS is set up from it).
    metadata = client.get("/epsilon/saml/metadata")
    assert metadata.status_code == 200 and f"{BASE}/epsilon/saml/acs" in metadata.get_data(
        as_text=True
    )
    admin = make.user(tenant, "tenant_admin", email="admin@epsilon.dk")
    login(client, admin)
    page = client.get("/epsilon/admin/log-in").get_data(as_text=True)
    assert f"{BASE}/epsilon/saml/metadata" in page and f"{ROLE}automation/1" in page
    assert KOMBIT_ENTITY in page
    form = {
        "action": "save",
        "protocol": "saml",
        "role_claim": AD_FS_ROLE,
        "role_mapping": "GG-RPA = automation",
        "default_role": "",
        "min_loa": "Substantial",
    }
    # No metadata: the field is named, in Danish, and nothing is saved.
    r = client.post("/epsilon/admin/log-in", data=form)
    assert r.status_code == 422 and "Upload metadata" in r.get_data(as_text=True)
    bad = {**form, "saml_metadata_file": (io.BytesIO(b"<nope/>"), "x.xml")}
    r = client.post("/epsilon/admin/log-in", data=bad, content_type="multipart/form-data")
    assert r.status_code == 422 and "ikke brugbar SAML-metadata" in r.get_data(as_text=True)
    good = {**form, "saml_metadata_file": (io.BytesIO(own_idp.metadata.encode()), "idp.xml")}
    r = client.post("/epsilon/admin/log-in", data=good, content_type="multipart/form-data")
    assert r.status_code == 302, r.get_data(as_text=True)
    page = client.get("/epsilon/admin/log-in").get_data(as_text=True)
    assert (
        own_idp.entity_id in page and 'value="saml" class="form-radio radio-large" checked' in page
    )
    client.post("/epsilon/logout")
    own_idp.trust_sp(client.get("/epsilon/saml/metadata").get_data(as_text=True))
    own_idp.set_account(
        "eva", cvr=GAMMA_CVR, email="eva@epsilon.dk", extra={AD_FS_ROLE: ["GG-RPA"]}
    )
    r, _acs, _fields = sign_in(client, "eva", "epsilon")
    assert r.status_code == 303, r.get_data(as_text=True)
    assert [(u.email, u.roles) for u in users(su_engine) if u.slug == "epsilon"] == [
        ("admin@epsilon.dk", ["tenant_admin"]),
        ("eva@epsilon.dk", ["automation"]),
    ]
    with su_engine.connect() as conn:
        audit = conn.scalar(text("select count(*) from tenant_audit where action = 'idp.changed'"))
    assert audit == 1


def test_the_administrator_chooses_kombit(client, saml_app, make, kombit_towns, su_engine):
    from helpers import login

    tenant = make.tenant("zeta", "Zeta Kommune", cvr=OTHER_CVR)
    login(client, make.user(tenant, "tenant_admin"))
    r = client.post(
        "/zeta/admin/log-in",
        data={"action": "save", "protocol": "kombit", "min_loa": "Substantial", "default_role": ""},
    )
    assert r.status_code == 302, r.get_data(as_text=True)
    client.post("/zeta/logout")
    r, _acs, _fields = sign_in(client, "ukendt", "zeta")  # OTHER_CVR is Zeta's now
    assert r.status_code == 303 and r.headers["Location"].startswith("/zeta")


def test_cli_set_saml_and_set_kombit(database, saml_app, make, own_idp, tmp_path, su_engine):
    from click.testing import CliRunner

    from autoproces.platform.cli import main

    make.tenant("eta", "Eta Kommune", cvr=ALPHA_CVR)
    metadata = tmp_path / "idp.xml"
    metadata.write_text(own_idp.metadata)
    cert = tmp_path / "next.crt"
    cert.write_text(own_idp.cert_file.read_text())
    env = app_env(database)

    def cli(*args: str):
        return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)

    r = cli(
        "tenants",
        "set-saml",
        "eta",
        "--metadata-file",
        str(metadata),
        "--certificate",
        str(cert),
        "--role-map",
        "GG-RPA=automation",
        "--min-loa",
        "High",
    )
    assert r.exit_code == 0, r.output
    assert own_idp.entity_id in r.output
    with su_engine.connect() as conn:
        row = conn.execute(
            text("select protocol, issuer, min_loa, cardinality(saml_certificates) from tenant_idp")
        ).one()
    assert tuple(row) == ("saml", own_idp.entity_id, "High", 1)
    r = cli("tenants", "set-saml", "eta")
    assert r.exit_code != 0 and "--metadata-url" in r.output
    r = cli("tenants", "set-kombit", "eta")
    assert r.exit_code == 0 and ALPHA_CVR in r.output
    with su_engine.connect() as conn:
        assert conn.scalar(text("select protocol from tenant_idp")) == "kombit"
        actions = conn.scalars(text("select action from operator_audit order by id")).all()
    assert actions == ["tenant.idp", "tenant.idp"]


# --- Isolation -----------------------------------------------------------------------------


def test_the_replay_table_is_tenant_neutral(su_engine):
    with su_engine.connect() as conn:
        columns = conn.scalars(
            text(
                "select column_name from information_schema.columns"
                " where table_name = 'saml_assertion_seen' order by ordinal_position"
            )
        ).all()
    assert columns == ["key", "expires_at"]  # no tenant, no person: hashes and times only


def test_one_municipalitys_saml_settings_and_answers_stay_its_own(
    client, saml_app, make, gamma, su_engine
):
    from helpers import login

    beta = make.tenant("beta", "Beta Kommune", cvr=BETA_CVR)
    login(client, make.user(beta, "tenant_admin"))
    page = client.get("/beta/admin/log-in").get_data(as_text=True)
    assert gamma.entity_id not in page
    assert client.get("/gamma/admin/log-in").status_code == 302  # to Gamma's login
    client.post("/beta/logout")
    # Gamma's answer at Beta's ACS (Beta has no SAML provider) and a Gamma session in Beta.
    acs, fields = login_via_idp(start(client, "gamma"), "gert")
    refused(post_to_sp(client, f"{BASE}/beta/saml/acs", fields), 503)
    assert post_to_sp(client, acs, fields).status_code == 303
    r = client.get("/beta/processer")
    assert r.status_code == 302 and r.headers["Location"].startswith("/beta/login")
    assert [u.slug for u in users(su_engine)] == ["beta", "gamma"]


def test_the_saml_settings_form_survives_every_bad_input(client, gamma, make):
    """As the bad-input walk of tests/platform/test_input.py, over a SAML municipality's form:
    each text field with control characters, an over-long text and a NUL, never a 5xx."""
    from helpers import login
    from html_forms import post_forms
    from werkzeug.datastructures import MultiDict

    login(client, make.user(type("T", (), {"slug": "gamma"})(), "tenant_admin"))
    page = "/gamma/admin/log-in"
    assert 'value="saml" class="form-radio radio-large" checked' in client.get(page).get_data(
        as_text=True
    )
    posts = 0
    for value in ("a\x01b\x0bc\x1bd\ufffee\uffff\x08f", "x" * 30000, "\x00"):
        forms = post_forms(client.get(page).get_data(as_text=True))
        form = next(f for f in forms if f.action.endswith("/admin/log-in"))
        for name in form.texts:
            r = client.post(page, data=MultiDict(form.data(**{name: value})))
            assert r.status_code < 500, (name, r.status_code)
            posts += 1
    assert posts >= 20


def test_the_operator_sets_saml_and_kombit_in_the_console(saml_app, make, own_idp, su_engine):
    import io

    from helpers import operator_login

    make.tenant("theta", "Theta Kommune", cvr=GAMMA_CVR)
    client = saml_app.test_client()
    operator_login(client, make.operator())
    page = "/operator/kommuner/theta/log-in"
    assert f"{BASE}/theta/saml/metadata" in client.get(page).get_data(as_text=True)
    form = {"protocol": "saml", "min_loa": "High", "role_claim": AD_FS_ROLE, "default_role": ""}
    r = client.post(page, data=form)
    assert r.status_code == 422 and "Upload metadata" in r.get_data(as_text=True)
    upload = {**form, "saml_metadata_file": (io.BytesIO(own_idp.metadata.encode()), "md.xml")}
    r = client.post(page, data=upload, content_type="multipart/form-data")
    assert r.status_code == 302, r.get_data(as_text=True)
    tenant_page = client.get("/operator/kommuner/theta").get_data(as_text=True)
    assert "SAML" in tenant_page and "NSIS mindst High" in tenant_page
    assert own_idp.entity_id in client.get(page).get_data(as_text=True)
    r = client.post(page, data={"protocol": "kombit", "min_loa": "Substantial"})
    assert r.status_code == 302, r.get_data(as_text=True)
    with su_engine.connect() as conn:
        assert conn.execute(text("select protocol, min_loa from tenant_idp")).one() == (
            "kombit",
            "Substantial",
        )
        details = conn.scalars(
            text("select details from operator_audit where action = 'tenant.idp' order by id")
        ).all()
    assert details[0]["changes"]["protocol"] == {"from": None, "to": "saml"}
    assert details[1]["changes"]["protocol"] == {"from": "saml", "to": "kombit"}


def test_own_provider_logout_both_ways(client, gamma):
    import html
    import re

    import requests

    sign_in(client, "gert", "gamma")
    client.post("/gamma/logout")
    hop = client.get("/gamma/log-ud-hos-udbyder").get_data(as_text=True)
    target = html.unescape(re.search(r'id="provider-logout" href="([^"]+)"', hop).group(1))
    back = requests.get(target, allow_redirects=False, timeout=10)
    assert gamma.logouts[-1] == "persistent-gert"
    assert back.headers["Location"].startswith(f"{BASE}/gamma/saml/slo?")
    r = client.get(back.headers["Location"][len(BASE) :])
    assert r.status_code == 302 and r.headers["Location"].endswith("/gamma/logget-ud")
    # The provider's own LogoutRequest, at Gamma's SLO.
    sign_in(client, "gert", "gamma")
    assert client.get("/gamma/processer").status_code == 200
    url = gamma.logout_request_url(f"{BASE}/gamma/saml/metadata", "persistent-gert")
    assert client.get(url[len(BASE) :]).status_code == 302
    assert client.get("/gamma/processer").status_code == 302


def test_a_broken_metadata_address_is_named(saml_app, gamma):
    from autoproces.platform.errors import Invalid
    from autoproces.platform.identity.services import save_saml_idp

    for url in (
        "https://[",
        "ftp://x.dk/md.xml",
        "http://adfs.kommune.dk/md.xml",
        "https://127.0.0.1:1/md",
    ):
        with pytest.raises(Invalid) as e:
            _configure(saml_app, "gamma", lambda t, url=url: save_saml_idp(t, metadata_url=url))
        assert "saml_metadata_url" in e.value.errors, url


# --- Attacks (the review of issue 11) -------------------------------------------------------
# Each takes a real answer of the provider on loopback and changes it as an attacker would.

SAML_NS = "urn:oasis:names:tc:SAML:2.0:assertion"
DS_NS = "http://www.w3.org/2000/09/xmldsig#"


def _answer(client, login: str, slug: str | None = "alpha", variant: str = ""):
    """(ACS, fields, the Response as an lxml tree) of a real answer, not yet posted."""
    import base64

    from lxml import etree

    acs, fields = login_via_idp(start(client, slug), login, variant)
    return acs, fields, etree.fromstring(base64.b64decode(fields["SAMLResponse"]))


def _post_tree(client, acs, fields, root):
    import base64

    from lxml import etree

    xml = etree.tostring(root)
    return post_to_sp(client, acs, {**fields, "SAMLResponse": base64.b64encode(xml).decode()})


def _forged_copy(assertion, name_id: str, email: str):
    """The signed assertion copied, its signature dropped, another person named in it."""
    import copy

    forged = copy.deepcopy(assertion)
    forged.set("ID", "_forged" + forged.get("ID", "")[1:])
    for signature in forged.findall(f"{{{DS_NS}}}Signature"):
        forged.remove(signature)
    forged.find(f".//{{{SAML_NS}}}NameID").text = name_id
    for value in forged.iter(f"{{{SAML_NS}}}AttributeValue"):
        if value.text and "@" in value.text:
            value.text = email
    return forged


def test_the_wrapping_tests_control_an_answer_re_serialised_unchanged_is_good(client, kombit_towns):
    # So the refusals below are for the wrapping, not for lxml's serialisation.
    for variant in ("", "unsigned_assertion_only"):
        acs, fields, root = _answer(client, "ada", variant=variant)
        assert _post_tree(client, acs, fields, root).status_code == 303
        client.post("/alpha/logout")


@pytest.mark.parametrize("where", ["before", "after", "wrapping", "same_id", "extensions"])
def test_signature_wrapping_with_an_injected_unsigned_assertion_is_refused(
    client, kombit_towns, su_engine, where
):
    """XSW: the provider's signed assertion stays (its signature still checks), and an
    unsigned one naming Mallory is put beside it, or wraps it in its Advice."""
    acs, fields, root = _answer(client, "ada", variant="unsigned_assertion_only")
    signed = root.find(f"{{{SAML_NS}}}Assertion")
    forged = _forged_copy(signed, "persistent-mallory", "mallory@alfa.dk")
    if where == "same_id":  # the forged one carries the signed one's ID
        forged.set("ID", signed.get("ID"))
        signed.addprevious(forged)
    elif where == "extensions":  # the signed one hidden in the response's Extensions
        from lxml import etree

        root.replace(signed, forged)
        extensions = etree.Element("{urn:oasis:names:tc:SAML:2.0:protocol}Extensions")
        root.find(f"{{{SAML_NS}}}Issuer").addnext(extensions)
        extensions.append(signed)
    elif where == "before":
        signed.addprevious(forged)
    elif where == "after":
        signed.addnext(forged)
    else:
        from lxml import etree

        root.replace(signed, forged)
        etree.SubElement(forged, f"{{{SAML_NS}}}Advice").append(signed)
    refused(_post_tree(client, acs, fields, root), 400)
    assert users(su_engine) == []
    assert client.get("/alpha/processer").status_code == 302


def test_a_signed_response_with_a_second_assertion_injected_is_refused(
    client, kombit_towns, su_engine
):
    acs, fields, root = _answer(client, "ada")  # the response and its assertion signed
    signed = root.find(f"{{{SAML_NS}}}Assertion")
    signed.addnext(_forged_copy(signed, "persistent-mallory", "mallory@alfa.dk"))
    refused(_post_tree(client, acs, fields, root), 400)
    assert users(su_engine) == []


def test_a_comment_in_the_nameid_or_e_mail_never_shortens_them(
    client, kombit_towns, saml_app, su_engine
):
    """The 2018 class of bugs: a comment leaves the signature good (canonical XML drops
    comments), and a parser that reads only the first text node sees `ada@alfa.dk`. Here
    the whole signed value counts: the comment does not open Ada's account."""
    import base64

    from autoproces.platform.identity.services import create_user

    # Ada is created ahead of her first sign-in: matched by e-mail address then.
    _configure(saml_app, "alpha", lambda t: create_user(t, "ada@alfa.dk", "Ada", ["tenant_admin"]))
    kombit_towns.set_account(
        "ada.evil",
        cvr=ALPHA_CVR,
        email="ada@alfa.dk.evil",
        privileges={ALPHA_CVR: [f"{ROLE}employee/1"]},
    )
    acs, fields = login_via_idp(start(client, "alpha"), "ada.evil")
    xml = base64.b64decode(fields["SAMLResponse"]).decode()
    xml = xml.replace("persistent-ada.evil", "persistent-ada<!---->.evil")
    xml = xml.replace("ada@alfa.dk.evil", "ada@alfa.dk<!---->.evil")
    assert xml.count("<!---->") >= 2
    r = post_to_sp(client, acs, {**fields, "SAMLResponse": base64.b64encode(xml.encode()).decode()})
    # The signature still checks (comments are not signed), and the whole value is read.
    assert r.status_code == 303, r.get_data(as_text=True)
    rows = {row.email: row for row in users(su_engine)}
    assert rows["ada@alfa.dk"].subject is None  # Ada's account is not taken
    assert rows["ada@alfa.dk.evil"].subject == "persistent-ada.evil"


def test_an_answer_of_a_provider_two_municipalities_share_is_good_only_where_asked(
    client, saml_app, make, own_idp, su_engine
):
    """Gamma and Delta use the same AD FS: an answer for Gamma (both logins pending in the
    same browser) is refused at Delta's ACS."""
    from autoproces.platform.identity.services import save_saml_idp

    for slug in ("gamma", "delta"):
        make.tenant(slug, f"{slug.title()} Kommune")
        _configure(
            saml_app,
            slug,
            lambda t: save_saml_idp(t, metadata=own_idp.metadata, default_role="employee"),
        )
        sp = client.get(f"/{slug}/saml/metadata").get_data(as_text=True)
        if sp not in own_idp.sp_metadata:
            own_idp.trust_sp(sp)
    own_idp.set_account("delle", cvr=GAMMA_CVR, email="delle@gamma.dk")
    start(client, "delta")
    acs, fields = login_via_idp(start(client, "gamma"), "delle")
    assert acs == f"{BASE}/gamma/saml/acs"
    refused(post_to_sp(client, f"{BASE}/delta/saml/acs", fields), 400)
    assert users(su_engine) == []
    assert post_to_sp(client, acs, fields).status_code == 303  # where it was asked for
    assert [u.slug for u in users(su_engine)] == ["gamma"]


def test_the_same_answer_posted_twice_at_once_signs_in_once(client, kombit_towns, saml_app):
    import threading

    authn_url = start(client, "alpha")
    pending = client.get_cookie("autoproces_saml").value
    acs, fields = login_via_idp(authn_url, "ada")
    browsers = [saml_app.test_client() for _ in range(2)]
    for browser in browsers:
        browser.set_cookie("autoproces_saml", pending)
    barrier = threading.Barrier(len(browsers))
    statuses: list[int] = []

    def post(browser) -> None:
        barrier.wait()
        statuses.append(post_to_sp(browser, acs, fields).status_code)

    threads = [threading.Thread(target=post, args=(b,)) for b in browsers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [303, 400]
    assert sorted(b.get("/alpha/processer").status_code for b in browsers) == [200, 302]


def test_a_tampered_or_foreign_pending_cookie_is_no_way_in(client, kombit_towns, saml_app):
    authn_url = start(client, "alpha")
    pending = client.get_cookie("autoproces_saml").value
    acs, fields = login_via_idp(authn_url, "ada")
    other = saml_app.test_client()
    for value in (pending[:-2] + "xx", pending.replace(".", "_", 1), "e30.x.y", ""):
        other.set_cookie("autoproces_saml", value)
        refused(post_to_sp(other, acs, fields), 400)
    # Signed with another secret key (another installation's cookie).
    from itsdangerous import URLSafeTimedSerializer

    forged = URLSafeTimedSerializer("another-key", salt="autoproces-saml-pending").dumps(
        {"id-x": {"t": 9e12, "conn": "kombit"}}
    )
    other.set_cookie("autoproces_saml", forged)
    refused(post_to_sp(other, acs, fields), 400)
    assert post_to_sp(client, acs, fields).status_code == 303  # the real one still works


@pytest.mark.parametrize(
    "next_url",
    [
        "//evil.example/x",
        "https://evil.example/alpha/",
        "/\\evil.example",
        "/alpha/..//evil.example",
        "/alpha/%2e%2e//evil.example",
        "/alpha/.%2E/%5Cevil.example",
        "/alpha/%0d%0aSet-Cookie:x=y",
        "/beta/processer",
    ],
)
def test_the_redirect_after_sign_in_stays_on_our_host(client, kombit_towns, next_url):
    from urllib.parse import quote, urljoin, urlsplit

    acs, fields = login_via_idp(start(client, "alpha", quote(next_url, safe="")), "ada")
    # The provider's RelayState is no way to name a target either.
    r = post_to_sp(client, acs, {**fields, "RelayState": "https://evil.example/"})
    assert r.status_code == 303, r.get_data(as_text=True)
    target = urljoin(f"{BASE}/saml/acs", r.headers["Location"])
    assert urlsplit(target).netloc == "localhost"
    assert urlsplit(target).path.startswith("/alpha") and "\n" not in r.headers["Location"]


def test_oversized_and_broken_messages_are_danish_4xx(client, kombit_towns):
    import base64

    acs, fields = login_via_idp(start(client, "alpha"), "ada")
    big = b"<a>" + b"x" * (600 * 1024) + b"</a>"
    for value in (
        base64.b64encode(big).decode(),  # larger than any answer
        base64.b64encode(b"\xff\xfe\x00<\x00a").decode(),  # not XML
        base64.b64encode(b"<a><b></a>").decode(),  # broken XML
        "PHNhbWw+" + "=" * 5,  # bad padding
        "\x00",
    ):
        r = post_to_sp(client, acs, {**fields, "SAMLResponse": value})
        assert 400 <= r.status_code < 500 and '<html lang="da"' in r.get_data(as_text=True)
    huge = "A" * (26 * 1024 * 1024)  # over the request limit: 413, in Danish
    r = client.post("/saml/acs", data={"SAMLResponse": huge})
    assert r.status_code == 413 and '<html lang="da"' in r.get_data(as_text=True)
    assert post_to_sp(client, acs, fields).status_code == 303  # the real one still works


def test_a_line_wrapped_base64_answer_is_read(client, kombit_towns):
    """Some providers wrap the base64 of the POST binding at 76 characters (MIME style)."""
    import textwrap

    acs, fields = login_via_idp(start(client, "alpha"), "ada")
    wrapped = "\r\n".join(textwrap.wrap(fields["SAMLResponse"], 76))
    r = post_to_sp(client, acs, {**fields, "SAMLResponse": wrapped})
    assert r.status_code == 303, r.get_data(as_text=True)


def test_deeply_nested_or_huge_privileges_are_no_500(client, kombit_towns, su_engine):
    import base64

    from saml_idp import BPP, PRIVILEGES

    deep = f'<bpp:PrivilegeList xmlns:bpp="{BPP}">' + "<a>" * 30000 + "</a>" * 30000
    deep += "</bpp:PrivilegeList>"
    many = (
        f'<bpp:PrivilegeList xmlns:bpp="{BPP}">'
        + (
            f'<PrivilegeGroup Scope="urn:dk:gov:saml:cvrNumberIdentifier:{ALPHA_CVR}">'
            + "<Privilege>x</Privilege>" * 5000
            + "</PrivilegeGroup>"
        )
        * 3
    )
    many += "</bpp:PrivilegeList>"
    for xml in (deep, many):
        kombit_towns.accounts["ada"][PRIVILEGES] = [base64.b64encode(xml.encode()).decode()]
        r, _acs, _fields = sign_in(client, "ada")
        assert r.status_code in (400, 403), r.status_code
        assert '<html lang="da"' in r.get_data(as_text=True)
    assert users(su_engine) == []


def test_a_forged_logout_request_ends_no_session(client, kombit_towns):
    """Unsigned, signed by another key, with a DOCTYPE, or as a deflate bomb: 400, and the
    session stays."""
    import base64
    import zlib
    from urllib.parse import urlencode

    sign_in(client, "ada")
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    doctype = b'<!DOCTYPE a [<!ENTITY b "c">]><samlp:LogoutRequest xmlns:samlp="x">&b;'
    doctype += b"</samlp:LogoutRequest>"
    bomb = zlib.compressobj(9, zlib.DEFLATED, -15)
    for payload, signed in (
        (deflate.compress(doctype) + deflate.flush(), True),
        (bomb.compress(b"<" + b"a" * (64 * 1024 * 1024)) + bomb.flush(), True),
    ):
        query = {"SAMLRequest": base64.b64encode(payload).decode()}
        if signed:
            query |= {
                "SigAlg": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
                "Signature": "eA==",
            }
        refused(client.get("/saml/slo?" + urlencode(query)), 400)
    refused(client.get("/saml/slo?SAMLRequest=%%%"), 400)
    refused(client.get("/saml/slo"), 400)
    assert client.get("/alpha/processer").status_code == 200

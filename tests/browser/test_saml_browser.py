"""Signing in through KOMBIT (a real SAML IdP on loopback: pysaml2's own server, with
OIOSAML 3 attributes and OIO-BPP privileges) in Chromium, with the app's CSP enforced:
the provider's login page, its consent page, back to the municipality, and out again."""

from __future__ import annotations

import pytest
from browser_helpers import LiveServer, assert_accessible, assert_accessible_under_csp
from helpers import app_env
from playwright.sync_api import expect
from saml_idp import SamlIdp, key_pair

CVR = "64942212"


@pytest.fixture(scope="module")
def kombit_server(database, tmp_path_factory):
    """A live server of its own: the SAML settings need its address and the IdP's."""
    from autoproces.platform.app import create_app

    folder = tmp_path_factory.mktemp("saml-browser")
    idp = SamlIdp(folder, "contexthandler").start()
    key, cert = key_pair(folder, "sp", "autoproces")
    metadata = folder / "kombit.xml"
    metadata.write_text(idp.metadata)
    with LiveServer() as server:
        server.app = create_app(
            app_env(
                database,
                AUTOPROCES_BASE_URL=server.url,
                AUTOPROCES_SAML_KEY_FILE=str(key),
                AUTOPROCES_SAML_CERT_FILE=str(cert),
                AUTOPROCES_KOMBIT_METADATA_FILE=str(metadata),
                AUTOPROCES_KOMBIT_ROLE_PREFIX="http://autoproces.test/roles/usersystemrole/",
            ),
            TESTING=True,
            SESSION_COOKIE_SECURE=False,  # plain http on loopback
        )
        idp.trust_sp(server.app.test_client().get("/saml/metadata").get_data(as_text=True))
        yield server, idp
    idp.stop()


def test_sign_in_through_kombit_and_out_again(new_page, kombit_server, make):
    from autoproces.platform.db import db
    from autoproces.platform.identity.services import save_kombit
    from autoproces.platform.tenancy import activate_tenant, tenant_by_slug

    server, idp = kombit_server
    make.tenant("alpha", "Alfa Kommune", cvr=CVR)
    with server.app.test_request_context():
        tenant = tenant_by_slug("alpha")
        activate_tenant(tenant)
        save_kombit(tenant)
        db.session.commit()
    idp.set_account(
        "mette",
        cvr=CVR,
        email="mette@alfa.dk",
        first_name="Mette",
        last_name="Madsen",
        privileges={CVR: ["http://autoproces.test/roles/usersystemrole/automation/1"]},
    )
    page = new_page()  # the app's own CSP, as a user's browser enforces it
    page.goto(server.url + "/alpha/processer")
    # The provider's page: a login form, then its consent page.
    page.wait_for_url(idp.base + "/sso**")
    page.get_by_label("Brugernavn").fill("mette")
    page.get_by_label("Adgangskode").fill("hemmelig")
    page.get_by_role("button", name="Log ind").click()
    expect(page.get_by_role("heading", name="Test-IdP: samtykke")).to_be_visible()
    page.get_by_role("button", name="Fortsæt").click()
    page.wait_for_url(server.url + "/alpha/processer")
    expect(page.locator(".portal-user").get_by_text("Mette Madsen")).to_be_visible()
    assert not page.csp_blocked, page.csp_blocked

    page.get_by_role("button", name="Log af").click()
    # Through our hop page to the provider's logout and back, signed both ways.
    page.wait_for_url(server.url + "/alpha/logget-ud")
    expect(page.get_by_role("heading", name="Du er logget ud")).to_be_visible()
    assert idp.logouts == ["persistent-mette"]
    page.goto(server.url + "/alpha/processer")
    page.wait_for_url(idp.base + "/sso**")  # signed out here: off to the provider again


def test_a_refusal_is_a_danish_page_that_passes_axe(page, kombit_server, make):
    server, idp = kombit_server
    idp.set_account("fremmed", cvr="29189846", privileges={})
    page.goto(server.url + "/saml/login")
    page.get_by_label("Brugernavn").fill("fremmed")
    page.get_by_role("button", name="Log ind").click()
    page.get_by_role("button", name="Fortsæt").click()
    expect(page.get_by_role("heading", name="Du har ikke adgang")).to_be_visible()
    expect(
        page.get_by_text("Kommunen med CVR-nummer 29189846 bruger ikke Autoproces.")
    ).to_be_visible()
    assert_accessible(page, "SAML sign-in refused")


def test_the_administrator_signed_in_through_kombit_raises_the_nsis_minimum(
    new_page, kombit_server, make, su_engine
):
    """The settings form as the page renders it, filled in Chromium under the app's CSP by
    an administrator who came in through KOMBIT: KOMBIT kept, the minimum raised to High."""
    from sqlalchemy import text

    from autoproces.platform.db import db
    from autoproces.platform.identity.services import save_kombit
    from autoproces.platform.tenancy import activate_tenant, tenant_by_slug

    server, idp = kombit_server
    make.tenant("beta", "Beta Kommune", cvr="55133018")
    with server.app.test_request_context():
        tenant = tenant_by_slug("beta")
        activate_tenant(tenant)
        save_kombit(tenant)
        db.session.commit()
    idp.set_account(
        "anna",
        cvr="55133018",
        email="anna@beta.dk",
        first_name="Anna",
        last_name="Admin",
        privileges={"55133018": ["http://autoproces.test/roles/usersystemrole/tenant_admin/1"]},
    )
    page = new_page()
    page.goto(server.url + "/beta/admin/log-in")
    page.wait_for_url(idp.base + "/sso**")
    page.get_by_label("Brugernavn").fill("anna")
    page.get_by_label("Adgangskode").fill("hemmelig")
    page.get_by_role("button", name="Log ind").click()
    page.get_by_role("button", name="Fortsæt").click()
    page.wait_for_url(server.url + "/beta/**")
    page.goto(server.url + "/beta/admin/log-in")
    expect(
        page.get_by_label("KOMBITs Context Handler (fælleskommunal adgangsstyring)")
    ).to_be_checked()
    assert_accessible_under_csp(page, "the sign-in settings of a KOMBIT municipality")
    page.get_by_label("Laveste sikringsniveau (NSIS)").select_option("High")
    page.get_by_role("button", name="Gem").click()
    expect(page.get_by_text("Log-in-indstillingerne er gemt.")).to_be_visible()
    assert not page.csp_blocked, page.csp_blocked
    with su_engine.connect() as conn:
        row = conn.execute(
            text(
                "select protocol, min_loa from tenant_idp i join tenant t on t.id = i.tenant_id"
                " where t.slug = 'beta'"
            )
        ).one()
    assert (row.protocol, row.min_loa) == ("kombit", "High")

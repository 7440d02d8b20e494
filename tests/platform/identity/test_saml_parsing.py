"""What an assertion says, read by platform/identity/saml.py: the CVR number (OIOSAML 3, 2 and
the X509SubjectName), OIO-BPP privileges (both namespaces, scopes and casing, DOCTYPE), the
user-system roles, and the NSIS level from the attribute and the authentication context."""

from __future__ import annotations

import base64

import pytest
from saml_idp import privilege_list

from autoproces.platform.identity import saml

ROLE = "http://autoproces.test/roles/usersystemrole/"


def assertion(attributes=None, name_id=None, contexts=()) -> saml.Assertion:
    return saml.Assertion(
        issuer="https://idp.test",
        name_id=name_id or {"text": "x", "format": saml.NAMEID_FORMAT_PERSISTENT},
        session_index=None,
        attributes=attributes or {},
        authn_contexts=list(contexts),
    )


def test_cvr_from_oiosaml3_oiosaml2_and_the_x509_subject_name():
    assert saml.assertion_cvr(assertion({saml.CVR_ATTRIBUTES[0]: ["29189846"]})) == "29189846"
    assert saml.assertion_cvr(assertion({saml.CVR_ATTRIBUTES[1]: [" 29189846 "]})) == "29189846"
    subject = {
        "text": "C=DK,O=29189846,CN=Mette Madsen,Serial=CVR:29189846-RID:1234",
        "format": "urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName",
    }
    assert saml.assertion_cvr(assertion(name_id=subject)) == "29189846"
    assert saml.assertion_cvr(assertion()) == ""


def test_privileges_are_those_scoped_to_the_cvr_in_either_namespace_and_any_casing():
    values = [
        privilege_list({"29189846": [f"{ROLE}automation/1"], "11111111": [f"{ROLE}manager/1"]}),
        privilege_list(
            {"29189846": [f"{ROLE}employee/1"]},
            namespace="http://itst.dk/oiosaml/basic_privilege_profile",
        ),
    ]
    # The scope's prefix in another casing is the same scope.
    shouted = base64.b64encode(
        base64.b64decode(privilege_list({"29189846": [f"{ROLE}manager/1"]})).replace(
            b"cvrNumberIdentifier", b"CVRNUMBERIDENTIFIER"
        )
    ).decode()
    found = saml.privileges([*values, shouted], "29189846")
    assert found == [f"{ROLE}automation/1", f"{ROLE}employee/1", f"{ROLE}manager/1"]
    assert saml.privileges(values, "99999999") == []


@pytest.mark.parametrize(
    "xml",
    [
        b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
        b'<bpp:PrivilegeList xmlns:bpp="http://evil.example/"/>',
        b"<not-closed",
    ],
)
def test_privileges_that_are_unsafe_or_not_oio_bpp_are_refused(xml):
    with pytest.raises(saml.SamlRejected):
        saml.privileges([base64.b64encode(xml).decode()], "29189846")
    with pytest.raises(saml.SamlRejected):
        saml.privileges(["%%% not base64"], "29189846")


def test_user_system_roles_map_to_our_roles_leniently():
    found = [
        f"{ROLE}automation/1",
        f"{ROLE.upper()}MANAGER/2",
        f"{ROLE}tenant_admin",
        f"{ROLE}superuser/1",  # not a role of ours
        "http://other.test/roles/usersystemrole/employee/1",  # another system's role
    ]
    assert saml.roles_from_privileges(found, ROLE) == ["automation", "manager", "tenant_admin"]


def test_the_nsis_level_is_the_attributes_and_never_above_the_context():
    loa = saml.LOA_ATTRIBUTE
    ctx = saml.LOA_CONTEXT_PREFIX
    assert saml.assurance_level(assertion({loa: ["Substantial"]})) == "Substantial"
    assert saml.assurance_level(assertion({loa: ["high"]}, contexts=[ctx + "Low"])) == "Low"
    assert saml.assurance_level(assertion(contexts=[ctx + "High"])) is None  # no attribute
    assert saml.assurance_level(assertion({loa: ["Medium"]})) is None
    assert saml.loa_sufficient("High", "Substantial")
    assert not saml.loa_sufficient("Low", "Substantial")
    assert not saml.loa_sufficient(None, "Low")


def test_unsafe_xml_is_refused_before_parsing():
    for xml in (
        b'<!DOCTYPE r [<!ENTITY x "y">]><r>&x;</r>',
        b'<!DOCTYPE r SYSTEM "http://127.0.0.1:1/dtd"><r/>',
        b"<r>" + b"x" * (saml.MAX_MESSAGE_BYTES + 1) + b"</r>",
    ):
        with pytest.raises(saml.SamlRejected):
            saml.refuse_unsafe_xml(xml)
    assert saml.refuse_unsafe_xml(b"<r/>").tag == "r"


def test_the_demo_makes_its_sp_key_pair_once(demo_app):
    """`make demo` can try SAML: a self-signed key pair in the instance folder, kept."""
    client = demo_app.test_client()
    metadata = client.get("/saml/metadata")  # before the Context Handler's is configured
    assert metadata.status_code == 200 and "/saml/acs" in metadata.get_data(as_text=True)
    # No KOMBIT metadata in the demo: signing in is a Danish 503, not a 500.
    login = client.get("/saml/login")
    assert login.status_code == 503 and '<html lang="da"' in login.get_data(as_text=True)
    with demo_app.app_context():
        one = saml.sp_key_pair()
        assert saml.sp_key_pair() == one
        assert open(one[1]).read().startswith("-----BEGIN CERTIFICATE-----")


def test_a_deflate_bomb_in_a_redirect_message_is_refused_without_inflating_it():
    import tracemalloc
    import zlib

    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    bomb = deflate.compress(b"<" + b"a" * (200 * 1024 * 1024)) + deflate.flush()
    value = base64.b64encode(bomb).decode()
    assert len(value) < 400 * 1024
    tracemalloc.start()
    try:
        with pytest.raises(saml.SamlRejected, match="too large"):
            saml._redirect_message({"SAMLRequest": value}, "SAMLRequest")
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024


@pytest.fixture
def web():
    """Two small HTTP servers on loopback (127.0.0.1 and 127.0.0.2): what they were asked."""
    import threading
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    seen: list[str] = []
    servers = []

    def app(environ, start_response):
        host = environ["SERVER_NAME"]
        seen.append(f"{environ.get('HTTP_HOST')}{environ['PATH_INFO']}")
        path = environ["PATH_INFO"]
        if path == "/redirect":
            other = servers[1].server_port
            start_response("302 Found", [("Location", f"http://127.0.0.2:{other}/md")])
            return [b""]
        if path == "/huge":
            start_response("200 OK", [("Content-Type", "application/xml")])
            return (b"<a>" + b"x" * (1024 * 1024) for _ in range(64))
        start_response("200 OK", [("Content-Type", "application/xml")])
        return [f"<md from='{host}'/>".encode()]

    for address in ("127.0.0.1", "127.0.0.2"):
        server = make_server(address, 0, app, handler_class=Quiet)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    yield servers, seen
    for server in servers:
        server.shutdown()
        server.server_close()


def test_a_metadata_address_that_redirects_to_plain_http_elsewhere_is_not_followed(web):
    servers, seen = web
    url = f"http://127.0.0.1:{servers[0].server_port}/redirect"
    with pytest.raises(saml.BadMetadata):
        saml.fetch_metadata(url)
    assert not any(s.startswith("127.0.0.2") for s in seen), seen


def test_a_huge_metadata_answer_is_cut_off_not_read_whole(web):
    import tracemalloc

    servers, _seen = web
    tracemalloc.start()
    try:
        with pytest.raises(saml.BadMetadata, match="too large"):
            saml.fetch_metadata(f"http://127.0.0.1:{servers[0].server_port}/huge")
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * 1024 * 1024

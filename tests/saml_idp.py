"""A real SAML 2.0 identity provider for tests: pysaml2's own IdP (saml2.server.Server) in a
small WSGI app on loopback, with OIOSAML 3 attributes and OIO-BPP privileges, and a
`requests` driver for its login page.

    idp = SamlIdp(tmp_path).start()
    idp.trust_sp(metadata_xml)                  # the SP's metadata (ACS, keys)
    idp.set_account("ada", cvr="29189846", privileges={"29189846": [role_uri]})
    acs_url, form = login_via_idp(authn_url, "ada")   # the auto-posting form's fields

The login form also takes `variant`, for the tests of what the SP must refuse: unsigned,
tampered, expired, doctype, wrong_audience, no_audience, second_audience, wrong_destination,
no_destination, wrong_recipient, transient, sha1, encrypted, unsigned_assertion_only.
"""

from __future__ import annotations

import base64
import copy
import html
import secrets
import threading
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.argtree import add_path
from saml2.assertion import Policy
from saml2.config import IdPConfig
from saml2.metadata import entity_descriptor
from saml2.s_utils import UnknownPrincipal
from saml2.saml import NAMEID_FORMAT_PERSISTENT, NAMEID_FORMAT_TRANSIENT, SCM_BEARER, NameID
from saml2.server import Server
from saml2.sigver import get_xmlsec_binary
from saml2.xmldsig import DIGEST_SHA1, DIGEST_SHA256, SIG_RSA_SHA1, SIG_RSA_SHA256

CVR = "https://data.gov.dk/model/core/eid/professional/cvr"
EMAIL = "https://data.gov.dk/model/core/eid/email"
FIRST_NAME = "https://data.gov.dk/model/core/eid/firstName"
LAST_NAME = "https://data.gov.dk/model/core/eid/lastName"
LOA = "https://data.gov.dk/concept/core/nsis/loa"
PRIVILEGES = "https://data.gov.dk/model/core/eid/privilegesIntermediate"
EVIL_ACS = "https://evil.example/saml/acs"  # another service provider's endpoint
BPP = "http://digst.dk/oiosaml/basic_privilege_profile"


def key_pair(directory: Path, name: str, common_name: str) -> tuple[Path, Path]:
    """A fresh RSA key and self-signed certificate as PEM files."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    key_file, cert_file = directory / f"{name}.key", directory / f"{name}.crt"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_file, cert_file


def privilege_list(
    groups: dict[str, list[str]], namespace: str = BPP, doctype: bool = False
) -> str:
    """OIO-BPP: base64 of a PrivilegeList with one group per CVR scope."""
    body = "".join(
        f'<PrivilegeGroup Scope="urn:dk:gov:saml:cvrNumberIdentifier:{cvr}">'
        + "".join(f"<Privilege>{html.escape(p)}</Privilege>" for p in privileges)
        + "</PrivilegeGroup>"
        for cvr, privileges in groups.items()
    )
    xml = f'<bpp:PrivilegeList xmlns:bpp="{namespace}">{body}</bpp:PrivilegeList>'
    if doctype:
        xml = '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>' + xml
    return base64.b64encode(xml.encode()).decode()


class _AudiencePolicy(Policy):
    """A release policy whose assertions name another audience, or none at all, or (with
    `also`) keep ours and add a second restriction to another audience only."""

    def __init__(self, audience: str | None, also: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.audience = audience
        self.also = also

    def conditions(self, sp_entity_id: str) -> Any:
        conditions = super().conditions(sp_entity_id)
        if self.audience is None:
            conditions.audience_restriction = []
        elif self.also:
            other = copy.deepcopy(conditions.audience_restriction[0])
            other.audience[0].text = self.audience
            conditions.audience_restriction.append(other)
        else:
            conditions.audience_restriction[0].audience[0].text = self.audience
        return conditions


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class SamlIdp:
    """One IdP on 127.0.0.1. Accounts: login name -> attributes (any password)."""

    def __init__(self, tmp_dir: Path, name: str = "idp") -> None:
        self.tmp_dir = Path(tmp_dir)
        self.name = name
        self.accounts: dict[str, dict[str, Any]] = {}
        self.pending: dict[str, Any] = {}
        self.logouts: list[str] = []  # NameIDs of the LogoutRequests received
        self.sp_metadata: list[str] = []
        self.metadata_down = False  # its metadata address answers 503
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.server: Server | None = None

    # --- life -----------------------------------------------------------------------

    def start(self) -> SamlIdp:
        self._server = make_server("127.0.0.1", 0, self._app, handler_class=_Quiet)
        self.base = f"http://127.0.0.1:{self._server.server_port}"
        self.entity_id = f"{self.base}/{self.name}/metadata"
        self.key_file, self.cert_file = key_pair(self.tmp_dir, self.name, self.name)
        self._configure()
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> SamlIdp:
        return self.start()

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _configure(self) -> None:
        config = IdPConfig()
        config.load(
            {
                "entityid": self.entity_id,
                "xmlsec_binary": get_xmlsec_binary(["/usr/bin"]),
                "key_file": str(self.key_file),
                "cert_file": str(self.cert_file),
                "metadata": {"inline": list(self.sp_metadata)},
                "service": {
                    "idp": {
                        "endpoints": {
                            "single_sign_on_service": [(f"{self.base}/sso", BINDING_HTTP_REDIRECT)],
                            "single_logout_service": [(f"{self.base}/slo", BINDING_HTTP_REDIRECT)],
                        },
                        "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                        "signing_algorithm": SIG_RSA_SHA256,
                        "digest_algorithm": DIGEST_SHA256,
                        "policy": {"default": {"lifetime": {"minutes": 5}}},
                    }
                },
            }
        )
        self.server = Server(config=config)

    def trust_sp(self, metadata_xml: str) -> None:
        self.sp_metadata.append(metadata_xml)
        self._configure()

    def rotate_key(self) -> Path:
        """A new signing key; returns the new certificate (the old one is then stale)."""
        self.key_file, self.cert_file = key_pair(
            self.tmp_dir, f"{self.name}-{secrets.token_hex(3)}", self.name
        )
        self._configure()
        return self.cert_file

    @property
    def metadata(self) -> str:
        return str(entity_descriptor(self.server.config))

    def set_account(
        self,
        login: str,
        *,
        cvr: str,
        email: str | None = None,
        first_name: str = "Ada",
        last_name: str = "Alfa",
        loa: str | None = "Substantial",
        privileges: dict[str, list[str]] | None = None,
        privileges_namespace: str = BPP,
        extra: dict[str, list[str]] | None = None,
    ) -> None:
        attributes: dict[str, list[str]] = {
            CVR: [cvr],
            EMAIL: [email or f"{login}@example.dk"],
            FIRST_NAME: [first_name],
            LAST_NAME: [last_name],
        }
        if loa:
            attributes[LOA] = [loa]
        if privileges is not None:
            attributes[PRIVILEGES] = [privilege_list(privileges, privileges_namespace)]
        attributes.update(extra or {})
        self.accounts[login] = attributes

    # --- the WSGI app -----------------------------------------------------------------

    def _app(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        path = environ["PATH_INFO"]
        try:
            if path == "/sso" and environ["REQUEST_METHOD"] == "GET":
                return self._sso(environ, start_response)
            if path == "/sso/login" and environ["REQUEST_METHOD"] == "POST":
                return self._login(environ, start_response)
            if path == "/slo":
                return self._slo(environ, start_response)
            if path == f"/{self.name}/metadata" and environ["REQUEST_METHOD"] == "GET":
                # As AD FS publishes its FederationMetadata: always the current keys.
                if self.metadata_down:
                    start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
                    return [b"down"]
                start_response("200 OK", [("Content-Type", "application/samlmetadata+xml")])
                return [self.metadata.encode()]
        except (UnknownPrincipal, KeyError, ValueError) as e:
            start_response("400 Bad Request", [("Content-Type", "text/plain")])
            return [f"{e.__class__.__name__}: {e}".encode()]
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]

    def _page(self, start_response: Any, title: str, body: str) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        page = (
            f'<!doctype html><html lang="da"><head><meta charset="utf-8"><title>{title}</title>'
            f"</head><body><main><h1>{title}</h1>{body}</main></body></html>"
        )
        return [page.encode()]

    def _sso(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        query = {k: v[0] for k, v in parse_qs(environ["QUERY_STRING"]).items()}
        parsed = self.server.parse_authn_request(query["SAMLRequest"], BINDING_HTTP_REDIRECT)
        key = secrets.token_urlsafe(8)
        self.pending[key] = (parsed.message, query.get("RelayState", ""))
        form = (
            f'<form method="post" action="/sso/login"><input type="hidden" name="key" value="{key}">'
            '<p><label for="username">Brugernavn</label><br>'
            '<input id="username" name="username" autocomplete="username"></p>'
            '<p><label for="password">Adgangskode</label><br>'
            '<input id="password" name="password" type="password"></p>'
            '<input type="hidden" name="variant" value="">'
            '<button type="submit">Log ind</button></form>'
        )
        return self._page(start_response, "Test-IdP: log ind", form)

    def _login(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        form = {k: v[0] for k, v in parse_qs(environ["wsgi.input"].read(length).decode()).items()}
        message, relay_state = self.pending.pop(form["key"])
        acs, xml = self.response_for(message, form["username"], form.get("variant", ""))
        encoded = base64.b64encode(xml.encode()).decode()
        body = (
            f'<p>Du sendes tilbage til tjenesten.</p><form method="post" action="{html.escape(acs)}">'
            f'<input type="hidden" name="SAMLResponse" value="{encoded}">'
            f'<input type="hidden" name="RelayState" value="{html.escape(relay_state)}">'
            '<button type="submit">Fortsæt</button></form>'
        )
        return self._page(start_response, "Test-IdP: samtykke", body)

    def response_for(self, message: Any, login: str, variant: str = "") -> tuple[str, str]:
        """(ACS URL, the Response XML) for the AuthnRequest `message`."""
        sp = message.issuer.text
        acs = (
            message.assertion_consumer_service_url
            or self.server.config.metadata.assertion_consumer_service(sp, BINDING_HTTP_POST)[0][
                "location"
            ]
        )
        attributes = self.accounts[login]
        signed = variant not in ("unsigned",)
        policy = None
        if variant == "expired":
            policy = Policy({"default": {"lifetime": {"minutes": -10}}}, mds=self.server.metadata)
        elif variant in ("wrong_audience", "no_audience", "second_audience"):
            audience = None if variant == "no_audience" else "https://evil.example/sp"
            policy = _AudiencePolicy(
                audience,
                also=variant == "second_audience",
                restrictions=None,
                mds=self.server.metadata,
            )
        kwargs: dict[str, Any] = {}
        if variant == "encrypted":
            kwargs = {
                "encrypt_assertion": True,
                "encrypted_advice_attributes": False,
                "encrypt_cert_assertion": None,
            }
        if variant in ("wrong_recipient", "no_destination"):
            # Signed as usual, but the bearer confirmation names another service's ACS, or
            # the right one in a response without a Destination.
            farg = add_path(
                {}, ["assertion", "subject", "subject_confirmation", "method", SCM_BEARER]
            )
            confirmation = farg["assertion"]["subject"]["subject_confirmation"]
            add_path(confirmation, ["subject_confirmation_data", "in_response_to", message.id])
            recipient = EVIL_ACS if variant == "wrong_recipient" else acs
            add_path(confirmation, ["subject_confirmation_data", "recipient", recipient])
            kwargs["farg"] = farg
        destination = {"wrong_destination": EVIL_ACS, "no_destination": None}.get(variant, acs)
        loa = (attributes.get(LOA) or ["Low"])[0]
        response = self.server.create_authn_response(
            identity=attributes,
            in_response_to=message.id,
            destination=destination,
            sp_entity_id=sp,
            name_id=NameID(
                format=NAMEID_FORMAT_TRANSIENT
                if variant == "transient"
                else NAMEID_FORMAT_PERSISTENT,
                text=f"persistent-{login}",
            ),
            authn={
                "class_ref": f"https://data.gov.dk/concept/core/nsis/loa/{loa}",
                "authn_auth": self.entity_id,
            },
            sign_response=signed and variant != "unsigned_assertion_only",
            sign_assertion=signed and variant in ("", "unsigned_assertion_only", "encrypted"),
            release_policy=policy,
            sign_alg=SIG_RSA_SHA1 if variant == "sha1" else SIG_RSA_SHA256,
            digest_alg=DIGEST_SHA1 if variant == "sha1" else DIGEST_SHA256,
            **kwargs,
        )
        xml = str(response)
        if variant == "tampered":
            xml = xml.replace(attributes[EMAIL][0], "mallory@example.dk")
            assert "mallory@example.dk" in xml
        if variant == "doctype":
            xml = xml.replace("?>", '?><!DOCTYPE r [<!ENTITY x "y">]>', 1)
            if "<!DOCTYPE" not in xml:
                xml = '<!DOCTYPE r [<!ENTITY x "y">]>' + xml
        return acs, xml

    def _slo(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        query = {k: v[0] for k, v in parse_qs(environ["QUERY_STRING"]).items()}
        if "SAMLRequest" not in query:
            return self._page(start_response, "Test-IdP: logget ud", "<p>Logget ud.</p>")
        parsed = self.server.parse_logout_request(query["SAMLRequest"], BINDING_HTTP_REDIRECT)
        message = parsed.message
        self.logouts.append(message.name_id.text)
        sp = message.issuer.text
        location = self.server.config.metadata.single_logout_service(
            sp, BINDING_HTTP_REDIRECT, "spsso"
        )[0]["location"]
        response = self.server.create_logout_response(message, [BINDING_HTTP_REDIRECT], sign=False)
        info = self.server.apply_binding(
            BINDING_HTTP_REDIRECT,
            str(response),
            location,
            query.get("RelayState", ""),
            response=True,
            sign=True,
            sigalg=SIG_RSA_SHA256,
        )
        start_response("302 Found", [("Location", dict(info["headers"])["Location"])])
        return [b""]

    def logout_request_url(
        self, sp_entity_id: str, name_id: str, sign: bool = True, sigalg: str = SIG_RSA_SHA256
    ) -> str:
        """An IdP-initiated LogoutRequest to the SP (HTTP-Redirect)."""
        location = self.server.config.metadata.single_logout_service(
            sp_entity_id, BINDING_HTTP_REDIRECT, "spsso"
        )[0]["location"]
        _id, request = self.server.create_logout_request(
            location,
            self.entity_id,
            name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=name_id),
            sign=False,
        )
        info = self.server.apply_binding(
            BINDING_HTTP_REDIRECT, str(request), location, "", sign=sign, sigalg=sigalg
        )
        return dict(info["headers"])["Location"]


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action", ""), "fields": {}})
        elif tag == "input" and self.forms and a.get("name"):
            self.forms[-1]["fields"][a["name"]] = a.get("value") or ""


def forms_of(page: str) -> list[dict[str, Any]]:
    parser = _Forms()
    parser.feed(page)
    return parser.forms


def login_via_idp(authn_url: str, login: str, variant: str = "") -> tuple[str, dict[str, str]]:
    """Sign in at the IdP's page; returns (ACS URL, the fields the IdP's page posts there)."""
    with requests.Session() as s:
        page = s.get(authn_url, timeout=10)
        page.raise_for_status()
        form = forms_of(page.text)[0]
        fields = {**form["fields"], "username": login, "password": "x", "variant": variant}
        base = f"{urlsplit(authn_url).scheme}://{urlsplit(authn_url).netloc}"
        consent = s.post(base + form["action"], data=fields, timeout=10)
        consent.raise_for_status()
        posted = forms_of(consent.text)[0]
        return html.unescape(posted["action"]), posted["fields"]


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


__all__ = [
    "SamlIdp",
    "forms_of",
    "key_pair",
    "login_via_idp",
    "privilege_list",
    "query_of",
    "urlencode",
]

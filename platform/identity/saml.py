"""SAML 2.0 / OIOSAML, the service provider side (pysaml2; Debian's xmlsec1 signs, checks
signatures and decrypts).

Two kinds of connection share this code: the platform's one KOMBIT connection (the
Context Handler; the assertion's CVR number picks the municipality) and a municipality's
own identity provider (AD FS and the like). pysaml2 checks the signature against the
provider's metadata, InResponseTo, the time window and the recipient; what it leaves out
is checked here: the XML is refused before it parses when it has a DOCTYPE or entities,
an audience restriction and a destination are required, an assertion is good once, and
the NSIS level is read from the attribute (pysaml2 does not enforce the authentication
context).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
import time
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET
from flask import current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.saml import (
    NAMEID_FORMAT_PERSISTENT,
    NAMEID_FORMAT_TRANSIENT,
    AuthnContextClassRef,
    NameID,
)
from saml2.samlp import RequestedAuthnContext
from saml2.sigver import get_xmlsec_binary
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256
from sqlalchemy import text

from ..db import db

PENDING_SECONDS = 600  # how long a login may take at the provider
MAX_PENDING = 5  # logins started in several tabs at once
CLOCK_SKEW_SECONDS = 60
MAX_MESSAGE_BYTES = 512 * 1024
PENDING_COOKIE = "autoproces_saml"
SESSION_KEY = "saml"  # in the signed-in session: what logout needs (connection, NameID, …)

MD = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"

# OIOSAML 3 (and OIOSAML 2's names where they differ).
CVR_ATTRIBUTES = (
    "https://data.gov.dk/model/core/eid/professional/cvr",
    "dk:gov:saml:attribute:CvrNumberIdentifier",
)
EMAIL_ATTRIBUTES = ("https://data.gov.dk/model/core/eid/email", "urn:oid:0.9.2342.19200300.100.1.3")
FIRST_NAME_ATTRIBUTES = ("https://data.gov.dk/model/core/eid/firstName", "urn:oid:2.5.4.42")
LAST_NAME_ATTRIBUTES = ("https://data.gov.dk/model/core/eid/lastName", "urn:oid:2.5.4.4")
NAME_ATTRIBUTES = ("https://data.gov.dk/model/core/eid/fullName", "urn:oid:2.5.4.3")
PRIVILEGE_ATTRIBUTES = (
    "https://data.gov.dk/model/core/eid/privilegesIntermediate",
    "dk:gov:saml:attribute:Privileges_intermediate",
)
LOA_ATTRIBUTE = "https://data.gov.dk/concept/core/nsis/loa"
LOA_CONTEXT_PREFIX = "https://data.gov.dk/concept/core/nsis/loa/"
LOA_LEVELS = ("Low", "Substantial", "High")
BPP_NAMESPACES = (
    "http://digst.dk/oiosaml/basic_privilege_profile",
    "http://itst.dk/oiosaml/basic_privilege_profile",
)
CVR_SCOPE_PREFIX = "urn:dk:gov:saml:cvrnumberidentifier:"


class SamlUnavailable(Exception):
    """SAML is not set up (no key pair, no provider metadata): a Danish 503."""


class SamlRejected(Exception):
    """An answer we did not ask for, a forged, tampered, expired or replayed one (400)."""


class BadMetadata(ValueError):
    """Provider metadata that cannot be used; the message says why (English, for logs)."""


@dataclass(frozen=True)
class Connection:
    """One service provider and the identity provider it trusts."""

    key: str  # "kombit", or the municipality's id
    entity_id: str
    acs_url: str
    slo_url: str
    idp_metadata: str
    extra_certs: tuple[str, ...] = ()
    kombit: bool = False
    min_loa: str = "Substantial"


@dataclass
class Assertion:
    """What a checked assertion says, with attribute names as sent."""

    issuer: str
    name_id: dict[str, str | None]
    session_index: str | None
    attributes: dict[str, list[str]] = field(default_factory=dict)
    authn_contexts: list[str] = field(default_factory=list)
    context: dict[str, Any] = field(default_factory=dict)

    def first(self, names: tuple[str, ...]) -> str:
        for name in names:
            for value in self.attributes.get(name, []):
                if value.strip():
                    return value.strip()
        return ""

    def values(self, names: tuple[str, ...]) -> list[str]:
        return [v for name in names for v in self.attributes.get(name, [])]


# --- Safe XML ------------------------------------------------------------------------


def refuse_unsafe_xml(xml: bytes | str) -> Any:
    """Parse untrusted XML with no DOCTYPE, no entities and nothing external; raise
    SamlRejected otherwise. pysaml2 never sees what this refuses."""
    if isinstance(xml, str):
        xml = xml.encode()
    if len(xml) > MAX_MESSAGE_BYTES:
        raise SamlRejected("message too large")
    try:
        return SafeET.fromstring(xml, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (DefusedXmlException, ParseError) as e:
        raise SamlRejected(f"unsafe or broken XML: {e.__class__.__name__}") from e


# SHA-1 signatures and digests: collisions are practical, and OIOSAML 3 demands SHA-256.
WEAK_ALGORITHMS = frozenset(f"{DS}{name}" for name in ("rsa-sha1", "dsa-sha1", "hmac-sha1", "sha1"))


def refuse_weak_algorithms(root: Any) -> None:
    """Refuse a message signed or digested with SHA-1 (pysaml2 and xmlsec1 accept it)."""
    for tag in ("SignatureMethod", "DigestMethod"):
        for element in root.iter(f"{{{DS}}}{tag}"):
            if element.get("Algorithm") in WEAK_ALGORITHMS:
                raise SamlRejected(f"a SHA-1 {tag}")


def decode_post_message(value: str) -> str:
    """A SAMLResponse/SAMLRequest of the POST binding: base64 of XML, checked safe."""
    # Some providers wrap the base64 at 76 characters (MIME style): whitespace is no error.
    value = "".join(value.split())
    try:
        xml = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as e:
        raise SamlRejected("not base64") from e
    refuse_weak_algorithms(refuse_unsafe_xml(xml))
    return value


# --- Metadata ------------------------------------------------------------------------


def _pem_body(pem: str) -> str:
    body = re.sub(r"-----(BEGIN|END) CERTIFICATE-----", "", pem)
    return "".join(body.split())


def check_certificate(pem: str) -> str:
    """A PEM certificate's base64 body, or BadMetadata."""
    from cryptography import x509

    body = _pem_body(pem)
    try:
        x509.load_der_x509_certificate(base64.b64decode(body, validate=True))
    except (ValueError, binascii.Error) as e:
        raise BadMetadata("not a certificate") from e
    return body


def read_idp_metadata(xml: str) -> str:
    """Check a provider's metadata; return its entity ID. Raises BadMetadata."""
    try:
        root = refuse_unsafe_xml(xml)
    except SamlRejected as e:
        raise BadMetadata(str(e)) from None
    if root.tag == f"{{{MD}}}EntitiesDescriptor":
        entities = root.findall(f"{{{MD}}}EntityDescriptor")
        if len(entities) != 1:
            raise BadMetadata("the metadata names more than one provider")
        root = entities[0]
    if root.tag != f"{{{MD}}}EntityDescriptor" or not root.get("entityID"):
        raise BadMetadata("no EntityDescriptor with an entityID")
    idp = root.find(f"{{{MD}}}IDPSSODescriptor")
    if idp is None:
        raise BadMetadata("no IDPSSODescriptor")
    if not any(
        s.get("Binding") == BINDING_HTTP_REDIRECT
        for s in idp.findall(f"{{{MD}}}SingleSignOnService")
    ):
        raise BadMetadata("no SingleSignOnService with the HTTP-Redirect binding")
    if not idp.findall(f".//{{{DS}}}X509Certificate"):
        raise BadMetadata("no signing certificate")
    return root.get("entityID")


def _with_extra_certs(xml: str, certs: tuple[str, ...]) -> str:
    """The metadata with more signing keys (a rollover's next certificate)."""
    if not certs:
        return xml
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.fromstring(xml.encode(), parser)
    idp = root.find(f".//{{{MD}}}IDPSSODescriptor")
    for pem in certs:
        kd = etree.Element(f"{{{MD}}}KeyDescriptor", use="signing")
        info = etree.SubElement(kd, f"{{{DS}}}KeyInfo")
        data = etree.SubElement(info, f"{{{DS}}}X509Data")
        etree.SubElement(data, f"{{{DS}}}X509Certificate").text = _pem_body(pem)
        idp.insert(0, kd)  # KeyDescriptors come first in an IDPSSODescriptor
    return etree.tostring(root).decode()


LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")  # plain http only to this machine
MAX_METADATA_BYTES = MAX_MESSAGE_BYTES * 4
MAX_REDIRECTS = 3


def metadata_address_secure(url: str) -> bool:
    """https, or plain http to this machine only (a test provider, a local proxy)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return False
    return bool(parts.netloc) and (
        parts.scheme == "https" or (parts.scheme == "http" and host in LOOPBACK_HOSTS)
    )


def fetch_metadata(url: str) -> str:
    """An operator's or administrator's "read from URL" (never at sign-in), and the daily
    job's. Each redirect must be as secure as the address itself (no https address leads
    on to plain http elsewhere), and no more than MAX_METADATA_BYTES are read."""
    import requests

    try:
        for _hop in range(MAX_REDIRECTS + 1):
            if not metadata_address_secure(url):
                raise BadMetadata(f"{url}: neither https nor this machine")
            with requests.get(url, timeout=5, stream=True, allow_redirects=False) as response:
                if response.is_redirect:
                    url = urljoin(url, response.headers.get("Location", ""))
                    continue
                response.raise_for_status()
                body = bytearray()
                for chunk in response.iter_content(64 * 1024):
                    body += chunk
                    if len(body) > MAX_METADATA_BYTES:
                        raise BadMetadata("the metadata is too large")
                return body.decode(response.encoding or "utf-8", errors="replace")
    except requests.RequestException as e:
        raise BadMetadata(f"{url}: {e.__class__.__name__}") from e
    raise BadMetadata(f"{url}: too many redirects")


# --- The service provider --------------------------------------------------------------


def sp_key_pair() -> tuple[str, str]:
    """The SP's key and certificate files: configured, or in the demo made once in the
    instance folder (self-signed; production uses an OCES certificate)."""
    settings = current_app.config["AUTOPROCES_SETTINGS"]
    key, cert = settings.saml_key_file, settings.saml_cert_file
    if (not key or not cert) and settings.demo:
        key, cert = demo_key_pair(settings.instance_path / "saml")
    if not key or not cert:
        raise SamlUnavailable("AUTOPROCES_SAML_KEY_FILE and AUTOPROCES_SAML_CERT_FILE are not set")
    return str(key), str(cert)


def demo_key_pair(folder: Any) -> tuple[Any, Any]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key_file, cert_file = folder / "sp.key", folder / "sp.crt"
    if key_file.exists() and cert_file.exists():
        return key_file, cert_file
    folder.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Autoproces demo SP")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_file.chmod(0o600)
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return key_file, cert_file


def _sp_config(conn: Connection, key_file: str, cert_file: str) -> dict[str, Any]:
    """pysaml2's settings for this SP: the one place for its endpoints, keys and demands."""
    return {
        "entityid": conn.entity_id,
        "xmlsec_binary": get_xmlsec_binary(["/usr/bin"]),
        "key_file": key_file,
        "cert_file": cert_file,
        # Encrypted assertions (RSA-OAEP key transport) are decrypted with the same pair.
        "encryption_keypairs": [{"key_file": key_file, "cert_file": cert_file}],
        "accepted_time_diff": CLOCK_SKEW_SECONDS,
        "allow_unknown_attributes": True,
        "service": {
            "sp": {
                "endpoints": {
                    "assertion_consumer_service": [(conn.acs_url, BINDING_HTTP_POST)],
                    "single_logout_service": [
                        (conn.slo_url, BINDING_HTTP_REDIRECT),
                        (conn.slo_url, BINDING_HTTP_POST),
                    ],
                },
                "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                "authn_requests_signed": True,
                "logout_requests_signed": True,
                # A signature on the response or on the assertion, by the provider's keys.
                "want_response_signed": False,
                "want_assertions_signed": False,
                "want_assertions_or_response_signed": True,
                "allow_unsolicited": False,
                "signing_algorithm": SIG_RSA_SHA256,
                "digest_algorithm": DIGEST_SHA256,
            }
        },
    }


_clients: dict[str, Saml2Client] = {}


def client(conn: Connection) -> Saml2Client:
    """pysaml2's client for a connection, built once per configuration."""
    key_file, cert_file = sp_key_pair()
    fingerprint = hashlib.sha256(
        "\0".join(
            [conn.entity_id, conn.acs_url, conn.slo_url, conn.idp_metadata, key_file, cert_file]
            + list(conn.extra_certs)
        ).encode()
    ).hexdigest()
    cached = _clients.get(fingerprint)
    if cached is not None:
        return cached
    settings = _sp_config(conn, key_file, cert_file)
    try:
        settings["metadata"] = {"inline": [_with_extra_certs(conn.idp_metadata, conn.extra_certs)]}
        config = SPConfig()
        config.load(settings)
        result = Saml2Client(config)
    except Exception as e:  # unreadable metadata, a missing xmlsec1, a broken key file
        raise SamlUnavailable(f"cannot build the SAML client: {e.__class__.__name__}: {e}") from e
    if len(_clients) > 200:  # settings changed often: start afresh
        _clients.clear()
    _clients[fingerprint] = result
    return result


def sp_metadata(conn: Connection) -> str:
    """This connection's SP metadata (entity ID, ACS, SLO, signing and encryption keys)."""
    from saml2.metadata import entity_descriptor

    config = SPConfig()
    config.load(_sp_config(conn, *sp_key_pair()))
    return str(entity_descriptor(config))


def _idp_entity_id(sp: Saml2Client) -> str:
    idps = list(sp.metadata.with_descriptor("idpsso").keys())
    if len(idps) != 1:
        raise SamlUnavailable("the provider metadata names no identity provider")
    return idps[0]


# --- Pending logins: a signed cookie of their own ---------------------------------------
# The provider answers with a cross-site POST, which carries no SameSite=Lax session
# cookie; the outstanding request IDs live in a cookie of their own (SameSite=None where
# cookies are Secure). An old copy of the cookie is no way round: assertions count once.


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="autoproces-saml-pending")


def pending_logins() -> dict[str, dict[str, Any]]:
    raw = request.cookies.get(PENDING_COOKIE, "")
    if not raw:
        return {}
    try:
        value = _serializer().loads(raw, max_age=PENDING_SECONDS)
    except BadSignature:
        return {}
    now = time.time()
    return {
        k: v
        for k, v in (value if isinstance(value, dict) else {}).items()
        if isinstance(v, dict) and now - v.get("t", 0) < PENDING_SECONDS
    }


def set_pending_cookie(response: Any, pending: dict[str, dict[str, Any]]) -> None:
    secure = bool(current_app.config.get("SESSION_COOKIE_SECURE"))
    if not pending:
        response.delete_cookie(PENDING_COOKIE, path="/", secure=secure, httponly=True)
        return
    response.set_cookie(
        PENDING_COOKIE,
        _serializer().dumps(pending),
        max_age=PENDING_SECONDS,
        path="/",
        secure=secure,
        httponly=True,
        samesite="None" if secure else "Lax",
    )


def begin(conn: Connection, context: dict[str, Any]) -> tuple[str, dict[str, dict[str, Any]]]:
    """A signed AuthnRequest by HTTP-Redirect. Returns (where to go, the pending logins to
    store with `set_pending_cookie`)."""
    sp = client(conn)
    extra: dict[str, Any] = {"nameid_format": NAMEID_FORMAT_PERSISTENT}
    if conn.kombit:
        # OIOSAML 3: ask for the level wanted; the answer's attribute is still checked.
        extra["requested_authn_context"] = RequestedAuthnContext(
            authn_context_class_ref=[AuthnContextClassRef(text=LOA_CONTEXT_PREFIX + conn.min_loa)],
            comparison="minimum",
        )
    relay_state = secrets.token_urlsafe(16)
    request_id, info = sp.prepare_for_authenticate(
        entityid=_idp_entity_id(sp),
        relay_state=relay_state,
        binding=BINDING_HTTP_REDIRECT,
        sign=True,
        sigalg=SIG_RSA_SHA256,
        digest_alg=DIGEST_SHA256,
        **extra,
    )
    pending = pending_logins()
    pending[request_id] = {"t": time.time(), "conn": conn.key, **context}
    pending = dict(sorted(pending.items(), key=lambda kv: kv[1]["t"])[-MAX_PENDING:])
    return dict(info["headers"])["Location"], pending


def complete(conn: Connection, saml_response: str) -> tuple[Assertion, str]:
    """Check the provider's answer at the ACS. Returns the assertion and the request ID it
    answers (to be dropped from the pending logins). Raises SamlRejected."""
    saml_response = decode_post_message(saml_response)
    pending = {k: v for k, v in pending_logins().items() if v.get("conn") == conn.key}
    if not pending:
        raise SamlRejected("no login is pending for this connection")
    sp = client(conn)
    try:
        response = sp.parse_authn_request_response(
            saml_response, BINDING_HTTP_POST, outstanding={k: k for k in pending}
        )
    except Exception as e:  # pysaml2 raises many kinds; each means "not this one"
        raise SamlRejected(f"pysaml2 refused the response: {e.__class__.__name__}: {e}") from e
    if response is not None and response.name_id is not None:
        # pysaml2 remembers each person it read in the client's in-memory cache; the client
        # lives as long as the process and the session is ours: forget them (no growth).
        try:
            sp.users.remove_person(response.name_id)
        except KeyError:
            pass  # an encrypted assertion's person is not cached
    if response is None or response.assertion is None:
        raise SamlRejected("no assertion")
    request_id = response.in_response_to
    if request_id not in pending:
        raise SamlRejected("an answer to a request we did not send")
    if response.response.destination != conn.acs_url:
        raise SamlRejected("wrong or missing Destination")
    assertion = response.assertion
    _check_audience_and_recipient(assertion, conn)
    issuer = (assertion.issuer.text or "").strip() if assertion.issuer else ""
    if issuer != _idp_entity_id(sp):
        raise SamlRejected("the assertion is from another issuer")
    name_id = assertion.subject.name_id if assertion.subject else None
    if name_id is None or not (name_id.text or "").strip():
        raise SamlRejected("no NameID")
    if name_id.format == NAMEID_FORMAT_TRANSIENT:
        # Users are keyed by the subject: a new one at every login would be a new user.
        raise SamlRejected("a transient NameID")
    remember_assertion(issuer, assertion.id, _not_on_or_after(assertion))
    attributes: dict[str, list[str]] = {}
    for statement in assertion.attribute_statement:
        for attribute in statement.attribute:
            values = [str(v.text).strip() for v in attribute.attribute_value if v.text]
            attributes.setdefault(attribute.name, []).extend(values)
    contexts = [
        s.authn_context.authn_context_class_ref.text.strip()
        for s in assertion.authn_statement
        if s.authn_context and s.authn_context.authn_context_class_ref
    ]
    session_index = next((s.session_index for s in assertion.authn_statement), None)
    result = Assertion(
        issuer=issuer,
        name_id={
            "text": name_id.text.strip(),
            "format": name_id.format,
            "name_qualifier": name_id.name_qualifier,
            "sp_name_qualifier": name_id.sp_name_qualifier,
        },
        session_index=session_index,
        attributes=attributes,
        authn_contexts=contexts,
        context={k: v for k, v in pending[request_id].items() if k not in ("t", "conn")},
    )
    return result, request_id


def _check_audience_and_recipient(assertion: Any, conn: Connection) -> None:
    # pysaml2 lets an assertion without any audience restriction through. With several,
    # each must name us (SAML core 2.5.1.4: the conditions all hold).
    conditions = assertion.conditions
    restrictions = conditions.audience_restriction if conditions else []
    if not restrictions or any(
        conn.entity_id not in [(a.text or "").strip() for a in r.audience] for r in restrictions
    ):
        raise SamlRejected("the assertion is not for this service provider")
    recipients = [
        c.subject_confirmation_data.recipient
        for c in assertion.subject.subject_confirmation
        if c.subject_confirmation_data is not None
    ]
    if conn.acs_url not in recipients:
        raise SamlRejected("wrong or missing Recipient")


def _not_on_or_after(assertion: Any) -> datetime:
    from saml2.time_util import str_to_time

    latest = datetime.now(UTC) + timedelta(hours=1)
    times = []
    if assertion.conditions is not None and assertion.conditions.not_on_or_after:
        times.append(assertion.conditions.not_on_or_after)
    for c in assertion.subject.subject_confirmation:
        if c.subject_confirmation_data is not None and c.subject_confirmation_data.not_on_or_after:
            times.append(c.subject_confirmation_data.not_on_or_after)
    for value in times:
        parsed = str_to_time(value)
        if parsed is not None:
            moment = datetime(*parsed[:6], tzinfo=UTC)
            latest = max(latest, moment)
    return latest + timedelta(seconds=CLOCK_SKEW_SECONDS)


def remember_assertion(issuer: str, assertion_id: str, expires_at: datetime) -> None:
    """An assertion counts once: a second use (a replay) is refused. The row stays until
    the assertion could no longer be accepted anyway."""
    if not assertion_id:
        raise SamlRejected("an assertion without an ID")
    key = hashlib.sha256(f"{issuer}\0{assertion_id}".encode()).hexdigest()
    db.session.execute(text("delete from saml_assertion_seen where expires_at < now()"))
    inserted = db.session.execute(
        text(
            "insert into saml_assertion_seen (key, expires_at) values (:k, :e)"
            " on conflict (key) do nothing returning key"
        ),
        {"k": key, "e": expires_at},
    ).first()
    if inserted is None:
        raise SamlRejected("a replayed assertion")


# --- What the assertion says -------------------------------------------------------------


def assurance_level(assertion: Assertion) -> str | None:
    """The NSIS level from the attribute; never higher than an NSIS authentication context
    the assertion also names. None when the attribute is missing or unknown."""
    levels = {level.lower(): level for level in LOA_LEVELS}
    level = levels.get(assertion.first((LOA_ATTRIBUTE,)).lower())
    if level is None:
        return None
    for ref in assertion.authn_contexts:
        if ref.lower().startswith(LOA_CONTEXT_PREFIX.lower()):
            other = levels.get(ref[len(LOA_CONTEXT_PREFIX) :].lower())
            if other is None or LOA_LEVELS.index(other) < LOA_LEVELS.index(level):
                level = other
    return level


def loa_sufficient(level: str | None, minimum: str) -> bool:
    return level is not None and LOA_LEVELS.index(level) >= LOA_LEVELS.index(minimum)


def assertion_cvr(assertion: Assertion) -> str:
    """The CVR number: the OIOSAML 3 or 2 attribute, or the O= of an X509SubjectName."""
    cvr = assertion.first(CVR_ATTRIBUTES)
    if not cvr and "X509SubjectName" in (assertion.name_id.get("format") or ""):
        match = re.search(r"(?:^|,)\s*O\s*=\s*([^,]+)", assertion.name_id["text"] or "")
        cvr = match.group(1) if match else ""
    return re.sub(r"\s", "", cvr)


def privileges(values: list[str], cvr: str) -> list[str]:
    """The OIO-BPP privileges (base64 XML) of the groups scoped to `cvr` (any casing of the
    scope's prefix); a group for another CVR grants nothing. Raises SamlRejected for XML
    with a DOCTYPE or entities."""
    found: list[str] = []
    for value in values:
        try:
            xml = base64.b64decode("".join(value.split()), validate=True)
        except (binascii.Error, ValueError) as e:
            raise SamlRejected("privileges are not base64") from e
        root = refuse_unsafe_xml(xml)
        namespace, _sep, local = root.tag[1:].partition("}") if root.tag[0] == "{" else ("", "", "")
        if local != "PrivilegeList" or namespace not in BPP_NAMESPACES:
            raise SamlRejected("privileges are not an OIO-BPP PrivilegeList")
        for group in root:
            if not str(group.tag).endswith("PrivilegeGroup"):
                continue
            scope = (group.get("Scope") or "").strip().lower()
            if not scope.startswith(CVR_SCOPE_PREFIX) or scope[len(CVR_SCOPE_PREFIX) :] != cvr:
                continue
            for privilege in group:
                if str(privilege.tag).endswith("Privilege") and (privilege.text or "").strip():
                    found.append(privilege.text.strip())
    return found


def roles_from_privileges(found: list[str], prefix: str) -> list[str]:
    """User-system role URIs `<prefix><role>[/<version>]` to our roles (case-insensitive)."""
    from ..permissions import Role

    roles: list[str] = []
    prefix = prefix.lower().rstrip("/") + "/"
    for uri in found:
        uri = uri.strip().lower()
        if not uri.startswith(prefix):
            continue
        name = re.sub(r"/\d+$", "", uri[len(prefix) :].rstrip("/"))
        if name in Role.__members__.values() and name not in roles:
            roles.append(name)
    return roles


def display_name(assertion: Assertion) -> str:
    first, last = assertion.first(FIRST_NAME_ATTRIBUTES), assertion.first(LAST_NAME_ATTRIBUTES)
    return (" ".join(p for p in (first, last) if p) or assertion.first(NAME_ATTRIBUTES))[:200]


# --- Logout ------------------------------------------------------------------------------


def logout_url(
    conn: Connection, name_id: dict[str, Any], session_index: str | None, relay_state: str = ""
) -> str | None:
    """A signed LogoutRequest by HTTP-Redirect to the provider, or None when it has none."""
    sp = client(conn)
    idp = _idp_entity_id(sp)
    try:
        destinations = sp.metadata.single_logout_service(idp, BINDING_HTTP_REDIRECT, "idpsso")
    except Exception:
        return None
    if not destinations:
        return None
    destination = destinations[0]["location"]
    _req_id, logout_request = sp.create_logout_request(
        destination,
        idp,
        name_id=NameID(
            text=name_id.get("text"),
            format=name_id.get("format"),
            name_qualifier=name_id.get("name_qualifier"),
            sp_name_qualifier=name_id.get("sp_name_qualifier"),
        ),
        session_indexes=[session_index] if session_index else None,
        sign=False,
    )
    info = sp.apply_binding(
        BINDING_HTTP_REDIRECT,
        str(logout_request),
        destination,
        relay_state=relay_state,
        sign=True,
        sigalg=SIG_RSA_SHA256,
    )
    return dict(info["headers"])["Location"]


def _redirect_message(args: dict[str, str], key: str) -> str:
    value = args.get(key, "")
    try:
        # Inflated no further than a message may be long: a small deflate bomb in a URL
        # would otherwise become hundreds of megabytes.
        inflater = zlib.decompressobj(-15)
        xml = inflater.decompress(base64.b64decode(value, validate=True), MAX_MESSAGE_BYTES + 1)
    except (binascii.Error, ValueError, zlib.error) as e:
        raise SamlRejected("a broken redirect message") from e
    if inflater.unconsumed_tail or len(xml) > MAX_MESSAGE_BYTES:
        raise SamlRejected("message too large")
    refuse_unsafe_xml(xml)
    return value


def _check_redirect_signature(sp: Saml2Client, args: dict[str, str]) -> None:
    """An HTTP-Redirect message's signature, by one of the provider's signing keys.
    pysaml2 checks it only where the SP config demands signed requests of an IdP."""
    from saml2.sigver import verify_redirect_signature

    if not args.get("Signature") or not args.get("SigAlg"):
        raise SamlRejected("an unsigned redirect message")
    if args["SigAlg"] in WEAK_ALGORITHMS:
        raise SamlRejected("a SHA-1 redirect signature")
    message = {
        k: args[k]
        for k in ("SAMLRequest", "SAMLResponse", "RelayState", "SigAlg", "Signature")
        if k in args
    }
    certs = sp.metadata.certs(_idp_entity_id(sp), "idpsso", "signing")
    try:
        verified = any(
            verify_redirect_signature(message, sp.sec.sec_backend, cert) for _name, cert in certs
        )
    except Exception as e:
        raise SamlRejected(f"redirect signature: {e.__class__.__name__}") from e
    if not verified:
        raise SamlRejected("a redirect message with a wrong signature")


def logout_response_ok(conn: Connection, args: dict[str, str]) -> bool:
    """The provider's LogoutResponse (HTTP-Redirect), signature checked."""
    value = _redirect_message(args, "SAMLResponse")
    _check_redirect_signature(client(conn), args)
    try:
        response = client(conn).parse_logout_request_response(value, BINDING_HTTP_REDIRECT)
    except Exception as e:
        raise SamlRejected(f"logout response refused: {e.__class__.__name__}") from e
    return response is not None


def idp_logout_request(conn: Connection, args: dict[str, str]) -> tuple[str, str]:
    """The provider's own LogoutRequest (HTTP-Redirect, signed; checked by pysaml2).
    Returns (the NameID it names, where to send our signed LogoutResponse)."""
    value = _redirect_message(args, "SAMLRequest")
    sp = client(conn)
    _check_redirect_signature(sp, args)
    try:
        parsed = sp.parse_logout_request(
            value,
            BINDING_HTTP_REDIRECT,
            relay_state=args.get("RelayState"),
            sigalg=args.get("SigAlg"),
            signature=args.get("Signature"),
        )
    except Exception as e:
        raise SamlRejected(f"logout request refused: {e.__class__.__name__}") from e
    if parsed is None:
        raise SamlRejected("an unreadable logout request")
    message = parsed.message
    idp = _idp_entity_id(sp)
    if (message.issuer.text or "").strip() != idp:
        raise SamlRejected("a logout request from another issuer")
    destinations = sp.metadata.single_logout_service(idp, BINDING_HTTP_REDIRECT, "idpsso")
    if not destinations:
        raise SamlRejected("the provider has no logout service")
    location = destinations[0].get("response_location") or destinations[0]["location"]
    response = sp.create_logout_response(message, [BINDING_HTTP_REDIRECT], sign=False)
    info = sp.apply_binding(
        BINDING_HTTP_REDIRECT,
        str(response),
        location,
        relay_state=args.get("RelayState", ""),
        response=True,
        sign=True,
        sigalg=SIG_RSA_SHA256,
    )
    name_id = message.name_id.text.strip() if message.name_id is not None else ""
    return name_id, dict(info["headers"])["Location"]

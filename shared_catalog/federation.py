"""Federation: our published entries as a public JSON-LD feed (DCAT / ADMS), and mirroring
another instance's feed into our catalogue (`autoproces catalogue harvest URL`).

The feed carries only what the catalogue already holds: the anonymised copy of each current
entry that is neither withdrawn nor hidden, and only our own (mirrored entries belong to
their origin's feed, so two instances harvesting each other make no loops). An anonymous
entry has no `dct:publisher`; the size band always travels.

A harvest reads the remote feed defensively (http(s) only, no redirects, a timeout, a size
limit per page, JSON only, every field checked and bounded, next pages only on the same
origin) and mirrors it read-only: one ordinary entry per remote entry, marked with its
origin (feed, remote id, landing page), a new version when the remote content changed,
nothing when it did not, and withdrawn when the entry left the feed. All in the caller's
transaction: a feed that fails half-way changes nothing."""

from __future__ import annotations

import hashlib
import json
import math
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import requests
from sqlalchemy import select

from autoproces.platform.db import db
from autoproces.platform.errors import DomainError
from autoproces.platform.pagination import paginate
from autoproces.platform.textinput import MAX_JSON_DEPTH, clean, is_malformed
from autoproces.platform.urls import base_url, external_url

from . import services
from .models import SIZE_BANDS, CatalogueEntry, CatalogueVersion

# The vocabularies (DCAT 3, ADMS, Dublin Core terms, FOAF, SKOS, Hydra for paging) and our
# own few terms for what DCAT has no word for (every copied field, the size band).
NAMESPACES = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "adms": "http://www.w3.org/ns/adms#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "hydra": "http://www.w3.org/ns/hydra/core#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "autoproces": "urn:autoproces:catalogue:",
}
CONTEXT: dict[str, Any] = {
    "@version": 1.1,
    "@language": "da",
    **NAMESPACES,
    "dct:identifier": {"@type": "xsd:string"},
    "dct:issued": {"@type": "xsd:dateTime"},
    "dct:modified": {"@type": "xsd:dateTime"},
    "adms:version": {"@type": "xsd:string"},
    "dcat:landingPage": {"@type": "@id"},
    "foaf:homepage": {"@type": "@id"},
    "skos:notation": {"@type": "xsd:string"},
    "hydra:first": {"@type": "@id"},
    "hydra:last": {"@type": "@id"},
    "hydra:next": {"@type": "@id"},
    "hydra:previous": {"@type": "@id"},
    "hydra:totalItems": {"@type": "xsd:integer"},
    "autoproces:sizeBand": {"@type": "xsd:string"},
    "autoproces:fields": {"@type": "@json"},
    "autoproces:facts": {"@type": "@json"},
}
MEDIA_TYPE = "application/ld+json"
KLE_SCHEME = "https://www.kle-online.dk"
FEED_PAGE_SIZE = 100

# --- The feed --------------------------------------------------------------------------


def _feed_query() -> Any:
    return (
        select(CatalogueEntry)
        .where(CatalogueEntry.listed(), CatalogueEntry.origin_feed.is_(None))
        # Oldest first: a new entry goes on the last page, so paging stays stable.
        .order_by(CatalogueEntry.created_at, CatalogueEntry.id)
    )


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def asset(entry: CatalogueEntry) -> dict[str, Any]:
    """One entry as an `adms:Asset` / `dcat:Dataset`: its current version's copy only."""
    version = entry.current
    uri = external_url("catalogue_feed.landing", entry_id=entry.id)
    fields = version.fields
    item: dict[str, Any] = {
        "@id": uri,
        "@type": ["adms:Asset", "dcat:Dataset"],
        "dct:identifier": str(entry.id),
        "dct:title": fields.get("title", ""),
        "dct:description": fields.get("summary") or fields.get("description", ""),
        "dct:issued": entry.created_at.isoformat(),
        "dct:modified": version.published_at.isoformat(),
        "adms:version": str(version.number),
        "dcat:landingPage": uri,
        "dcat:keyword": _lines(fields.get("technologies", "")),
        "autoproces:sizeBand": version.size_band,
        "autoproces:note": version.note,
        "autoproces:fields": fields,
        "autoproces:facts": version.facts,
    }
    if version.publisher_name:  # anonymous entries stay anonymous: no publisher at all
        item["dct:publisher"] = {"@type": "foaf:Agent", "foaf:name": version.publisher_name}
    kle = version.facts.get("kle_code")
    if kle:
        title = fields.get("kle_code", "").removeprefix(str(kle)).strip()
        item["dct:subject"] = {
            "@type": "skos:Concept",
            "skos:notation": str(kle),
            "skos:prefLabel": title or str(kle),
            "skos:inScheme": {"@id": KLE_SCHEME},
        }
    return item


def feed_url(page: int | None = None) -> str:
    url = external_url("catalogue_feed.feed")
    return f"{url}?{urlencode({'page': page})}" if page else url


def feed(page: int = 1, per_page: int | None = None) -> dict[str, Any]:
    """One page of the feed, a `dcat:Catalog` with Hydra's paging links."""
    found = paginate(_feed_query(), page, per_page or FEED_PAGE_SIZE)
    view: dict[str, Any] = {
        "@id": feed_url(found.page),
        "@type": "hydra:PartialCollectionView",
        "hydra:first": feed_url(1),
        "hydra:last": feed_url(found.pages),
    }
    if found.has_next:
        view["hydra:next"] = feed_url(found.page + 1)
    if found.has_prev:
        view["hydra:previous"] = feed_url(found.page - 1)
    return {
        "@context": CONTEXT,
        "@id": feed_url(),
        "@type": ["dcat:Catalog", "hydra:Collection"],
        "dct:title": "Autoproces – fælles katalog",
        "dct:description": "Processer og erfaringer, som kommunerne har delt, anonymiseret.",
        "foaf:homepage": base_url() + "/",
        "hydra:totalItems": found.total,
        "hydra:view": view,
        "dcat:dataset": [asset(e) for e in found.items],
    }


# --- Harvesting ------------------------------------------------------------------------

TIMEOUT = (5.0, 15.0)  # connect, read (seconds)
PAGE_DEADLINE = 30.0  # seconds for one page, however slowly it trickles in
MAX_PAGE_BYTES = 10 * 1024 * 1024
MAX_PAGES = 500
MAX_ITEMS_PER_PAGE = 1000
MAX_URL = 2000
MAX_TITLE = 500
MAX_FIELDS = 100
MAX_FIELD_NAME = 100
MAX_FIELD_TEXT = 100_000
MAX_FACTS = 100
MAX_NOTE = services.MAX_NOTE
MAX_NAME = 200
MAX_VERSION = 1_000_000


class HarvestError(DomainError):
    """The feed cannot be harvested (nothing was changed)."""

    status = 422


@dataclass
class HarvestResult:
    feed: str
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    skipped: list[str] = field(default_factory=list)  # why an entry was left out

    def summary(self) -> str:
        text = (
            f"Harvested {self.feed}: {self.added} added, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.removed} withdrawn (gone from the feed)"
        )
        if self.skipped:
            text += f", {len(self.skipped)} skipped:\n" + "\n".join(f"  {s}" for s in self.skipped)
        return text


def check_url(url: str) -> str:
    """Only an absolute http(s) address with a host and no credentials."""
    if not isinstance(url, str) or len(url) > MAX_URL or is_malformed(url):
        raise HarvestError(f"not an address: {str(url)[:100]!r}")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise HarvestError(f"only http(s) addresses can be harvested: {url}")
    if parts.username or parts.password:
        raise HarvestError(f"no credentials in the address: {parts.hostname}")
    return url


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, parts.hostname or "", parts.port


def _http() -> requests.Session:
    session = requests.Session()
    # No proxies, .netrc credentials or CA bundles from the environment: a harvest goes
    # exactly where its address says, with nothing of ours attached.
    session.trust_env = False
    session.headers.update(
        {"Accept": f"{MEDIA_TYPE}, application/json", "User-Agent": "Autoproces-harvester"}
    )
    return session


def fetch_json(session: requests.Session, url: str) -> Any:
    """GET one page of a feed: at most MAX_PAGE_BYTES of JSON within PAGE_DEADLINE."""
    check_url(url)
    started = time.monotonic()
    try:
        response = session.get(url, timeout=TIMEOUT, stream=True, allow_redirects=False)
    except requests.RequestException as e:
        raise HarvestError(f"{url}: {type(e).__name__}") from None
    with response:
        if response.is_redirect or response.is_permanent_redirect:
            raise HarvestError(
                f"{url} redirects to {response.headers.get('Location', '?')[:200]}:"
                " harvest that address instead (redirects are not followed)"
            )
        if response.status_code != 200:
            raise HarvestError(f"{url} answered {response.status_code}")
        media = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if media not in (MEDIA_TYPE, "application/json"):
            raise HarvestError(f"{url} is {media or 'untyped'}, not JSON-LD")
        declared = response.headers.get("Content-Length", "")
        if declared.isascii() and declared.isdigit() and int(declared) > MAX_PAGE_BYTES:
            raise HarvestError(f"{url} is larger than {MAX_PAGE_BYTES} bytes")
        body = bytearray()
        try:
            for chunk in response.iter_content(64 * 1024):
                body += chunk
                if len(body) > MAX_PAGE_BYTES:
                    raise HarvestError(f"{url} is larger than {MAX_PAGE_BYTES} bytes")
                if time.monotonic() - started > PAGE_DEADLINE:
                    raise HarvestError(f"{url} took longer than {PAGE_DEADLINE:.0f} s")
        except requests.RequestException as e:
            raise HarvestError(f"{url}: {type(e).__name__}") from None
    return parse_json(bytes(body), url)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json(body: bytes, where: str = "feed") -> Any:
    """JSON only (no XML, no DOCTYPE, no NaN), and no deeper than the platform allows."""
    start = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if start == b"<":
        raise HarvestError(f"{where} is markup (XML or HTML), not JSON-LD")
    try:
        data = json.loads(body.decode("utf-8"), parse_constant=_refuse_constant)
    except RecursionError:
        raise HarvestError(f"{where} is nested too deeply") from None
    except ValueError as e:  # JSONDecodeError and UnicodeDecodeError too
        raise HarvestError(f"{where} is not JSON: {str(e)[:200]}") from None
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth >= MAX_JSON_DEPTH:
                raise HarvestError(f"{where} is nested too deeply")
            stack.extend(
                (v, depth + 1) for v in (value.values() if isinstance(value, dict) else value)
            )
    return data


@dataclass(frozen=True)
class RemoteEntry:
    """One checked entry of a remote feed."""

    id: str
    landing_page: str
    version: int
    issued: datetime
    modified: datetime
    publisher_name: str | None
    size_band: str
    note: str
    fields: dict[str, str]
    facts: dict[str, Any]

    @property
    def content_hash(self) -> str:
        body = {
            "version": self.version,
            "publisher": self.publisher_name,
            "size_band": self.size_band,
            "note": self.note,
            "fields": self.fields,
            "facts": self.facts,
            "landing": self.landing_page,
        }
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


class Skip(ValueError):
    """An entry of the feed that cannot be mirrored (the rest can)."""


def _text(value: Any, name: str, limit: int, required: bool = False) -> str:
    if value is None and not required:
        return ""
    if isinstance(value, dict) and "@value" in value:  # an expanded, language-tagged string
        value = value["@value"]
    if not isinstance(value, str):
        raise Skip(f"{name} is not text")
    if is_malformed(value):
        raise Skip(f"{name} holds an invalid character")
    value = clean(value)
    if len(value) > limit:
        raise Skip(f"{name} is longer than {limit} characters")
    if required and not value.strip():
        raise Skip(f"{name} is empty")
    return value


def _when(value: Any, name: str) -> datetime:
    text = _text(value, name, 40, required=True)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise Skip(f"{name} is not a date and time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _scalar(value: Any) -> bool:
    return (
        value is None
        or isinstance(value, str | bool | int)
        or (isinstance(value, float) and math.isfinite(value))
    )


# Facts the catalogue's search reads as numbers (migration 0012's trigger casts them to
# numeric, integer and smallint), with the largest value each cast holds: anything else
# would abort the whole harvest in the database instead of skipping the one entry.
NUMBER_FACTS = {
    "minutes_per_occurrence": 10.0**15,
    "occurrences_per_year": 2**31 - 1,
    "realised_benefit_rating": 3,
}


def _number_fact(name: str, fact: Any) -> None:
    largest = NUMBER_FACTS[name]
    whole = isinstance(largest, int)
    number = isinstance(fact, int) or (isinstance(fact, float) and not whole)
    if isinstance(fact, bool) or not number or not 0 <= fact <= largest:
        raise Skip(f"fact {name} is not a number from 0 to {largest:g}")


def _facts(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict) or len(value) > MAX_FACTS:
        raise Skip("autoproces:facts is not a small object")
    facts = {}
    for key, fact in value.items():
        name = _text(key, "a fact's name", MAX_FIELD_NAME, required=True)
        items = fact if isinstance(fact, list) else [fact]
        if len(items) > MAX_FACTS or not all(_scalar(i) for i in items):
            raise Skip(f"fact {name} is not a value or a short list of values")
        for i in items:
            if isinstance(i, str):
                _text(i, f"fact {name}", MAX_TITLE)
        if name in NUMBER_FACTS:
            _number_fact(name, fact)
        facts[name] = fact
    return facts


def check_entry(item: Any) -> RemoteEntry:
    """One `dcat:dataset` of a feed, checked field by field (Skip says what is wrong)."""
    if not isinstance(item, dict):
        raise Skip("an entry is not an object")
    remote_id = _text(item.get("@id"), "@id", MAX_URL, required=True)
    try:
        check_url(remote_id)
    except HarvestError as e:
        raise Skip(f"@id: {e.message}") from None
    types = item.get("@type")
    types = types if isinstance(types, list) else [types]
    if "adms:Asset" not in types and "dcat:Dataset" not in types:
        raise Skip(f"{remote_id}: neither adms:Asset nor dcat:Dataset")
    try:
        raw_fields = item.get("autoproces:fields")
        if not isinstance(raw_fields, dict) or not 0 < len(raw_fields) <= MAX_FIELDS:
            raise Skip("autoproces:fields is not an object of texts")
        fields = {
            _text(k, "a field's name", MAX_FIELD_NAME, required=True): _text(
                v, f"field {k}", MAX_FIELD_TEXT, required=True
            )
            for k, v in raw_fields.items()
        }
        title = _text(item.get("dct:title"), "dct:title", MAX_TITLE, required=True)
        fields.setdefault("title", title)
        version_text = _text(item.get("adms:version"), "adms:version", 10, required=True)
        if (
            not (version_text.isascii() and version_text.isdigit())
            or not 1 <= int(version_text) <= MAX_VERSION
        ):
            raise Skip("adms:version is not a version number")
        size_band = _text(item.get("autoproces:sizeBand"), "autoproces:sizeBand", 20)
        if size_band not in SIZE_BANDS:
            raise Skip("autoproces:sizeBand is not a known size band")
        publisher = item.get("dct:publisher")
        name = None
        if publisher is not None:
            if not isinstance(publisher, dict):
                raise Skip("dct:publisher is not an agent")
            name = _text(publisher.get("foaf:name"), "dct:publisher", MAX_NAME).strip() or None
        landing = _text(item.get("dcat:landingPage"), "dcat:landingPage", MAX_URL) or remote_id
        try:
            check_url(landing)
        except HarvestError as e:
            raise Skip(f"dcat:landingPage: {e.message}") from None
        return RemoteEntry(
            id=remote_id,
            landing_page=landing,
            version=int(version_text),
            issued=_when(item.get("dct:issued"), "dct:issued"),
            modified=_when(item.get("dct:modified"), "dct:modified"),
            publisher_name=name,
            size_band=size_band,
            note=_text(item.get("autoproces:note"), "autoproces:note", MAX_NOTE),
            fields=fields,
            facts=_facts(item.get("autoproces:facts")),
        )
    except Skip as e:
        raise Skip(f"{remote_id}: {e}") from None


def check_page(data: Any, url: str) -> tuple[list[Any], str | None]:
    """A feed page's entries and the address of the next page (same origin only)."""
    if not isinstance(data, dict):
        raise HarvestError(f"{url} is not a JSON-LD object")
    context = data.get("@context")
    if not isinstance(context, dict):
        raise HarvestError(f"{url} has no inline @context")
    for prefix in ("dcat", "dct", "adms", "autoproces"):
        if context.get(prefix) != NAMESPACES[prefix]:
            raise HarvestError(f"{url}: @context does not map {prefix}: to {NAMESPACES[prefix]}")
    types = data.get("@type")
    if "dcat:Catalog" not in (types if isinstance(types, list) else [types]):
        raise HarvestError(f"{url} is not a dcat:Catalog")
    items = data.get("dcat:dataset", [])
    if not isinstance(items, list) or len(items) > MAX_ITEMS_PER_PAGE:
        raise HarvestError(f"{url}: dcat:dataset is not a list of at most {MAX_ITEMS_PER_PAGE}")
    view = data.get("hydra:view")
    next_url = view.get("hydra:next") if isinstance(view, dict) else None
    if next_url is None:
        return items, None
    if not isinstance(next_url, str):
        raise HarvestError(f"{url}: hydra:next is not an address")
    next_url = check_url(urljoin(url, next_url))
    if _origin(next_url) != _origin(url):
        raise HarvestError(f"{url}: the next page {next_url} is on another site")
    return items, next_url


def read_feed(
    url: str, session: requests.Session | None = None
) -> tuple[list[RemoteEntry], list[str]]:
    """Every entry of the feed at `url`, page by page, and why any were skipped."""
    session = session or _http()
    entries: dict[str, RemoteEntry] = {}
    skipped: list[str] = []
    seen: set[str] = set()
    next_url: str | None = check_url(url)
    while next_url is not None:
        if next_url in seen:
            raise HarvestError(f"{next_url}: the pages go round in a circle")
        if len(seen) >= MAX_PAGES:
            raise HarvestError(f"{url} has more than {MAX_PAGES} pages")
        seen.add(next_url)
        items, following = check_page(fetch_json(session, next_url), next_url)
        for item in items:
            try:
                entry = check_entry(item)
            except Skip as e:
                skipped.append(str(e))
                continue
            if entry.id in entries:
                skipped.append(f"{entry.id}: appears twice in the feed")
                continue
            entries[entry.id] = entry
        next_url = following
    return list(entries.values()), skipped


def harvest(url: str, session: requests.Session | None = None) -> HarvestResult:
    """Mirror the feed at `url` into our catalogue (in the caller's transaction)."""
    url = check_url(url.strip())
    if _origin(url) == _origin(base_url()):
        raise HarvestError(f"{url} is this instance's own feed")
    remote, skipped = read_feed(url, session)
    result = HarvestResult(url, skipped=skipped)
    existing = {
        e.origin_id: e
        for e in db.session.scalars(
            select(CatalogueEntry)
            .where(CatalogueEntry.origin_feed == url)
            .with_for_update(of=CatalogueEntry)
        )
    }
    now = datetime.now(UTC)
    for item in remote:
        entry = existing.pop(item.id, None)
        if entry is None:
            _add(url, item, now)
            result.added += 1
        elif entry.origin_hash == item.content_hash and entry.withdrawn_at is None:
            entry.harvested_at = now
            result.unchanged += 1
        else:
            _update(entry, item, now)
            result.updated += 1
    for gone in existing.values():  # left the feed: withdrawn, hidden or deleted there
        gone.harvested_at = now
        if gone.withdrawn_at is None:
            gone.withdrawn_at = now
            gone.updated_at = now
            result.removed += 1
    db.session.flush()
    return result


def _version(entry_id: uuid.UUID, number: int, item: RemoteEntry, previous: dict) -> Any:
    return CatalogueVersion(
        entry_id=entry_id,
        number=number,
        published_at=item.modified,
        publisher_name=item.publisher_name,
        size_band=item.size_band,
        note=item.note,
        fields=item.fields,
        facts=item.facts,
        diff=services._diff(previous, item.fields) if previous else {},
    )


def _add(feed: str, item: RemoteEntry, now: datetime) -> None:
    entry = CatalogueEntry(
        id=uuid.uuid4(),
        # The remote version's number, so readers here and there speak of the same version.
        current_version=item.version,
        created_at=item.issued,
        updated_at=item.modified,
        origin_feed=feed,
        origin_id=item.id,
        origin_url=item.landing_page,
        origin_version=item.version,
        origin_hash=item.content_hash,
        harvested_at=now,
    )
    db.session.add(entry)
    db.session.flush()
    db.session.add(_version(entry.id, item.version, item, {}))


def _update(entry: CatalogueEntry, item: RemoteEntry, now: datetime) -> None:
    current = entry.current
    changed = (
        current is None
        or current.fields != item.fields
        or current.facts != item.facts
        or current.publisher_name != item.publisher_name
        or current.size_band != item.size_band
        or current.note != item.note
    )
    if changed:
        # Versions only grow, even if the source renumbered.
        number = max(entry.current_version + 1, item.version)
        db.session.add(_version(entry.id, number, item, current.fields if current else {}))
        db.session.flush()
        entry.current_version = number
        entry.updated_at = item.modified
        db.session.expire(entry, ["current"])
    entry.withdrawn_at = None
    entry.origin_url = item.landing_page
    entry.origin_version = item.version
    entry.origin_hash = item.content_hash
    entry.harvested_at = now

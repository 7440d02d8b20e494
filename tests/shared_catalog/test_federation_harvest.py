"""`autoproces catalogue harvest URL` between two app instances on loopback: a second
instance with its own database serves its feed over real HTTP, and ours mirrors it
read-only (marked with its origin, beside our own entries in the list and on the entry
page), idempotently, with new versions, and withdrawing what left the feed. And the
harvester's defences against a hostile or broken feed."""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from helpers import APP_ROLE, OWNER_ROLE, UNIT_TEST_CONFIG, app_env, bearer, login
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from autoproces.platform.cli import main
from autoproces.platform.embedded import with_user_and_db
from autoproces.platform.migrate import upgrade


@pytest.fixture(scope="module")
def source_database(database):
    """A second database, made as the conftest makes the first: another instance's own."""
    name = f"autoproces_src_{uuid.uuid4().hex[:10]}"
    admin = create_engine(database.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" OWNER {OWNER_ROLE}'))
    superuser = make_url(database.admin_url).username or "postgres"
    source = replace(
        database,
        su_url=with_user_and_db(database.admin_url, superuser, name),
        owner_url=with_user_and_db(database.admin_url, OWNER_ROLE, name),
        app_url=with_user_and_db(database.admin_url, APP_ROLE, name),
        name=name,
    )
    upgrade(source.owner_url, APP_ROLE)
    yield source
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


class Server:
    """A WSGI app served over real HTTP on loopback, in a thread."""

    def __init__(self, wsgi=None) -> None:
        self.wsgi = wsgi
        self.http = make_server(
            "127.0.0.1", 0, lambda env, start: self.wsgi(env, start), threaded=True
        )
        self.url = f"http://127.0.0.1:{self.http.server_port}"
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.http.shutdown()
        self.thread.join(5)


@pytest.fixture(scope="module")
def source(source_database):
    """The other instance: its own app and database, served on loopback."""
    from autoproces.platform.app import create_app

    server = Server()
    app = create_app(app_env(source_database, AUTOPROCES_BASE_URL=server.url), **UNIT_TEST_CONFIG)
    server.wsgi = app.wsgi_app
    yield SimpleNamespace(
        app=app,
        url=server.url,
        feed=server.url + "/katalog/feed.jsonld",
        database=source_database,
    )
    server.stop()


@pytest.fixture
def remote(source, make):
    """The other instance with a municipality that has shared two entries (one as "en
    kommune"); emptied again after the test."""
    source.make = type(make)(source.app)  # the conftest's factory, on the other instance
    tenant = source.make.tenant("fjern", "Fjernby Kommune")
    team = source.make.user(tenant, "automation", name="Rie Remote", email="rie@fjern.dk")
    token = source.make.token(team)
    named = source.make.process(
        team,
        title="Robot til lønrefusion",
        summary="Refusioner søges automatisk.",
        description="Rie Remote har bygget en robot i UiPath.",
        what_worked="Tæt samarbejde med lønkontoret.",
    )
    anonymous = source.make.process(
        team, title="Chatbot til borgerservice", summary="Svarer på de enkle spørgsmål."
    )
    client = source.app.test_client()
    entries = {
        "named": publish(client, token, named.id),
        "anonymous": publish(client, token, anonymous.id, anonymous=True),
    }
    yield SimpleNamespace(
        **vars(source),
        team=team,
        token=token,
        client=client,
        named=named,
        anonymous=anonymous,
        entries=entries,
    )
    engine = create_engine(source.database.su_url)
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        for table in conn.scalars(
            text(
                "select tablename from pg_tables where schemaname = 'public'"
                " and tablename <> 'alembic_version'"
            )
        ).all():
            conn.execute(text(f'DELETE FROM "{table}"'))
    engine.dispose()


def publish(client, token, process_id, anonymous=False) -> str:
    preview = client.post(
        f"/api/v1/processes/{process_id}/publish/preview", json={}, headers=bearer(token)
    ).get_json()
    answer = client.post(
        f"/api/v1/processes/{process_id}/publish",
        json={"fingerprint": preview["fingerprint"], "size_band": "medium", "anonymous": anonymous},
        headers=bearer(token),
    )
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["id"]


@pytest.fixture
def harvest(database):
    env = app_env(database)

    def run(url: str, ok: bool = True):
        result = CliRunner().invoke(main, ["catalogue", "harvest", url], env=env)
        assert (result.exit_code == 0) == ok, result.output
        return result.output

    return run


@pytest.fixture
def here(make):
    tenant = make.tenant("alpha", "Alfa Kommune")
    reader = make.user(tenant, "automation", name="Ane Alfa")
    own = make.process(reader, title="Vores egen journalisering", summary="Lokal proces.")
    return SimpleNamespace(tenant=tenant, reader=reader, own=own, token=make.token(reader))


def mirrored(su_engine) -> dict[str, dict]:
    with su_engine.connect() as conn:
        rows = (
            conn.execute(
                text(
                    "select e.id, e.origin_id, e.origin_feed, e.origin_url, e.current_version,"
                    " e.withdrawn_at, v.fields, v.publisher_name, v.size_band"
                    " from catalogue_entry e join catalogue_version v"
                    " on v.entry_id = e.id and v.number = e.current_version"
                    " where e.origin_feed is not null"
                )
            )
            .mappings()
            .all()
        )
    return {r["origin_id"].rsplit("/", 1)[1]: dict(r) for r in rows}


def version_count(su_engine) -> int:
    with su_engine.connect() as conn:
        return conn.scalar(text("select count(*) from catalogue_version"))


def test_a_harvest_mirrors_the_other_instance(client, remote, here, harvest, su_engine):
    output = harvest(remote.feed)
    assert "2 added, 0 updated, 0 unchanged, 0 withdrawn" in output
    found = mirrored(su_engine)
    named, anonymous = found[remote.entries["named"]], found[remote.entries["anonymous"]]
    assert named["origin_feed"] == remote.feed
    assert named["origin_url"] == f"{remote.url}/katalog/{remote.entries['named']}"
    assert named["fields"]["title"] == "Robot til lønrefusion"
    assert named["fields"]["description"] == "[navn] har bygget en robot i UiPath."
    assert named["publisher_name"] == "Fjernby Kommune" and named["size_band"] == "medium"
    assert anonymous["publisher_name"] is None  # anonymous there, anonymous here
    # Beside our own in the list, with its origin; the entry page says where it is from.
    login(client, here.reader)
    listing = client.get("/alpha/katalog").get_data(as_text=True)
    assert "Robot til lønrefusion" in listing and "Chatbot til borgerservice" in listing
    assert 'data-origin="127.0.0.1"' in listing
    page = client.get(f"/alpha/katalog/{named['id']}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="entry-origin"' in html and "Fra 127.0.0.1" in html
    assert "Tæt samarbejde med lønkontoret." in html
    # Read-only: nobody here can withdraw it, and the API reads it like any entry.
    assert 'id="withdraw-form"' not in html
    # Its publisher is on the other installation: no contact button, the form refused.
    assert 'id="contact-link"' not in html and 'id="copy-form"' in html
    assert client.get(f"/alpha/katalog/{named['id']}/kontakt").status_code == 404
    assert (
        client.post(
            f"/api/v1/catalogue/{named['id']}/withdraw", headers=bearer(here.token)
        ).status_code
        == 404
    )
    answer = client.get(f"/api/v1/catalogue/{anonymous['id']}", headers=bearer(here.token))
    assert answer.status_code == 200 and answer.get_json()["version"]["anonymous"] is True
    assert answer.get_json()["mirrored"] is True
    assert answer.get_json()["origin_url"] == f"{remote.url}/katalog/{remote.entries['anonymous']}"


def test_a_second_harvest_changes_nothing(remote, here, harvest, su_engine):
    harvest(remote.feed)
    before, versions = mirrored(su_engine), version_count(su_engine)
    output = harvest(remote.feed)
    assert "0 added, 0 updated, 2 unchanged, 0 withdrawn" in output
    assert mirrored(su_engine) == before and version_count(su_engine) == versions


def test_a_new_version_at_the_source_is_a_new_version_here(remote, here, harvest, su_engine):
    harvest(remote.feed)
    answer = remote.client.patch(
        f"/api/v1/processes/{remote.named.id}",
        json={
            "summary": "Refusioner søges og bogføres automatisk.",
            "version": remote.named.version,
        },
        headers=bearer(remote.token),
    )
    assert answer.status_code == 200, answer.get_json()
    publish(remote.client, remote.token, remote.named.id)
    assert "0 added, 1 updated, 1 unchanged" in harvest(remote.feed)
    named = mirrored(su_engine)[remote.entries["named"]]
    assert named["current_version"] == 2
    assert named["fields"]["summary"] == "Refusioner søges og bogføres automatisk."
    with su_engine.connect() as conn:
        diff = conn.scalar(
            text("select diff from catalogue_version where entry_id = :id and number = 2"),
            {"id": named["id"]},
        )
    assert "+Refusioner søges og bogføres automatisk." in diff["summary"]


def test_an_entry_withdrawn_at_the_source_disappears(client, remote, here, harvest, su_engine):
    harvest(remote.feed)
    answer = remote.client.post(
        f"/api/v1/catalogue/{remote.entries['named']}/withdraw", headers=bearer(remote.token)
    )
    assert answer.status_code == 200
    assert "0 added, 0 updated, 1 unchanged, 1 withdrawn" in harvest(remote.feed)
    named = mirrored(su_engine)[remote.entries["named"]]
    assert named["withdrawn_at"] is not None
    login(client, here.reader)
    listing = client.get("/alpha/katalog").get_data(as_text=True)
    assert "Robot til lønrefusion" not in listing and "Chatbot til borgerservice" in listing
    # Republished there: back here on the next harvest.
    publish(remote.client, remote.token, remote.named.id)
    assert "1 updated" in harvest(remote.feed)
    assert mirrored(su_engine)[remote.entries["named"]]["withdrawn_at"] is None


def test_our_feed_does_not_serve_what_we_mirrored(app, remote, here, harvest, client):
    harvest(remote.feed)
    publish(client, here.token, here.own.id)
    doc = app.test_client().get("/katalog/feed.jsonld").get_json()
    assert [i["dct:title"] for i in doc["dcat:dataset"]] == ["Vores egen journalisering"]


def test_a_feed_over_several_pages(remote, here, harvest, su_engine, monkeypatch):
    from autoproces.shared_catalog import federation

    monkeypatch.setattr(federation, "FEED_PAGE_SIZE", 1)  # the source's pages: one entry each
    assert "2 added" in harvest(remote.feed)
    assert len(mirrored(su_engine)) == 2


# --- A hostile or broken feed ----------------------------------------------------------


class Canned(BaseHTTPRequestHandler):
    """Answers each path with what the test put in `routes`: (status, headers, body)."""

    routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
    delay = 0.0

    def do_GET(self) -> None:  # noqa: N802
        status, headers, body = self.routes.get(self.path, (404, {}, b""))
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        for i in range(0, len(body), 1024):
            if self.delay:
                time.sleep(self.delay)
            self.wfile.write(body[i : i + 1024])

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def canned():
    Canned.routes, Canned.delay = {}, 0.0
    server = ThreadingHTTPServer(("127.0.0.1", 0), Canned)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"

    def serve(path, body, status=200, content_type="application/ld+json", **headers):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        Canned.routes[path] = (status, {"Content-Type": content_type, **headers}, data)
        return base + path

    yield SimpleNamespace(base=base, serve=serve)
    server.shutdown()
    thread.join(5)


def catalogue_doc(items, next_url=None):
    from autoproces.shared_catalog.federation import CONTEXT

    doc = {"@context": CONTEXT, "@type": ["dcat:Catalog"], "dcat:dataset": items}
    if next_url:
        doc["hydra:view"] = {"hydra:next": next_url}
    return doc


def item(n: int, **changes):
    base = {
        "@id": f"https://remote.example/katalog/{n}",
        "@type": ["adms:Asset", "dcat:Dataset"],
        "dct:identifier": str(n),
        "dct:title": f"Post {n}",
        "dct:issued": "2026-01-01T10:00:00+00:00",
        "dct:modified": "2026-02-01T10:00:00+00:00",
        "adms:version": "1",
        "autoproces:sizeBand": "small",
        "autoproces:fields": {"title": f"Post {n}", "summary": "Kort."},
        "autoproces:facts": {"phase": "operation"},
    }
    base.update(changes)
    return base


def test_refused_addresses(harvest, database):
    for url in (
        "file:///etc/passwd",
        "ftp://127.0.0.1/feed",
        "gopher://x",
        "http://",
        "http://user:secret@127.0.0.1/feed",
        "http://localhost/katalog/feed.jsonld",
    ):
        assert "Nothing harvested" in harvest(url, ok=False)


@pytest.mark.parametrize(
    "body, content_type, expected",
    [
        (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x/>',
            "application/ld+json",
            "markup",
        ),
        (b"<html></html>", "text/html", "not JSON-LD"),
        (b"{not json", "application/ld+json", "not JSON"),
        (b'{"a": NaN}', "application/ld+json", "not JSON"),
        (b"[" * 100 + b"]" * 100, "application/json", "nested too deeply"),
        (b'{"@context": {}, "@type": "dcat:Catalog"}', "application/ld+json", "@context"),
        (b"[]", "application/ld+json", "not a JSON-LD object"),
    ],
)
def test_refused_documents(canned, harvest, body, content_type, expected):
    url = canned.serve("/feed", body, content_type=content_type)
    assert expected in harvest(url, ok=False)


def test_refused_answers(canned, harvest, monkeypatch):
    from autoproces.shared_catalog import federation

    redirect = canned.serve("/moved", b"", status=302, Location="http://169.254.169.254/")
    assert "redirects" in harvest(redirect, ok=False)
    assert "answered 500" in harvest(canned.serve("/broken", b"", status=500), ok=False)
    monkeypatch.setattr(federation, "MAX_PAGE_BYTES", 1000)
    big = canned.serve("/big", catalogue_doc([item(i) for i in range(20)]))
    assert "larger than 1000 bytes" in harvest(big, ok=False)
    monkeypatch.setattr(federation, "MAX_PAGE_BYTES", 10_000_000)
    monkeypatch.setattr(federation, "PAGE_DEADLINE", 0.2)
    Canned.delay = 0.1
    slow = canned.serve("/slow", catalogue_doc([item(i) for i in range(20)]))
    assert "took longer" in harvest(slow, ok=False)


def test_the_next_page_must_be_on_the_same_site(canned, harvest):
    url = canned.serve("/feed", catalogue_doc([item(1)], next_url="http://169.254.169.254/x"))
    assert "another site" in harvest(url, ok=False)
    looping = canned.serve("/loop", catalogue_doc([item(1)], next_url="/loop"))
    assert "circle" in harvest(looping, ok=False)


def test_bad_entries_are_skipped_and_the_rest_mirrored(canned, harvest, su_engine):
    url = canned.serve(
        "/feed",
        catalogue_doc(
            [
                item(1),
                item(2, **{"@id": "javascript:alert(1)"}),
                item(3, **{"adms:version": "zero"}),
                item(4, **{"autoproces:fields": {"title": "x\x00y"}}),
                item(5, **{"autoproces:sizeBand": "huge"}),
                item(6, **{"dct:modified": "yesterday"}),
                item(7, **{"autoproces:fields": {"title": "x" * 200_000}}),
                item(8, **{"autoproces:facts": {"a": {"nested": "object"}}}),
                item(9, **{"adms:version": "²"}),  # str.isdigit() says yes, int() says no
                item(1),
            ]
        ),
    )
    output = harvest(url)
    assert "1 added" in output and "9 skipped" in output
    assert "appears twice" in output
    assert len(mirrored(su_engine)) == 1


def test_a_feed_failing_half_way_changes_nothing(canned, harvest, su_engine):
    first = canned.serve("/feed", catalogue_doc([item(1), item(2)]))
    harvest(first)
    canned.serve("/feed", catalogue_doc([item(1)], next_url="/page2"))
    canned.serve("/page2", b"", status=503)
    assert "answered 503" in harvest(first, ok=False)
    assert all(e["withdrawn_at"] is None for e in mirrored(su_engine).values())
    assert len(mirrored(su_engine)) == 2


@pytest.mark.parametrize(
    "facts",
    [
        {"minutes_per_occurrence": "many"},
        {"minutes_per_occurrence": True},
        {"minutes_per_occurrence": -1},
        {"occurrences_per_year": "x"},
        {"occurrences_per_year": 10**12},
        {"occurrences_per_year": 12.5},
        {"realised_benefit_rating": 40_000},
        {"realised_benefit_rating": "3"},
    ],
)
def test_an_entry_whose_numbers_are_not_numbers_is_skipped(canned, harvest, su_engine, facts):
    # The search reads these facts as numbers: one such entry is skipped, not the harvest.
    url = canned.serve("/feed", catalogue_doc([item(1), item(2, **{"autoproces:facts": facts})]))
    output = harvest(url)
    assert "1 added" in output and "1 skipped" in output, output
    assert len(mirrored(su_engine)) == 1


def test_a_mirrored_entry_with_odd_facts_and_fields_is_copied_without_them(
    canned, harvest, here, client, su_engine
):
    # Another instance's other facts are only checked to be scalars: a copy takes what fits
    # the register (its own input rules) and leaves the rest out, never a 500.
    odd = {
        "phase": "operation",
        "status": "nonsense",
        "professional_judgement": "x" * 400,
        "quality_gain": "high",
        "automation_share_pct": 10**12,
        "employees_doing_it": "many",
        "minutes_per_occurrence": 12345678.125,
        "occurrences_per_year": 1200,
        "kle_code": "99.99.99",
    }
    fields = {
        "title": "Post 9 " + "t" * 400,
        "summary": "Kort.",
        "domain_ids": "Ukendt, Økonomi",
        "it_systems": "A (B)\n(\n) (",
        "technologies": "RPA\n" * 3,
        "vendor": "v" * 1000,
        "form_code": "not a form code",
        "description": "y" * 90_000,
    }
    url = canned.serve(
        "/feed",
        catalogue_doc([item(9, **{"autoproces:facts": odd, "autoproces:fields": fields})]),
    )
    assert "1 added" in harvest(url)
    entry = next(iter(mirrored(su_engine).values()))["id"]
    answer = client.post(f"/api/v1/catalogue/{entry}/copy", headers=bearer(here.token))
    assert answer.status_code == 201, answer.get_json()
    copy = client.get(f"/api/v1/processes/{answer.get_json()['id']}", headers=bearer(here.token))
    assert copy.status_code == 200
    got = copy.get_json()
    assert (got["phase"], got["status"]) == ("idea", "not_assessed")
    assert got["title"].startswith("Post 9 t") and len(got["vendor"]) == 200
    assert got["occurrences_per_year"] == 1200
    assert got["automation_share_pct"] is None and got["minutes_per_occurrence"] is None
    assert got["employees_doing_it"] is None and got["form_code"] in (None, "")
    assert got["professional_judgement"] == "unset" and got["quality_gain"] == "high"

"""The catalogue's search: prefixes, safe snippets, facets with counts, sorting, filters in
the URL, withdrawn entries left out, every municipality's entries for everyone, anonymous
publishers never revealed, and the API (GET /api/v1/catalogue)."""

from __future__ import annotations

import re
from types import SimpleNamespace

import lxml.html
import pytest
from helpers import add_kle_topic, bearer, login
from sqlalchemy import text


def publish(app, user, process, *, anonymous: bool = False, size_band: str = "medium"):
    """Publish `process` as `user` (the automation team) through the service; the entry id."""
    from autoproces.platform.db import db
    from autoproces.platform.identity.models import User
    from autoproces.platform.tenancy import activate_tenant, tenant_by_slug
    from autoproces.shared_catalog import services
    from autoproces.tenants.processes.models import Process

    with app.test_request_context():
        from autoproces.platform.tenancy import Tenant

        tenant = db.session.get(Tenant, user.tenant_id)
        activate_tenant(tenant_by_slug(tenant.slug))
        u = db.session.get(User, (user.tenant_id, user.id))
        p = db.session.get(Process, (process.tenant_id, process.id))
        preview = services.build_preview(u, p)
        entry = services.publish(
            u,
            p,
            services.Choices(),
            services.Publication(preview.fingerprint, anonymous=anonymous, size_band=size_band),
        )
        db.session.commit()
        return entry.id


@pytest.fixture
def world(app, make, su_engine):
    kle = add_kle_topic(su_engine)
    aarhus = make.tenant("aarhus", "Aarhus Kommune")
    odense = make.tenant("odense", "Odense Kommune")
    skjult = make.tenant("skjult", "Skjulby Kommune")
    reader_tenant = make.tenant("beta", "Beta Kommune")
    a_team = make.user(aarhus, "automation", name="Anna Team")
    o_team = make.user(odense, "automation", name="Ole Team")
    s_team = make.user(skjult, "automation", name="Sif Team")
    reader = make.user(reader_tenant, "employee", name="Bo Læser")
    invoices = make.process(
        a_team,
        title="Kontrol af leverandørfakturaer",
        summary="Fakturaer kontrolleres automatisk mod ordren.",
        description="Robotten sammenholder faktura og ordre <script>alert(1)</script>.",
        phase="operation",
        technologies=["RPA", "OCR"],
        vendor="Netcompany",
        kle_code=kle,
        realised_benefit_rating=3,
        what_did_not="Robotten fejlede på fakturaer med flere ordrer.",
    )
    sick = make.process(
        o_team,
        title="Opfølgning på sygedagpenge",
        summary="Breve til borgere sendes automatisk.",
        phase="development",
        technologies=["RPA"],
    )
    hidden = make.process(
        s_team,
        title="Hemmelig journalisering af post",
        summary="Post journaliseres automatisk.",
    )
    ids = SimpleNamespace(
        invoices=publish(app, a_team, invoices, size_band="xlarge"),
        sick=publish(app, o_team, sick, size_band="large"),
        hidden=publish(app, s_team, hidden, anonymous=True, size_band="small"),
    )
    return SimpleNamespace(
        kle=kle,
        reader=reader,
        reader_token=make.token(reader),
        a_team=a_team,
        ids=ids,
    )


def titles(html: str) -> list[str]:
    doc = lxml.html.fromstring(html)
    return [a.text_content().strip() for a in doc.xpath('//*[@id="entries"]//h2/a')]


def facet(html: str, name: str) -> dict[str, str]:
    """A facet's values on the page: label -> count (the selected one too)."""
    doc = lxml.html.fromstring(html)
    out = {}
    for li in doc.xpath(f'//ul[@data-facet="{name}"]/li'):
        words = " ".join(li.text_content().split())
        m = re.match(r"(.*) \((\d+)\)", words)
        out[m.group(1)] = int(m.group(2))
    return out


def test_a_word_prefix_finds_the_entry_with_a_safe_snippet(client, world):
    login(client, world.reader)
    html = client.get("/beta/katalog?q=leverandørfaktura").get_data(as_text=True)
    assert titles(html) == ["Kontrol af leverandørfakturaer"]
    snippet = lxml.html.fromstring(html).xpath('//*[contains(@class, "app-snippet")]')[0]
    assert snippet.xpath(".//mark")
    assert "<script>" not in html
    # The snippet is cut from the other texts too, escaped.
    html = client.get("/beta/katalog?q=ordre").get_data(as_text=True)
    snippet = lxml.html.fromstring(html).xpath('//*[contains(@class, "app-snippet")]')[0]
    # Markup in the text never becomes markup (ts_headline drops tags; the rest is escaped).
    assert "alert(1)" in snippet.text_content()
    assert not snippet.xpath(".//script") and "<script>alert" not in html


def test_lessons_learned_are_searched(client, world):
    login(client, world.reader)
    html = client.get("/beta/katalog?q=fejlede").get_data(as_text=True)
    assert titles(html) == ["Kontrol af leverandørfakturaer"]


def test_every_municipality_sees_every_entry(client, world):
    login(client, world.reader)
    html = client.get("/beta/katalog").get_data(as_text=True)
    assert sorted(titles(html)) == [
        "Hemmelig journalisering af post",
        "Kontrol af leverandørfakturaer",
        "Opfølgning på sygedagpenge",
    ]


def test_facet_counts(client, world):
    login(client, world.reader)
    html = client.get("/beta/katalog").get_data(as_text=True)
    assert facet(html, "technology") == {"RPA": 2, "OCR": 1}
    assert facet(html, "vendor") == {"Netcompany": 1}
    assert facet(html, "kle") == {"32 Social": 1}
    # "I drift" comes first.
    assert list(facet(html, "phase")) == ["I drift", "Idé", "Udvikling"]
    assert facet(html, "benefit") == {"3 af 3": 1}
    assert facet(html, "size_band") == {
        "under 30.000 indbyggere": 1,
        "60.000-100.000 indbyggere": 1,
        "over 100.000 indbyggere": 1,
    }
    assert facet(html, "publisher") == {"Aarhus Kommune": 1, "Odense Kommune": 1}
    # The later-phase processes got the municipality's first fagområde (tests' factory).
    domains = facet(html, "domain")
    assert list(domains.values()) == [2]
    (name,) = domains
    narrowed = client.get("/beta/katalog", query_string={"domain": name}).get_data(as_text=True)
    assert sorted(titles(narrowed)) == [
        "Kontrol af leverandørfakturaer",
        "Opfølgning på sygedagpenge",
    ]


def test_a_facet_filter_is_in_the_url_and_narrows_the_counts(client, world):
    login(client, world.reader)
    html = client.get("/beta/katalog?technology=RPA&sort=newest").get_data(as_text=True)
    assert sorted(titles(html)) == ["Kontrol af leverandørfakturaer", "Opfølgning på sygedagpenge"]
    assert facet(html, "technology") == {"RPA": 2, "OCR": 1}
    html = client.get("/beta/katalog?technology=RPA&phase=operation").get_data(as_text=True)
    assert titles(html) == ["Kontrol af leverandørfakturaer"]
    doc = lxml.html.fromstring(html)
    # The search form keeps the active filters; the facet links keep the others.
    hidden = {
        i.get("name"): i.get("value")
        for i in doc.xpath('//form[@id="catalogue-search"]//input[@type="hidden"]')
    }
    assert hidden == {"technology": "RPA", "phase": "operation"}
    link = doc.xpath('//ul[@data-facet="vendor"]//a')[0].get("href")
    assert "technology=RPA" in link and "phase=operation" in link and "vendor=Netcompany" in link
    remove = doc.xpath('//a[@data-remove="phase"]')[0].get("href")
    assert "technology=RPA" in remove and "phase=operation" not in remove


def test_a_bad_filter_is_named_and_dropped(client, world):
    login(client, world.reader)
    response = client.get("/beta/katalog?phase=nonsense&technology=OCR")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "phase" in html
    assert titles(html) == ["Kontrol af leverandørfakturaer"]


def test_sorting_by_reuse_and_interest(client, world, su_engine):
    with su_engine.begin() as conn:
        conn.execute(
            text("update catalogue_entry set reuse_count = 5 where id = :id"),
            {"id": world.ids.sick},
        )
        conn.execute(
            text("update catalogue_entry set interest_count = 7 where id = :id"),
            {"id": world.ids.hidden},
        )
    login(client, world.reader)
    assert titles(client.get("/beta/katalog?sort=reused").get_data(as_text=True))[0] == (
        "Opfølgning på sygedagpenge"
    )
    assert titles(client.get("/beta/katalog?sort=interest").get_data(as_text=True))[0] == (
        "Hemmelig journalisering af post"
    )
    newest = titles(client.get("/beta/katalog?sort=newest").get_data(as_text=True))
    assert newest[0] == "Hemmelig journalisering af post"


def test_withdrawn_entries_leave_the_search(client, world, su_engine):
    with su_engine.begin() as conn:
        conn.execute(
            text("update catalogue_entry set withdrawn_at = now() where id = :id"),
            {"id": world.ids.invoices},
        )
    login(client, world.reader)
    html = client.get("/beta/katalog?q=leverandørfaktura").get_data(as_text=True)
    assert titles(html) == []
    assert "Netcompany" not in client.get("/beta/katalog").get_data(as_text=True)


def test_an_anonymous_publisher_is_not_revealed(client, world):
    login(client, world.reader)
    html = client.get("/beta/katalog").get_data(as_text=True)
    assert "Skjulby" not in html
    assert (
        titles(client.get("/beta/katalog?publisher=Skjulby+Kommune").get_data(as_text=True)) == []
    )
    api = client.application.test_client()
    answer = api.get("/api/v1/catalogue", headers=bearer(world.reader_token)).get_data(as_text=True)
    assert "Skjulby" not in answer
    entry = client.get(f"/beta/katalog/{world.ids.hidden}").get_data(as_text=True)
    assert "Skjulby" not in entry


def test_pages(client, world):
    login(client, world.reader)
    html = client.get("/beta/katalog?per_page=2").get_data(as_text=True)
    assert len(titles(html)) == 2
    nxt = lxml.html.fromstring(html).xpath('//a[@rel="next"]')[0].get("href")
    assert "page=2" in nxt and "per_page=2" in nxt
    assert len(titles(client.get(nxt).get_data(as_text=True))) == 1


def test_the_api_searches_with_facets_and_pages(client, world):
    api = client.application.test_client()
    h = bearer(world.reader_token)
    answer = api.get("/api/v1/catalogue?q=leverandørfaktura", headers=h).get_json()
    assert answer["total"] == 1
    item = answer["items"][0]
    assert item["id"] == str(world.ids.invoices)
    assert "<mark>" in item["snippet"]
    assert item["version"]["fields"][0]["name"] == "title"
    tech = {v["value"]: v["count"] for v in answer["facets"]["technology"]}
    assert tech == {"RPA": 1, "OCR": 1}
    paged = api.get("/api/v1/catalogue?per_page=1&page=2&sort=newest", headers=h).get_json()
    assert paged["total"] == 3 and paged["pages"] == 3 and len(paged["items"]) == 1
    filtered = api.get("/api/v1/catalogue?kle=32&benefit=3", headers=h).get_json()
    assert [i["id"] for i in filtered["items"]] == [str(world.ids.invoices)]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("sort=best", "sort"),
        ("per_page=1000", "per_page"),
        ("page=x", "page"),
        ("kle=3", "kle"),
        ("benefit=9", "benefit"),
        ("size_band=huge", "size_band"),
        ("phase=done", "phase"),
    ],
)
def test_the_api_names_a_bad_parameter(client, world, query, field):
    api = client.application.test_client()
    response = api.get(f"/api/v1/catalogue?{query}", headers=bearer(world.reader_token))
    assert response.status_code == 422
    assert field in response.get_data(as_text=True)


def test_the_api_needs_a_signed_in_caller(client, world):
    assert client.application.test_client().get("/api/v1/catalogue").status_code == 401


def test_the_search_is_in_the_openapi_document(client, world):
    spec = client.application.test_client().get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/catalogue"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"q", "domain", "kle", "phase", "sort", "page", "per_page"} <= names


def test_the_search_form_as_rendered_keeps_the_filters(client, world):
    from urllib.parse import urlencode

    from html_forms import submitted

    login(client, world.reader)
    html = client.get("/beta/katalog?technology=RPA").get_data(as_text=True)
    pairs = [(k, v) for k, v in submitted(html, "catalogue-search") if k != "q"] + [
        ("q", "faktura")
    ]
    answer = client.get("/beta/katalog?" + urlencode(pairs)).get_data(as_text=True)
    assert titles(answer) == ["Kontrol af leverandørfakturaer"]


def test_a_chosen_page_size_stays_with_the_facets_and_the_form(client, world):
    from html_forms import submitted

    login(client, world.reader)
    html = client.get("/beta/katalog?technology=RPA&per_page=1").get_data(as_text=True)
    doc = lxml.html.fromstring(html)
    links = doc.xpath("//*[@id='facets']//a/@href")
    assert links and all("per_page=1" in href for href in links), links
    assert ("per_page", "1") in submitted(html, "catalogue-search")


def test_the_entry_page_shows_lessons_benefit_and_counts(client, world, su_engine):
    with su_engine.begin() as conn:
        conn.execute(
            text("update catalogue_entry set reuse_count = 4, interest_count = 1 where id = :id"),
            {"id": world.ids.invoices},
        )
    login(client, world.reader)
    html = client.get(f"/beta/katalog/{world.ids.invoices}").get_data(as_text=True)
    doc = lxml.html.fromstring(html)
    lessons = doc.xpath('//*[@id="entry-lessons"]')[0].text_content()
    assert "Robotten fejlede på fakturaer med flere ordrer." in lessons
    counts = " ".join(doc.xpath('//*[@id="entry-counts"]')[0].text_content().split())
    assert "Genbrugt af 4 kommuner" in counts and "1 kommune vil også gerne" in counts
    benefit = doc.xpath('//*[@id="entry-benefit"]')[0].text_content()
    assert "3" in benefit
    # Every copied field is on the page once.
    shown = [dd.get("data-field") for dd in doc.xpath("//dd[@data-field]")] + [
        p.get("data-field") for p in doc.xpath("//p[@data-field]")
    ]
    assert len(shown) == len(set(shown))
    assert {"summary", "description", "what_did_not", "technologies", "vendor"} <= set(shown)


def test_an_entry_written_before_its_version_is_found_once_the_version_is_there(
    client, world, su_engine
):
    """A mirrored entry may be written entry first: the version's arrival indexes it."""
    with su_engine.begin() as conn:
        conn.execute(
            text(
                "insert into catalogue_entry (id, current_version)"
                " values ('00000000-0000-0000-0000-00000000000a', 1)"
            )
        )
    login(client, world.reader)
    assert "Spejlet hundeskat" not in client.get("/beta/katalog").get_data(as_text=True)
    with su_engine.begin() as conn:
        conn.execute(
            text(
                "insert into catalogue_version (entry_id, number, size_band, fields, facts)"
                " values ('00000000-0000-0000-0000-00000000000a', 1, 'small',"
                ' \'{"title": "Spejlet hundeskat"}\', \'{"phase": "operation"}\')'
            )
        )
    html = client.get("/beta/katalog?q=hundeskat").get_data(as_text=True)
    assert titles(html) == ["Spejlet hundeskat"]


def _counts(app, user, *, live: bool) -> list[tuple[str, str, int]]:
    """The facet counts of a search without words or filters: kept by migration 0015's
    trigger (what search() reads), or counted over the entries as a filtered search does."""
    from autoproces.platform.db import db
    from autoproces.platform.tenancy import activate_tenant, tenant_by_slug
    from autoproces.shared_catalog import search

    with app.test_request_context():
        activate_tenant(tenant_by_slug("beta"))
        statement = (
            search._statement(
                search._found(search.conditions(None, {}), None, "newest"), "newest", 1, 25
            )
            if live
            else search._stored_statement("newest", 1, 25)
        )
        rows = db.session.execute(statement).all()
        db.session.rollback()
    return sorted((f, v or "", n) for f, v, n in rows if f != "#" and (v is not None or f == "*"))


def test_the_stored_facet_counts_follow_every_change(app, client, world, su_engine, make):
    """The counts a search without words shows are kept by a trigger; after every kind of
    write (publish, republish with other facets, withdraw, hide, unhide, an entry whose
    version comes later, a delete) they equal the live count."""
    assert _counts(app, world.reader, live=False) == _counts(app, world.reader, live=True)
    assert ("*", "", 3) in _counts(app, world.reader, live=False)

    def changed(sql: str, **params) -> list:
        with su_engine.begin() as conn:
            conn.execute(text(sql), params)
        stored = _counts(app, world.reader, live=False)
        assert stored == _counts(app, world.reader, live=True), sql
        return stored

    # Republish with another vendor and technologies: Netcompany leaves, KMD arrives.
    from autoproces.tenants.processes.models import Process

    with su_engine.begin() as conn:
        p = conn.execute(
            text(
                "update process set vendor = 'KMD', technologies = '{RPA,AI}'"
                " where title = 'Kontrol af leverandørfakturaer' returning tenant_id, id"
            )
        ).one()
    process = Process(tenant_id=p.tenant_id, id=p.id)
    publish(app, world.a_team, process, size_band="xlarge")
    stored = _counts(app, world.reader, live=False)
    assert stored == _counts(app, world.reader, live=True)
    assert ("vendor", "KMD", 1) in stored and not any(v == "Netcompany" for _f, v, _n in stored)
    assert ("technology", "AI", 1) in stored and ("*", "", 3) in stored

    entry = str(world.ids.invoices)
    stored = changed("update catalogue_entry set withdrawn_at = now() where id = :id", id=entry)
    assert ("*", "", 2) in stored and not any(v == "KMD" for _f, v, _n in stored)
    changed("update catalogue_entry set withdrawn_at = null where id = :id", id=entry)
    stored = changed("update catalogue_entry set hidden_at = now() where id = :id", id=entry)
    assert ("*", "", 2) in stored
    changed("update catalogue_entry set hidden_at = null where id = :id", id=entry)
    # Counts that are not facets do not touch the stored counts.
    changed(
        "update catalogue_entry set reuse_count = 4, interest_count = 2 where id = :id", id=entry
    )
    mirrored = "00000000-0000-0000-0000-00000000000b"
    changed("insert into catalogue_entry (id, current_version) values (:id, 1)", id=mirrored)
    stored = changed(
        "insert into catalogue_version (entry_id, number, size_band, fields, facts)"
        ' values (:id, 1, \'small\', \'{"title": "Spejlet", "vendor": "KMD"}\','
        ' \'{"phase": "operation"}\')',
        id=mirrored,
    )
    assert ("vendor", "KMD", 2) in stored and ("*", "", 4) in stored
    stored = changed(
        # Versions are append-only (their trigger is off for this one delete).
        "set local session_replication_role = replica;"
        " delete from catalogue_version where entry_id = :id;"
        " set local session_replication_role = origin;"
        " delete from catalogue_entry where id = :id",
        id=mirrored,
    )
    assert ("*", "", 3) in stored and ("vendor", "KMD", 1) in stored


def test_a_search_without_words_pages_in_every_order(client, world, su_engine):
    """Without words or filters the page comes from the stored counts and an index: the
    same entries, in the same order, as a filtered search finds them."""
    from autoproces.shared_catalog import search

    with su_engine.begin() as conn:
        conn.execute(
            text("update catalogue_entry set reuse_count = 2 where id = :id"),
            {"id": world.ids.sick},
        )
    login(client, world.reader)
    for sort in search.SORTS:
        everything = titles(client.get(f"/beta/katalog?sort={sort}").get_data(as_text=True))
        assert len(everything) == 3, sort
        second = titles(
            client.get(f"/beta/katalog?sort={sort}&per_page=1&page=2").get_data(as_text=True)
        )
        assert second == everything[1:2], sort
    assert titles(client.get("/beta/katalog?sort=reused").get_data(as_text=True))[0] == (
        "Opfølgning på sygedagpenge"
    )


def test_the_page_names_an_unusable_filter_in_danish_and_keeps_the_others(client, world):
    login(client, world.reader)
    html = client.get("/beta/katalog?size_band=huge&page=x&q=faktura").get_data(as_text=True)
    assert "Nogle filtre kunne ikke bruges:" in html
    assert "Kommunens størrelse: Ugyldig værdi." in html and "Side: " in html
    assert "size_band:" not in html and "page:" not in html
    assert 'value="faktura"' in html  # the usable words still apply

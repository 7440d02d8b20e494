"""The public federation feed (/katalog/feed.jsonld): JSON-LD with the DCAT / ADMS
vocabulary that parses as RDF, only current entries that are neither withdrawn nor hidden,
only our own, anonymous entries without a publisher, only the copied fields, and paging."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
import rdflib
from helpers import add_kle_topic, bearer
from sqlalchemy import text

ADMS = rdflib.Namespace("http://www.w3.org/ns/adms#")
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
DCTERMS = rdflib.Namespace("http://purl.org/dc/terms/")
FOAF = rdflib.Namespace("http://xmlns.com/foaf/0.1/")
RDF = rdflib.Namespace("http://www.w3.org/1999/02/22-rdf-syntax-ns#")
SKOS = rdflib.Namespace("http://www.w3.org/2004/02/skos/core#")


def publish(client, token, process_id, anonymous=False, size_band="small") -> str:
    preview = client.post(
        f"/api/v1/processes/{process_id}/publish/preview", json={}, headers=bearer(token)
    ).get_json()
    answer = client.post(
        f"/api/v1/processes/{process_id}/publish",
        json={
            "fingerprint": preview["fingerprint"],
            "size_band": size_band,
            "anonymous": anonymous,
        },
        headers=bearer(token),
    )
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["id"]


@pytest.fixture
def alpha(make, client, su_engine):
    tenant = make.tenant("alpha", "Alfa Kommune")
    team = make.user(tenant, "automation", name="Tea Team", email="tea@alpha.dk")
    kle = add_kle_topic(su_engine)
    named = make.process(
        team,
        title="Kontrol af leverandørfakturaer",
        summary="Fakturaer kontrolleres automatisk mod ordren.",
        description="Tea Team skriver til ole@alpha.dk. Vi bruger KMD Opera.",
        internal_notes="Kun til internt brug",
        technologies=["RPA", "AI"],
        kle_code=kle,
    )
    anonymous = make.process(
        team, title="Automatisk journalisering", summary="Post journaliseres automatisk."
    )
    token = make.token(team)
    return SimpleNamespace(
        team=team,
        named=named,
        anonymous=anonymous,
        token=token,
        named_entry=publish(client, token, named.id, size_band="large"),
        anonymous_entry=publish(client, token, anonymous.id, anonymous=True),
    )


def get_feed(client, query=""):
    answer = client.get("/katalog/feed.jsonld" + query)
    assert answer.status_code == 200
    assert answer.mimetype == "application/ld+json"
    assert "Set-Cookie" not in answer.headers
    return answer


def items_by_id(doc) -> dict[str, dict]:
    return {item["dct:identifier"]: item for item in doc["dcat:dataset"]}


def test_the_feed_is_public_dcat_jsonld(app, alpha):
    doc = get_feed(app.test_client()).get_json()  # no login
    assert doc["@context"]["dcat"] == "http://www.w3.org/ns/dcat#"
    assert doc["@context"]["adms"] == "http://www.w3.org/ns/adms#"
    assert "dcat:Catalog" in doc["@type"]
    assert doc["hydra:totalItems"] == 2
    item = items_by_id(doc)[alpha.named_entry]
    assert item["@type"] == ["adms:Asset", "dcat:Dataset"]
    assert item["@id"] == f"http://localhost/katalog/{alpha.named_entry}"
    assert item["dcat:landingPage"] == item["@id"]
    assert item["dct:title"] == "Kontrol af leverandørfakturaer"
    assert item["dct:description"] == "Fakturaer kontrolleres automatisk mod ordren."
    assert item["adms:version"] == "1"
    assert item["dct:publisher"] == {"@type": "foaf:Agent", "foaf:name": "Alfa Kommune"}
    assert item["dcat:keyword"] == ["RPA", "AI"]
    assert item["dct:subject"]["skos:notation"] == "32.18.08"
    assert item["dct:subject"]["skos:prefLabel"] == "Opfølgning"
    assert item["autoproces:sizeBand"] == "large"
    # The anonymised copy, exactly as the catalogue holds it.
    assert item["autoproces:fields"]["description"] == (
        "[navn] skriver til [e-mail]. Vi bruger KMD Opera."
    )
    for key in ("dct:issued", "dct:modified"):
        assert "T" in item[key]


@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
def test_the_feed_parses_as_rdf(app, alpha):
    body = get_feed(app.test_client()).get_data(as_text=True)
    graph = rdflib.Graph().parse(data=body, format="json-ld")
    named = rdflib.URIRef(f"http://localhost/katalog/{alpha.named_entry}")
    anonymous = rdflib.URIRef(f"http://localhost/katalog/{alpha.anonymous_entry}")
    catalogue = rdflib.URIRef("http://localhost/katalog/feed.jsonld")
    assert (catalogue, RDF.type, DCAT.Catalog) in graph
    assert (catalogue, DCAT.dataset, named) in graph
    for subject in (named, anonymous):
        assert (subject, RDF.type, ADMS.Asset) in graph
        assert (subject, RDF.type, DCAT.Dataset) in graph
    assert graph.value(named, DCTERMS.title) == rdflib.Literal(
        "Kontrol af leverandørfakturaer", lang="da"
    )
    assert graph.value(named, DCAT.landingPage) == named
    assert graph.value(named, DCTERMS.issued).datatype == rdflib.XSD.dateTime
    publisher = graph.value(named, DCTERMS.publisher)
    assert graph.value(publisher, FOAF.name) == rdflib.Literal("Alfa Kommune", lang="da")
    subject = graph.value(named, DCTERMS.subject)
    assert str(graph.value(subject, SKOS.notation)) == "32.18.08"
    assert graph.value(anonymous, DCTERMS.publisher) is None


def test_anonymous_entries_stay_anonymous(app, alpha):
    doc = get_feed(app.test_client()).get_json()
    item = items_by_id(doc)[alpha.anonymous_entry]
    assert "dct:publisher" not in item
    assert "Alfa" not in json.dumps(item, ensure_ascii=False)
    assert item["autoproces:sizeBand"] == "small"


def test_only_copied_fields_go_out(app, alpha, su_engine):
    body = get_feed(app.test_client()).get_data(as_text=True)
    with su_engine.connect() as conn:
        tenant_id = conn.scalar(text("select id from tenant"))
    for secret in (
        "Kun til internt brug",
        "ole@alpha.dk",
        "Tea Team",
        "tea@alpha.dk",
        str(alpha.named.id),
        str(alpha.team.id),
        str(tenant_id),
    ):
        assert secret not in body


def test_withdrawn_entries_leave_the_feed(app, alpha):
    client = app.test_client()
    answer = client.post(
        f"/api/v1/catalogue/{alpha.anonymous_entry}/withdraw", headers=bearer(alpha.token)
    )
    assert answer.status_code == 200
    doc = get_feed(client).get_json()
    assert list(items_by_id(doc)) == [alpha.named_entry]


def test_mirrored_entries_are_not_served_again(app, alpha, su_engine):
    with su_engine.begin() as conn:
        conn.execute(
            text(
                "update catalogue_entry set origin_feed = 'https://else.example/katalog/feed.jsonld',"
                " origin_id = 'https://else.example/katalog/1' where id = :id"
            ),
            {"id": alpha.anonymous_entry},
        )
    doc = get_feed(app.test_client()).get_json()
    assert list(items_by_id(doc)) == [alpha.named_entry]


def test_the_feed_pages(app, alpha, monkeypatch):
    from autoproces.shared_catalog import federation

    monkeypatch.setattr(federation, "FEED_PAGE_SIZE", 1)
    client = app.test_client()
    first = get_feed(client).get_json()
    assert first["hydra:totalItems"] == 2 and len(first["dcat:dataset"]) == 1
    view = first["hydra:view"]
    assert view["hydra:next"] == "http://localhost/katalog/feed.jsonld?page=2"
    assert "hydra:previous" not in view
    second = get_feed(client, "?page=2").get_json()
    assert "hydra:next" not in second["hydra:view"]
    assert second["hydra:view"]["hydra:previous"] == "http://localhost/katalog/feed.jsonld?page=1"
    ids = {first["dcat:dataset"][0]["dct:identifier"], second["dcat:dataset"][0]["dct:identifier"]}
    assert ids == {alpha.named_entry, alpha.anonymous_entry}
    # Nonsense page numbers are page 1 or the last page, never an error.
    assert get_feed(client, "?page=x").get_json()["hydra:view"]["@id"].endswith("page=1")
    assert get_feed(client, "?page=99").get_json()["hydra:view"]["@id"].endswith("page=2")


def test_an_empty_feed(app, database):
    doc = get_feed(app.test_client()).get_json()
    assert doc["dcat:dataset"] == [] and doc["hydra:totalItems"] == 0


def test_an_entry_uri_leads_to_the_front_page(app, alpha):
    answer = app.test_client().get(f"/katalog/{alpha.named_entry}")
    assert answer.status_code == 302 and answer.headers["Location"] == "/"

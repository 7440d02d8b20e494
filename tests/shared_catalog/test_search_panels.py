"""Inside the register, without the register knowing the catalogue: other municipalities'
similar entries on the intake form (htmx) and the process page, and their estimates for the
same KLE topic beside the edit form's time fields (only from 3 entries on)."""

from __future__ import annotations

import lxml.html
import pytest
from helpers import add_kle_topic, login
from test_search_catalogue import publish


@pytest.fixture
def setting(app, make, su_engine):
    kle = add_kle_topic(su_engine)
    home = make.tenant("alpha", "Alfa Kommune")
    employee = make.user(home, "employee", name="Eva Medarbejder")
    team = make.user(home, "automation", name="Tim Team")
    publishers = []
    for i, (slug, name) in enumerate(
        [("aarhus", "Aarhus Kommune"), ("odense", "Odense Kommune"), ("vejle", "Vejle Kommune")]
    ):
        tenant = make.tenant(slug, name)
        author = make.user(tenant, "automation", name=f"Forfatter {i}")
        process = make.process(
            author,
            title=f"Kontrol af leverandørfakturaer {name}",
            summary="Fakturaer kontrolleres automatisk mod ordren.",
            phase="operation",
            kle_code=kle,
            occurrences_per_year=1000 * (i + 1),
            minutes_per_occurrence=10 + i,
        )
        publishers.append(publish(app, author, process))
    own = make.process(
        team, title="Leverandørfakturaer i egen kommune", kle_code=kle, summary="Vores egen."
    )
    return {"kle": kle, "employee": employee, "team": team, "own": own, "app": app, "make": make}


def test_the_intake_form_shows_other_municipalities_similar_entries(client, setting):
    login(client, setting["employee"])
    html = client.get("/alpha/processer/lignende?title=leverandørfaktura").get_data(as_text=True)
    doc = lxml.html.fromstring(html)
    items = doc.xpath('//*[@id="catalogue-similar"]//li')
    assert len(items) == 3
    assert "Aarhus Kommune har det i drift" in html
    # The municipality's own process is the register's to show, not the catalogue's.
    assert "Leverandørfakturaer i egen kommune" in html


def test_nothing_similar_shows_nothing(client, setting):
    login(client, setting["employee"])
    html = client.get("/alpha/processer/lignende?title=hundeskat").get_data(as_text=True)
    assert "catalogue-similar" not in html


def test_the_process_page_shows_similar_entries(client, setting):
    login(client, setting["team"])
    html = client.get(f"/alpha/processer/{setting['own'].id}").get_data(as_text=True)
    assert 'id="catalogue-similar"' in html
    assert "har det i drift" in html


def test_own_published_entries_are_not_shown_as_another_municipalitys(client, setting, su_engine):
    from sqlalchemy import text

    login(client, setting["team"])
    # Alfa publishes its own process: its page must not list it as "similar elsewhere".
    entry = publish(setting["app"], setting["team"], setting["own"])
    html = client.get(f"/alpha/processer/{setting['own'].id}").get_data(as_text=True)
    similar = lxml.html.fromstring(html).xpath('//*[@id="catalogue-similar"]')[0]
    links = [a.get("href") for a in similar.xpath(".//a")]
    assert len(links) == 3 and f"/alpha/katalog/{entry}" not in links
    with su_engine.connect() as conn:
        assert conn.scalar(text("select count(*) from catalogue_entry")) == 4


def test_the_edit_form_shows_other_municipalities_estimates(client, setting):
    login(client, setting["team"])
    html = client.get(f"/alpha/processer/{setting['own'].id}/rediger").get_data(as_text=True)
    doc = lxml.html.fromstring(html)
    panel = doc.xpath('//*[@id="catalogue-estimates"]')
    assert panel
    minutes = panel[0].xpath('.//li[@data-estimate="minutes_per_occurrence"]')[0].text_content()
    assert "median 11" in minutes and "3 kommuner" in minutes
    occurrences = panel[0].xpath('.//li[@data-estimate="occurrences_per_year"]')[0]
    assert "2.000" in occurrences.text_content()


def test_fewer_than_three_estimates_show_nothing(client, setting, su_engine):
    from sqlalchemy import text

    with su_engine.begin() as conn:
        conn.execute(
            text(
                "update catalogue_entry set withdrawn_at = now() where id ="
                " (select id from catalogue_entry order by id limit 1)"
            )
        )
    login(client, setting["team"])
    html = client.get(f"/alpha/processer/{setting['own'].id}/rediger").get_data(as_text=True)
    assert "catalogue-estimates" not in html


def test_a_process_without_kle_shows_no_estimates(client, setting, make):
    process = make.process(setting["team"], title="Uden KLE")
    login(client, setting["team"])
    html = client.get(f"/alpha/processer/{process.id}/rediger").get_data(as_text=True)
    assert "catalogue-estimates" not in html

"""The priority score where a person meets it: the process page with each factor's value,
weight and contribution and the formula explained, the API's representation, the list
sorted by score and the spreadsheet's columns (the arithmetic is in test_figures.py)."""

from __future__ import annotations

import io

import lxml.html
import pytest
from helpers import bearer, login, make_scored
from openpyxl import load_workbook


@pytest.fixture
def scored(make):
    """The hand-worked processes of test_figures.py: A 76.2, B 42.6, C 66.7."""
    tenant = make.tenant("alpha")
    team = make.user(tenant, "automation", name="Tea Team")
    manager = make.user(tenant, "manager", name="Mona Leder")
    a, b, c = make_scored(make, team).values()
    employee = make.user(tenant, "employee", name="Erik Medarbejder")
    make.process(employee, title="D")  # so the employee reads the register too
    return team, manager, employee, make.token(team), a, b, c


@pytest.mark.parametrize("role", ["team", "manager"])
def test_the_process_page_shows_the_score_and_why(client, scored, role):
    team, manager, _employee, _token, a, b, _c = scored
    login(client, team if role == "team" else manager)
    doc = lxml.html.fromstring(client.get(f"/alpha/processer/{a.id}").get_data(as_text=True))
    assert doc.get_element_by_id("priority-score").text_content() == "76,2"
    rows = {
        tr.get("data-factor"): [c.text_content().strip() for c in tr.xpath("th|td")]
        for tr in doc.xpath('//table[@id="priority-factors"]/tbody/tr')
    }
    assert rows["benefit"] == ["Gevinst", "100", "25 %", "25"]
    assert rows["ease"] == ["Lethed", "21,5", "25 %", "5,4"]
    assert doc.get_element_by_id("priority-payback").text_content() == "0,1 år"
    assert "130.500" in doc.get_element_by_id("priority-net").text_content()
    assert "Sådan beregnes scoren" in doc.text_content()
    assert not doc.xpath('//*[@id="priority-missing"]')

    page = lxml.html.fromstring(client.get(f"/alpha/processer/{b.id}").get_data(as_text=True))
    rows = {
        tr.get("data-factor"): [c.text_content().strip() for c in tr.xpath("th|td")]
        for tr in page.xpath('//table[@id="priority-factors"]/tbody/tr')
    }
    # A missing factor is named, not counted as 0.
    assert rows["strategic"] == ["Strategisk match", "mangler", "25 %", "–"]
    missing = page.get_element_by_id("priority-missing").text_content()
    assert "forventet udgift (kr.)" in missing and "vurderingen (9 spørgsmål)" in missing
    assert "strategisk match (0–3)" in missing


def test_a_reporter_is_not_shown_the_score(client, scored):
    _team, _manager, employee, _token, a, _b, _c = scored
    login(client, employee)
    html = client.get(f"/alpha/processer/{a.id}").get_data(as_text=True)
    assert 'id="priority"' not in html and "Sådan beregnes scoren" not in html


def test_the_api_gives_the_score_with_its_factors(client, scored):
    _team, _manager, _employee, token, a, b, _c = scored
    body = client.get(f"/api/v1/processes/{a.id}", headers=bearer(token)).get_json()
    assert body["priority_score"] == 76.2 and body["priority_confidence"] == 80.6
    priority = body["priority"]
    assert priority["score"] == 76.2 and priority["payback_years"] == 0.1
    assert [f["name"] for f in priority["factors"]] == [
        "benefit",
        "suitability",
        "ease",
        "strategic",
    ]
    assert sum(f["contribution"] for f in priority["factors"]) == pytest.approx(76.2, abs=0.2)
    assert priority["factors"][0]["label"] == "Gevinst"
    other = client.get(f"/api/v1/processes/{b.id}", headers=bearer(token)).get_json()
    assert "strategic_fit" in other["priority"]["missing"]
    assert other["priority"]["factors"][3]["contribution"] is None


def test_the_list_sorts_by_score(client, scored):
    team, _manager, _employee, token, *_ = scored
    listed = client.get("/api/v1/processes?sort=score", headers=bearer(token)).get_json()
    assert [p["title"] for p in listed["items"]] == ["A", "C", "B", "D"]
    login(client, team)
    page = lxml.html.fromstring(client.get("/alpha/processer?sort=score").get_data(as_text=True))
    titles = [a.text_content().strip() for a in page.xpath('//*[@id="processes"]//h2/a')] or [
        a.text_content().strip() for a in page.xpath("//table//td//a | //table//th//a")
    ]
    assert titles == ["A", "C", "B", "D"], titles  # no score last
    assert page.xpath('//select[@name="sort"]/option[@value="score"]')


def test_the_spreadsheet_has_the_score(client, scored):
    _team, _manager, _employee, token, *_ = scored
    data = client.get("/api/v1/processes/export?format=xlsx&sort=score", headers=bearer(token)).data
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    at, conf, title = (
        header.index("Prioritetsscore (0-100)"),
        header.index("Prioritetsscorens sikkerhed (%)"),
        header.index("Titel"),
    )
    assert [(r[title], r[at], r[conf]) for r in rows[1:]] == [
        ("A", 76.2, 80.6),
        ("C", 66.7, 25.0),
        ("B", 42.6, 37.5),
        ("D", None, 0.0),
    ]

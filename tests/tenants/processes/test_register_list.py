"""The register's list: filters in the URL, Danish full-text search with highlighted
snippets, sorting and pagination, in the API and on the page."""

from __future__ import annotations

import re

import pytest
from helpers import bearer, login


@pytest.fixture
def register(make, app):
    tenant = make.tenant("alpha")
    team = make.user(tenant, "automation")
    employee = make.user(tenant, "employee")
    from autoproces.tenants.processes.queries import list_domains

    with app.app_context():
        from autoproces.platform.db import use_tenant

        use_tenant(tenant.id)
        d = {x.name: x.id for x in list_domains(tenant.id)}
    make.process(
        team,
        title="Sygedagpenge opfølgning",
        summary="Robot følger op på sager",
        description="Sagsbehandlerne i jobcentret bruger mange timer på breve.",
        phase="development",
        domain_ids=[d["Beskæftigelse"]],
        technologies=["RPA"],
        vendor="Netcompany",
        kle_code=None,
        occurrences_per_year=5000,
    )
    make.process(
        team,
        title="Fakturahåndtering",
        summary="Kreditorfakturaer konteres",
        phase="operation",
        domain_ids=[d["Økonomi"]],
        technologies=["RPA", "AI"],
        vendor="KMD",
        occurrences_per_year=20000,
    )
    make.process(
        employee,
        title="Venteliste til dagtilbud",
        summary="Pladsanvisningens lister",
        description="Forældre ændrer ønsker.",
    )
    make.process(
        team, title="Privat idé om sygefravær", summary="Kun teamet", visibility="personal"
    )
    return tenant, team, employee, d, make.token(team), make.token(employee)


def titles(client, token, query=""):
    body = client.get(f"/api/v1/processes?{query}", headers=bearer(token)).get_json()
    return [i["title"] for i in body["items"]]


def test_filters(client, register):
    tenant, team, employee, d, team_token, employee_token = register
    assert titles(client, team_token, f"domain={d['Økonomi']}") == ["Fakturahåndtering"]
    assert titles(client, team_token, "phase=operation") == ["Fakturahåndtering"]
    assert set(titles(client, team_token, "technology=RPA")) == {
        "Sygedagpenge opfølgning",
        "Fakturahåndtering",
    }
    assert titles(client, team_token, "technology=AI") == ["Fakturahåndtering"]
    assert titles(client, team_token, "vendor=netcompany") == ["Sygedagpenge opfølgning"]
    assert titles(client, employee_token, "mine=true") == ["Venteliste til dagtilbud"]
    assert "Privat idé om sygefravær" not in titles(client, employee_token, "q=sygefravær")


def test_kle_prefix(client, register, su_engine):
    from sqlalchemy import text

    tenant, team, *_rest, team_token, _e = register
    with su_engine.begin() as conn:
        conn.execute(text("update process set kle_code = '15.17.06' where title like 'Syge%'"))
    assert titles(client, team_token, "kle=15.17") == ["Sygedagpenge opfølgning"]
    assert titles(client, team_token, "kle=15") == ["Sygedagpenge opfølgning"]
    assert titles(client, team_token, "kle=16") == []
    # A Danish keyboard's comma reads as the point.
    assert titles(client, team_token, "kle=15,17") == ["Sygedagpenge opfølgning"]
    assert titles(client, team_token, "kle=15,17,06") == ["Sygedagpenge opfølgning"]
    r = client.get("/api/v1/processes?kle=abc", headers=bearer(team_token))
    assert r.status_code == 422 and "kle" in r.get_json()["errors"]["query"]


def test_danish_full_text_search_with_stemming_and_snippets(client, register):
    *_rest, team_token, _e = register
    # "fakturaer" finds "Fakturahåndtering"? No: Danish stemming matches word forms.
    body = client.get("/api/v1/processes?q=sager", headers=bearer(team_token)).get_json()
    assert [i["title"] for i in body["items"]] == ["Sygedagpenge opfølgning"]
    assert "<mark>" in body["items"][0]["snippet"]
    # Stemming: "brevene" matches "breve" in the description.
    assert titles(client, team_token, "q=brevene") == ["Sygedagpenge opfølgning"]
    # Web-search syntax: quoted phrases and OR.
    assert set(titles(client, team_token, "q=kreditorfakturaer OR forældre")) == {
        "Fakturahåndtering",
        "Venteliste til dagtilbud",
    }
    assert titles(client, team_token, "q=xyzzy") == []
    # Danish compounds: a word's beginning, and a part inside the compound.
    assert titles(client, team_token, "q=faktura") == ["Fakturahåndtering"]
    assert titles(client, team_token, "q=håndtering") == ["Fakturahåndtering"]
    assert titles(client, team_token, "q=sygedag") == ["Sygedagpenge opfølgning"]


def test_snippets_escape_the_text(client, make, register):
    tenant, team, *_rest, team_token, _e = register
    make.process(
        team,
        title="Robot",
        summary="Kort",
        description="<img src=x onerror=alert(1)> robot <b>kører</b> hver dag",
    )
    body = client.get("/api/v1/processes?q=robot", headers=bearer(team_token)).get_json()
    snippet = next(i["snippet"] for i in body["items"] if i["title"] == "Robot")
    assert "<mark>" in snippet
    assert "<img" not in snippet and "<b>" not in snippet and "&lt;" in snippet


def test_snippets_keep_marker_like_characters_as_text(client, make, register):
    tenant, team, *_rest, team_token, _e = register
    make.process(
        team,
        title="Kontrol ⟦ robot",
        summary="Robotten ⟧ ⟦1 < 2 & 3⟧ kører \x01om\x02 natten",
    )
    body = client.get("/api/v1/processes?q=robot", headers=bearer(team_token)).get_json()
    snippet = next(i["snippet"] for i in body["items"] if i["title"] == "Kontrol ⟦ robot")
    marked = re.findall(r"<mark>([^<]*)</mark>", snippet)
    assert [m.lower() for m in marked] == ["robot", "robotten"], snippet
    # Every <mark> closes, around a word: nothing else is a tag.
    rest = re.sub(r"<mark>[^<]*</mark>", "", snippet)
    assert "<" not in rest and ">" not in rest, snippet
    # The characters themselves are text, escaped like any other; control characters are not.
    assert "Kontrol ⟦ " in snippet and "</mark> ⟧ ⟦1 &lt; 2 &amp; 3⟧ kører" in snippet
    assert "\x01" not in snippet and "\x02" not in snippet
    # The same on the list page.
    login(client, team)
    html = client.get("/alpha/processer?q=robot").get_data(as_text=True)
    assert (
        "Kontrol ⟦ <mark>robot</mark>" in html
        and "<mark>Robotten</mark> ⟧ ⟦1 &lt; 2 &amp; 3⟧" in html
    )


def test_sorting_and_pagination(client, register):
    *_rest, team_token, _e = register
    assert titles(client, team_token, "sort=title") == [
        "Fakturahåndtering",
        "Privat idé om sygefravær",
        "Sygedagpenge opfølgning",
        "Venteliste til dagtilbud",
    ]
    assert titles(client, team_token, "sort=hours")[:2] == [
        "Fakturahåndtering",
        "Sygedagpenge opfølgning",
    ]
    assert titles(client, team_token, "sort=phase")[-1] == "Fakturahåndtering"
    page = client.get(
        "/api/v1/processes?sort=title&per_page=3&page=2", headers=bearer(team_token)
    ).get_json()
    assert [i["title"] for i in page["items"]] == ["Venteliste til dagtilbud"]
    assert (
        client.get("/api/v1/processes?sort=random", headers=bearer(team_token)).status_code == 422
    )


def test_list_page_filters_live_in_the_url(client, register):
    tenant, team, employee, d, *_tokens = register
    login(client, team)
    html = client.get(
        f"/alpha/processer?q=sager&domain={d['Beskæftigelse']}&sort=title&per_page=1"
    ).get_data(as_text=True)
    assert "Sygedagpenge opfølgning" in html and "<mark>" in html
    assert "Beskæftigelse" in html and "1 proces" in html
    html = client.get("/alpha/processer?per_page=2&sort=title").get_data(as_text=True)
    assert "page=2" in html and "sort=title" in html  # the next page keeps the filters
    # … and the page size asked for, through the platform's pager (aria: where you are).
    nav = re.search(r'<nav aria-label="Sider".*?</nav>', html, re.DOTALL).group(0)
    assert re.search(r'href="/alpha/processer\?[^"]*per_page=2[^"]*" rel="next"', nav), nav
    assert '<span aria-current="page">Side 1 af 2</span>' in nav
    # The KLE filter: no decimal keypad (a Danish one has "," and no "."), and "," reads as ".".
    html = client.get("/alpha/processer?kle=15,17").get_data(as_text=True)
    kle_input = re.search(r'<input[^>]* id="kle" [^>]*>', html).group(0)
    assert "inputmode" not in kle_input and 'value="15.17"' in kle_input


def test_overview_per_fagomraade(client, register, make):
    tenant, team, employee, d, team_token, employee_token = register
    body = client.get("/api/v1/overview", headers=bearer(team_token)).get_json()
    rows = {(r["domain"] or {}).get("name"): r for r in body}
    assert rows["Økonomi"]["by_phase"] == {"operation": 1}
    # 20,000 a year × 10 min × 80 % / 60 = 2,666.7 hours
    assert rows["Økonomi"]["expected_hours_per_year"] == 2666.7
    assert rows["Beskæftigelse"]["total"] == 1 and rows["Teknik"]["total"] == 0
    assert rows[None]["total"] == 2  # the idea and the private one have no fagområde
    # The employee does not count the team's private idea.
    employee_rows = {
        (r["domain"] or {}).get("name"): r
        for r in client.get("/api/v1/overview", headers=bearer(employee_token)).get_json()
    }
    assert employee_rows[None]["total"] == 1
    # Another municipality's overview is its own.
    beta_token = make.token(make.user(make.tenant("beta"), "manager"))
    assert all(
        r["total"] == 0
        for r in client.get("/api/v1/overview", headers=bearer(beta_token)).get_json()
    )


def test_overview_page_links_to_the_filtered_list(client, register):
    tenant, team, employee, d, *_t = register
    login(client, team)
    html = client.get("/alpha/overblik").get_data(as_text=True)
    assert "Processer pr. fagområde og fase" in html
    assert (
        f"/alpha/processer?phase=operation&amp;domain={d['Økonomi']}" in html
        or f"/alpha/processer?domain={d['Økonomi']}&amp;phase=operation" in html
    )


def ids_by_title(client, token):
    body = client.get("/api/v1/processes?per_page=100", headers=bearer(token)).get_json()
    return {i["title"]: i["id"] for i in body["items"]}


def test_following_filter_shows_only_what_the_user_follows(client, register, make):
    tenant, team, employee, d, team_token, employee_token = register
    ids = ids_by_title(client, team_token)
    # The reporter follows their own idea; the employee also follows the invoice robot.
    assert titles(client, employee_token, "following=true") == ["Venteliste til dagtilbud"]
    url = f"/api/v1/processes/{ids['Fakturahåndtering']}/follow"
    assert client.put(url, headers=bearer(employee_token)).status_code == 204
    assert set(titles(client, employee_token, "following=1")) == {
        "Venteliste til dagtilbud",
        "Fakturahåndtering",
    }
    # Another user's follows do not count: the team follows what it reported, not the
    # employee's idea, and the employee's follow adds nothing to the team's list.
    assert set(titles(client, team_token, "following=true")) == {
        "Sygedagpenge opfølgning",
        "Fakturahåndtering",
        "Privat idé om sygefravær",
    }
    url = f"/api/v1/processes/{ids['Sygedagpenge opfølgning']}/follow"
    assert client.delete(url, headers=bearer(team_token)).status_code == 204
    assert "Sygedagpenge opfølgning" not in titles(client, team_token, "following=true")
    # A colleague who follows nothing sees nothing; false means no filter.
    colleague_token = make.token(make.user(tenant, "employee"))
    assert titles(client, colleague_token, "following=true") == []
    assert len(titles(client, colleague_token, "following=false")) == 3
    body = client.get("/api/v1/processes?following=true", headers=bearer(colleague_token))
    assert body.get_json()["total"] == 0
    r = client.get("/api/v1/processes?following=maybe", headers=bearer(team_token))
    assert r.status_code == 422 and "following" in r.get_json()["errors"]["query"]


def test_following_combines_with_the_other_filters(client, register):
    tenant, team, employee, d, team_token, _employee_token = register
    assert titles(client, team_token, "following=true&phase=operation") == ["Fakturahåndtering"]
    assert titles(client, team_token, f"following=true&domain={d['Beskæftigelse']}") == [
        "Sygedagpenge opfølgning"
    ]
    assert titles(client, team_token, "following=true&q=faktura") == ["Fakturahåndtering"]
    assert titles(client, team_token, "following=true&technology=AI&mine=true") == [
        "Fakturahåndtering"
    ]
    assert titles(client, team_token, "following=true&q=venteliste") == []
    assert titles(client, team_token, "following=true&sort=title") == [
        "Fakturahåndtering",
        "Privat idé om sygefravær",
        "Sygedagpenge opfølgning",
    ]


def test_following_never_shows_what_the_user_may_not_see(client, register, su_engine):
    from sqlalchemy import text

    tenant, team, employee, d, _team_token, employee_token = register
    # A follow left over from before the process became private (written directly).
    with su_engine.begin() as conn:
        conn.execute(
            text(
                "insert into process_follower (tenant_id, process_id, user_id)"
                " select tenant_id, id, :user from process where title like 'Privat%'"
            ),
            {"user": employee.id},
        )
    assert titles(client, employee_token, "following=true") == ["Venteliste til dagtilbud"]


def test_list_page_has_the_following_checkbox_kept_in_the_url(client, register):
    tenant, team, employee, d, *_tokens = register
    login(client, employee)
    html = client.get("/alpha/processer").get_data(as_text=True)
    assert 'name="following"' in html and "Jeg følger" in html
    assert 'id="following" name="following" value="true" >' in html  # not checked
    html = client.get("/alpha/processer?following=true&sort=title").get_data(as_text=True)
    assert 'id="following" name="following" value="true" checked>' in html
    assert "Venteliste til dagtilbud" in html and "Fakturahåndtering" not in html
    assert "1 proces" in html
    # The download links carry the filter too.
    assert "/alpha/processer/hent?format=xlsx" in html and "following=True" in html
    html = client.get("/alpha/processer?following=true&phase=operation").get_data(as_text=True)
    assert "Ingen processer matcher." in html


def test_list_page_rows_show_fagomraader_hours_and_snippets(client, register, make):
    tenant, team, employee, d, *_tokens = register
    make.process(
        team,
        title="Løn og refusion",
        summary="Refusion af sygedagpenge",
        phase="preanalysis",
        domain_ids=[d["Økonomi"], d["Administration"]],
        occurrences_per_year=1200,
        minutes_per_occurrence=5,
        automation_share_pct=50,
    )
    login(client, team)
    html = client.get("/alpha/processer?sort=title").get_data(as_text=True)
    # The fagområder in the municipality's order, the hours by the formula (50.0).
    assert '<td class="app-wide-only">Administration, Økonomi</td>' in html
    assert '<td class="text-align-right app-wide-only">50</td>' in html
    assert "Foranalyse" in html and "Ikke vurderet" in html
    html = client.get("/alpha/processer?q=refusion").get_data(as_text=True)
    assert "<mark>" in html and "Løn og refusion" in html
    html = client.get("/alpha/processer?sort=title&per_page=2&page=9").get_data(as_text=True)
    assert "5 processer" in html and "Ingen processer matcher." in html


def test_api_list_items_stay_full_processes(client, register):
    *_rest, team_token, _e = register
    body = client.get("/api/v1/processes?q=sager", headers=bearer(team_token)).get_json()
    item = body["items"][0]
    assert item["domains"][0]["name"] == "Beskæftigelse" and item["owner"]["id"]
    assert item["version"] == 1 and item["expected_hours_per_year"] is not None
    assert "<mark>" in item["snippet"] and body["total"] == 1
    page = client.get("/api/v1/processes?per_page=2&page=5", headers=bearer(team_token))
    assert page.get_json()["items"] == [] and page.get_json()["total"] == 4


def test_page_numbers_are_bounded(client, register):
    tenant, team, *_rest, team_token, _e = register
    # PostgreSQL's OFFSET is a bigint: a huge page number is refused, not a server error.
    for query, field, message in [
        ("page=99999999999999999999", "page", "Sidetallet skal være mellem 1 og 100000."),
        ("page=100001&per_page=100", "page", "Sidetallet skal være mellem 1 og 100000."),
        ("page=0", "page", "Sidetallet skal være mellem 1 og 100000."),
        ("page=abc", "page", "Skal være et helt tal."),
        ("per_page=101", "per_page", "Antal pr. side skal være mellem 1 og 100."),
        ("per_page=99999999999999999999", "per_page", "Antal pr. side skal være mellem 1 og 100."),
    ]:
        r = client.get(f"/api/v1/processes?{query}", headers=bearer(team_token))
        assert r.status_code == 422, query
        assert r.get_json()["errors"]["query"] == {field: [message]}, query
    # The last page allowed, with the most rows a page may have, still works.
    r = client.get("/api/v1/processes?page=100000&per_page=100", headers=bearer(team_token))
    assert r.status_code == 200 and r.get_json()["items"] == [] and r.get_json()["total"] == 4

    # On the list page the bad argument is skipped, with a message; the other filters stay.
    login(client, team)
    for query, message in (
        ("page=99999999999999999999", "Sidetallet skal være mellem 1 og 100000."),
        ("per_page=99999999999", "Antal pr. side skal være mellem 1 og 100."),
    ):
        r = client.get(f"/alpha/processer?{query}")
        assert r.status_code == 200, query
        html = r.get_data(as_text=True)
        assert "Et filter kunne ikke bruges og er sprunget over:" in html, query
        assert message in html, query
        assert "4 processer" in html and "Fakturahåndtering" in html, query
    html = client.get("/alpha/processer?q=fakturah&page=100001").get_data(as_text=True)
    assert "Sidetallet skal være mellem 1 og 100000." in html
    assert "1 proces" in html and "Fakturahåndtering" in html  # the search still applies


def test_technology_and_vendor_filters_ignore_case_and_match_part_of_a_name(client, register, make):
    """Issue 8, B13: "rpa" finds RPA; "netcomp" finds Netcompany; % is a character."""
    tenant, team, employee, d, team_token, employee_token = register
    make.process(team, title="Chatbot", technologies=["Digital assistent (Boost.ai)"], vendor="")
    assert sorted(titles(client, employee_token, "technology=rpa")) == [
        "Fakturahåndtering",
        "Sygedagpenge opfølgning",
    ]
    assert titles(client, employee_token, "technology=BOOST") == ["Chatbot"]
    assert titles(client, employee_token, "vendor=netcomp") == ["Sygedagpenge opfølgning"]
    assert titles(client, employee_token, "vendor=kmd") == ["Fakturahåndtering"]
    assert titles(client, employee_token, "technology=%25") == []
    login(client, employee)
    html = client.get("/alpha/processer?technology=ai").get_data(as_text=True)
    assert "Fakturahåndtering" in html and "Sygedagpenge" not in html


def test_a_search_for_single_letters_does_not_return_everything(client, register):
    tenant, team, employee, d, team_token, employee_token = register
    assert titles(client, employee_token, "q=a %26 b") == []
    assert titles(client, employee_token, "q=%26") == []
    assert titles(client, employee_token, "q=faktura") == ["Fakturahåndtering"]


def test_hours_are_rounded_once_the_same_way_on_the_process_and_in_the_overview(
    client, register, make
):
    tenant, team, employee, d, team_token, employee_token = register
    # 1365 × 15 min × 100 % / 60 = 341,25 hours: 341,3 everywhere.
    p = make.process(
        team,
        title="Afrunding",
        domain_ids=[d["Kultur og fritid"]],
        occurrences_per_year=1365,
        minutes_per_occurrence=15,
        automation_share_pct=100,
    )
    login(client, team)
    page = client.get(f"/alpha/processer/{p.id}").get_data(as_text=True)
    assert 'id="expected-hours">341,3</dd>' in page
    overview = client.get("/api/v1/overview", headers=bearer(team_token)).get_json()
    row = next(r for r in overview if r["domain"] and r["domain"]["name"] == "Kultur og fritid")
    assert row["expected_hours_per_year"] == 341.3
    assert "341,3" in client.get("/alpha/overblik").get_data(as_text=True)
    listing = client.get("/alpha/processer?q=Afrunding").get_data(as_text=True)
    assert "341,3" in listing


def test_every_sort_has_a_label():
    from autoproces.tenants.processes.queries import SORTS
    from autoproces.tenants.processes.views import SORT_LABELS

    assert tuple(SORT_LABELS) == SORTS

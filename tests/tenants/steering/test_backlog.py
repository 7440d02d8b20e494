"""The steering group's backlog: candidates, ranking, the order set by managers and the
team (pages, forms as rendered, the API), the history, concurrent moves, the export."""

from __future__ import annotations

import io
import re
import threading

import pytest
from helpers import bearer, login
from html_forms import post_forms
from openpyxl import load_workbook
from sqlalchemy import text
from werkzeug.datastructures import MultiDict


@pytest.fixture
def world(make):
    tenant = make.tenant("alpha", "Alfa Kommune")
    team = make.user(tenant, "automation", name="Tea Team")
    manager = make.user(tenant, "manager", name="Mona Leder")
    employee = make.user(tenant, "employee", name="Eva Medarbejder")
    # "Stor" has the benefit, "Let" the ease: the weights decide which comes first.
    big = make.process(
        team,
        title="Stor gevinst",
        occurrences_per_year=10000,
        minutes_per_occurrence=30,
        automation_share_pct=100,
        expected_dev_hours=500,
    )
    easy = make.process(
        team,
        title="Let opgave",
        occurrences_per_year=100,
        minutes_per_occurrence=5,
        automation_share_pct=100,
        expected_dev_hours=2,
        automated_decision=True,
        ai_act_risk="high",
    )
    middle = make.process(team, title="Midt imellem", strategic_fit=2)
    return {
        "tenant": tenant,
        "team": team,
        "manager": manager,
        "employee": employee,
        "big": big,
        "easy": easy,
        "middle": middle,
    }


def _weights(su_engine, tenant, benefit: int, ease: int) -> None:
    with su_engine.begin() as conn:
        conn.execute(
            text(
                "update tenant_settings set weight_benefit = :b, weight_ease = :e,"
                " weight_suitability = 0, weight_strategic = 0 where tenant_id = :t"
            ),
            {"b": benefit, "e": ease, "t": tenant.id},
        )


def _titles(client, token, **params) -> list[str]:
    r = client.get("/api/v1/backlog", query_string=params, headers=bearer(token))
    assert r.status_code == 200, r.get_json()
    return [i["title"] for i in r.get_json()["items"]]


def test_weights_change_the_order(client, make, world, su_engine):
    token = make.token(world["manager"])
    _weights(su_engine, world["tenant"], benefit=10, ease=1)
    by_benefit = _titles(client, token, order="score")
    _weights(su_engine, world["tenant"], benefit=1, ease=10)
    by_ease = _titles(client, token, order="score")
    assert by_benefit.index("Stor gevinst") < by_benefit.index("Let opgave")
    assert by_ease.index("Let opgave") < by_ease.index("Stor gevinst")
    # No rank is set yet: the steering order is the score's.
    assert _titles(client, token) == by_ease


def test_candidates_leave_out_drift_decommissioned_rejected_and_no_longer_relevant(
    client, make, world
):
    team = world["team"]
    make.process(team, title="I drift", phase="operation")
    make.process(team, title="Udfaset", phase="decommissioned")
    make.process(team, title="Afvist", status="rejected", status_reason="Nej")
    make.process(team, title="Ikke relevant", status="no_longer_relevant", status_reason="Væk")
    make.process(team, title="Under udvikling", phase="development")
    titles = _titles(client, make.token(team), per_page=100)
    assert sorted(titles) == ["Let opgave", "Midt imellem", "Stor gevinst", "Under udvikling"]
    # The list's filters apply.
    assert _titles(client, make.token(team), phase="development") == ["Under udvikling"]
    assert _titles(client, make.token(team), q="opgave") == ["Let opgave"]


def test_the_page_shows_score_factors_missing_flags_and_both_ranks(client, world):
    login(client, world["manager"])
    r = client.get("/alpha/prioritering")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "Prioritering" in html and "Let opgave" in html
    assert 'data-flag="gdpr_art22"' in html and 'data-flag="ai_act_high"' in html
    assert "sikkerhed" in html and "Mangler:" in html
    assert "Plads efter score" in html and "Styregruppens plads" in html
    assert "<script>" not in html  # the CSP allows no inline script
    assert re.search(r'src="/static/steering/backlog\.js', html)
    assert client.get("/static/steering/backlog.js").status_code == 200
    assert "@media print" in client.get("/static/steering/steering.css").get_data(as_text=True)
    # The nav entry for those who prioritise.
    assert 'href="/alpha/prioritering"' in html


def _order(client, token) -> list[str]:
    return _titles(client, token, per_page=100)


def _press(client, html: str, form_id_prefix: str, process) -> object:
    form = next(
        f
        for f in post_forms(html)
        if f.action.startswith(f"/alpha/prioritering/{process.id}/")
        and (("before" in dict(f.fields)) == (form_id_prefix == "up"))
    )
    return client.post(form.action, data=MultiDict(form.data()))


@pytest.mark.parametrize("role", ["manager", "team"])
def test_a_manager_and_the_team_set_the_order_with_the_buttons(client, make, world, role):
    user = world[role]
    token = make.token(user)
    login(client, user)
    before = _order(client, token)
    last = {
        "Stor gevinst": world["big"],
        "Let opgave": world["easy"],
        "Midt imellem": world["middle"],
    }[before[-1]]
    html = client.get("/alpha/prioritering").get_data(as_text=True)
    r = _press(client, html, "up", last)
    assert r.status_code == 303
    assert r.headers["Location"].endswith(f"#p-{last.id}")
    after = _order(client, token)
    assert after == [before[0], before[2], before[1]]
    body = client.get("/api/v1/backlog", headers=bearer(token)).get_json()
    assert [i["priority_rank"] for i in body["items"]] == [1, 2, 3]
    # And down again, from the page as it is now.
    html = client.get("/alpha/prioritering").get_data(as_text=True)
    assert _press(client, html, "down", last).status_code == 303
    assert _order(client, token) == before


def test_a_move_is_in_the_history_once_per_changed_process(client, make, world):
    token = make.token(world["manager"])
    order = _order(client, token)
    items = client.get("/api/v1/backlog", headers=bearer(token)).get_json()["items"]
    third = items[2]["id"]
    r = client.patch(f"/api/v1/backlog/{third}", json={"priority_rank": 1}, headers=bearer(token))
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["priority_rank"] == 1 and r.get_json()["position"] == 1
    assert _order(client, token) == [order[2], order[0], order[1]]
    team_token = make.token(world["team"])
    for item, rank in zip(items, (2, 3, 1), strict=True):
        changes = client.get(
            f"/api/v1/processes/{item['id']}/history", headers=bearer(team_token)
        ).get_json()
        ranks = [c for c in changes if c["field"] == "priority_rank"]
        assert len(ranks) == 1
        assert ranks[0]["old_value"] is None and ranks[0]["new_value"] == rank
        assert ranks[0]["user"]["name"] == "Mona Leder"
    # A move to where it already is changes nothing and writes no history.
    client.patch(f"/api/v1/backlog/{third}", json={"priority_rank": 1}, headers=bearer(token))
    changes = client.get(f"/api/v1/processes/{third}/history", headers=bearer(team_token))
    assert len([c for c in changes.get_json() if c["field"] == "priority_rank"]) == 1


def test_an_employee_is_refused(client, make, world):
    login(client, world["employee"])
    r = client.get("/alpha/prioritering")
    assert r.status_code == 403
    assert "Du har ikke adgang" in r.get_data(as_text=True) or "må ikke" in r.get_data(as_text=True)
    assert 'href="/alpha/prioritering"' not in client.get("/alpha/processer").get_data(as_text=True)
    pid = world["big"].id
    assert client.post(f"/alpha/prioritering/{pid}/flyt", data={"move": "up"}).status_code in (
        400,
        403,
    )
    token = make.token(world["employee"])
    assert client.get("/api/v1/backlog", headers=bearer(token)).status_code == 403
    r = client.patch(f"/api/v1/backlog/{pid}", json={"move": "up"}, headers=bearer(token))
    assert r.status_code == 403


def test_bad_moves_are_422_naming_the_field(client, make, world):
    token = make.token(world["team"])
    pid = world["big"].id
    for body, field in (
        ({"priority_rank": 0}, "priority_rank"),
        ({"priority_rank": "x"}, "priority_rank"),
        ({}, "priority_rank"),
        ({"move": "sideways"}, "move"),
        ({"priority_rank": 1, "move": "up"}, "priority_rank"),
    ):
        r = client.patch(f"/api/v1/backlog/{pid}", json=body, headers=bearer(token))
        assert r.status_code == 422, body
        assert field in str(r.get_json()), body
    running = make.process(world["team"], title="Kører", phase="operation")
    r = client.patch(f"/api/v1/backlog/{running.id}", json={"move": "up"}, headers=bearer(token))
    assert r.status_code == 422


def test_another_municipalitys_ids_answer_404(client, make, world):
    other = make.tenant("beta", "Beta Kommune")
    their_team = make.user(other, "automation")
    theirs = make.process(their_team, title="Beta proces")
    token = make.token(world["manager"])
    r = client.patch(f"/api/v1/backlog/{theirs.id}", json={"move": "up"}, headers=bearer(token))
    assert r.status_code == 404
    r = client.patch(
        f"/api/v1/backlog/{world['big'].id}", json={"before": str(theirs.id)}, headers=bearer(token)
    )
    assert r.status_code == 422
    assert "Beta proces" not in str(_titles(client, token))
    login(client, world["manager"])
    r = client.post(
        f"/alpha/prioritering/{theirs.id}/flyt",
        data={"move": "up", "csrf_token": "x"},
    )
    assert r.status_code in (400, 404)
    # The other municipality's backlog under its own URL: the session is worth nothing there.
    r = client.get("/beta/prioritering")
    assert r.status_code == 302 and r.headers["Location"].startswith("/beta/login")


def test_two_moves_at_once_give_no_duplicate_ranks(app, make, world, su_engine):
    team = world["team"]
    for i in range(5):
        make.process(team, title=f"Ekstra {i}")
    token = make.token(team)
    ids = [
        i["id"]
        for i in app.test_client()
        .get("/api/v1/backlog?per_page=100", headers=bearer(token))
        .get_json()["items"]
    ]
    for _round in range(10):
        barrier = threading.Barrier(2)
        codes: list[int] = []

        def run(pid: str, rank: int, barrier=barrier, codes=codes) -> None:
            client = app.test_client()
            barrier.wait()
            r = client.patch(
                f"/api/v1/backlog/{pid}", json={"priority_rank": rank}, headers=bearer(token)
            )
            codes.append(r.status_code)

        threads = [
            threading.Thread(target=run, args=(ids[-1], 1)),
            threading.Thread(target=run, args=(ids[-2], 2)),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert codes == [200, 200]
        with su_engine.connect() as conn:
            ranks = conn.scalars(
                text(
                    "select priority_rank from process where tenant_id = :t"
                    " and priority_rank is not null"
                ),
                {"t": world["tenant"].id},
            ).all()
        assert len(ranks) == len(set(ranks)), ranks
        assert sorted(ranks) == list(range(1, len(ranks) + 1))
        ids = ids[-2:] + ids[:-2]


def test_the_export_has_score_factors_and_ranks(client, world):
    login(client, world["manager"])
    r = client.get("/alpha/prioritering/hent?order=score")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(r.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert "Prioritetsscore" in header and "Plads efter score" in header
    assert "Gevinst (bidrag)" in header and "Styregruppens plads" in header
    assert len(rows) == 4
    titles = [row[header.index("Titel")] for row in rows[1:]]
    assert set(titles) == {"Stor gevinst", "Let opgave", "Midt imellem"}
    assert [row[header.index("Plads efter score")] for row in rows[1:]] == [1, 2, 3]
    easy = next(row for row in rows[1:] if row[header.index("Titel")] == "Let opgave")
    assert easy[header.index("Art. 22 (automatisk afgørelse)")] == "Ja"


def test_the_matrix_page_has_chart_data_and_the_table(client, world):
    login(client, world["team"])
    r = client.get("/alpha/prioritering/matrix")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert 'id="matrix-chart"' in html and 'type="application/json" id="matrix-data"' in html
    assert "<script>" not in html
    assert "Hurtige gevinster" in html and "Store projekter" in html
    assert "Lavthængende" in html and "Overvej" in html
    table = html[html.index('id="matrix-table"') :]
    assert "Stor gevinst" in table and "Let opgave" in table
    # Without both benefit and ease it cannot be placed, and says so.
    assert "Midt imellem" in html[html.index('id="matrix-unplaced"') :]


def test_a_bad_move_from_the_page_is_a_danish_422_not_a_500(client, world):
    login(client, world["team"])
    pid = world["big"].id
    for data in ({}, {"before": "ikke-et-id"}, {"move": "sidelæns"}):
        r = client.post(f"/alpha/prioritering/{pid}/flyt", data=data)
        assert r.status_code == 422, (data, r.status_code)
        assert "Rækkefølgen kunne ikke ændres." in r.get_data(as_text=True)

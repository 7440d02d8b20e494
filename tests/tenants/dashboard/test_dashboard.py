"""The dashboard ("Overblik"): each figure on hand-made data, the quarterly trend from the
history, the fagområde filter, links that lead to exactly the counted processes, roles,
isolation and the API."""

from __future__ import annotations

import re
from datetime import date, datetime
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from helpers import bearer, login
from sqlalchemy import text

LOCAL = ZoneInfo("Europe/Copenhagen")
READY = {  # what a move up to drift needs (phases.PHASE_REQUIREMENTS)
    "occurrences_per_year": 1000,
    "minutes_per_occurrence": 10,
    "automation_share_pct": 80,
    "technologies": ["RPA"],
    "put_into_operation_at": date(2026, 1, 1),
    "run_schedule": "daily",
}


def domain_ids(app, tenant):
    from autoproces.platform.db import use_tenant
    from autoproces.tenants.processes.queries import list_domains

    with app.app_context():
        use_tenant(tenant.id)
        return {x.name: x.id for x in list_domains(tenant.id)}


@pytest.fixture
def world(make, app, su_engine):
    tenant = make.tenant("alpha")
    team = make.user(tenant, "automation")
    manager = make.user(tenant, "manager")
    employee = make.user(tenant, "employee")
    d = domain_ids(app, tenant)
    p = {}
    # 20,000 × 10 min × 80 % / 60 = 2,666.67 hours expected; 2,000 realised.
    p["invoices"] = make.process(
        team,
        title="Fakturahåndtering",
        phase="operation",
        domain_ids=[d["Økonomi"]],
        technologies=["RPA", "AI"],
        vendor="KMD",
        occurrences_per_year=20000,
        realised_hours_per_year=2000,
    )
    # 1,000 × 10 × 80 % / 60 = 133.33 hours expected, nothing realised; two fagområder.
    p["payroll"] = make.process(
        team,
        title="Lønrefusion",
        phase="operation",
        domain_ids=[d["Økonomi"], d["Beskæftigelse"]],
        vendor="Netcompany",
    )
    p["sick"] = make.process(
        team,
        title="Sygedagpenge opfølgning",
        phase="development",
        domain_ids=[d["Beskæftigelse"]],
        vendor="Netcompany",
    )
    p["old_idea"] = make.process(employee, title="Gammel idé om venteliste")
    p["new_idea"] = make.process(employee, title="Ny idé om parkering")
    p["private"] = make.process(team, title="Privat idé", visibility="personal")
    p["assessed"] = make.process(team, title="Vurderet gammel idé", status="in_progress")
    # The old ones were reported 40 calendar days ago, at noon Danish time: "now() - 40
    # days" crosses the summer-time change in late October and is then 39 local days.
    with su_engine.begin() as conn:
        conn.execute(
            text(
                "update process set created_at = ((now() at time zone 'Europe/Copenhagen')::date"
                " - 40 + time '12:00') at time zone 'Europe/Copenhagen' where id = any(:ids)"
            ),
            {"ids": [p["old_idea"].id, p["private"].id, p["assessed"].id]},
        )
    return {
        "tenant": tenant,
        "team": team,
        "manager": manager,
        "employee": employee,
        "d": d,
        "p": p,
        "token": make.token(manager),
        "employee_token": make.token(employee),
    }


def api(client, token, query=""):
    r = client.get(f"/api/v1/dashboard{query}", headers=bearer(token))
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()


def test_funnel_statuses_benefit_technologies_vendors_and_waiting(client, world):
    body = api(client, world["token"])
    assert body["total"] == 7  # the private idea too: managers read everything
    assert body["by_phase"] == {"operation": 2, "development": 1, "idea": 4}
    assert body["by_status"] == {"not_assessed": 6, "in_progress": 1}
    assert body["cost_per_hour_dkk"] == 450.0
    # Expected 2,666.67 + 133.33 = 2,800 hours; realised 2,000 (one of the two has a figure).
    assert body["benefit"] == {
        "processes": 2,
        "with_realised": 1,
        "expected_hours": 2800.0,
        "realised_hours": 2000.0,
        "expected_dkk": 1260000.0,
        "realised_dkk": 900000.0,
    }
    by_domain = {b["domain"]["name"]: b for b in body["benefit_by_domain"]}
    assert set(by_domain) == {"Økonomi", "Beskæftigelse"}
    assert by_domain["Økonomi"]["expected_hours"] == 2800.0
    assert by_domain["Beskæftigelse"]["processes"] == 1
    assert by_domain["Beskæftigelse"]["expected_hours"] == 133.3
    assert by_domain["Beskæftigelse"]["realised_dkk"] == 0.0
    assert body["technologies"] == [{"name": "RPA", "count": 3}, {"name": "AI", "count": 1}]
    assert body["vendors"] == [{"name": "Netcompany", "count": 2}, {"name": "KMD", "count": 1}]
    # Waiting: not assessed ideas older than 30 days (the assessed one is not waiting).
    assert body["waiting_total"] == 2
    assert [w["title"] for w in body["waiting"]] == ["Gammel idé om venteliste", "Privat idé"]
    assert all(w["days"] == 40 for w in body["waiting"])
    assert len(body["quarters"]) == 8


def test_the_fagomraade_filter(client, world):
    d = world["d"]
    body = api(client, world["token"], f"?domain={d['Beskæftigelse']}")
    assert body["domain"]["name"] == "Beskæftigelse"
    assert body["total"] == 2 and body["by_phase"] == {"operation": 1, "development": 1}
    assert body["benefit"]["expected_hours"] == 133.3 and body["benefit"]["realised_hours"] == 0
    assert [b["domain"]["name"] for b in body["benefit_by_domain"]] == ["Beskæftigelse"]
    assert body["vendors"] == [{"name": "Netcompany", "count": 2}]
    assert body["waiting_total"] == 0
    assert api(client, world["token"], f"?domain={d['Teknik']}")["total"] == 0
    # A malformed fagområde names the field.
    r = client.get("/api/v1/dashboard?domain=nope", headers=bearer(world["token"]))
    assert r.status_code == 422 and "domain" in r.get_data(as_text=True)


def test_every_number_on_the_page_leads_to_a_list_of_exactly_the_counted_processes(client, world):
    login(client, world["manager"])
    for query in ("", f"?domain={world['d']['Økonomi']}"):
        r = client.get(f"/alpha/overblik{query}")
        assert r.status_code == 200
        html = r.get_data(as_text=True)
        links = re.findall(r'<a href="/alpha/processer\?([^"]*)">([\d.]+)</a>', html)
        assert len(links) > 8
        token = world["token"]
        for args, number in links:
            listed = client.get(
                f"/api/v1/processes?{unescape(args)}&per_page=100", headers=bearer(token)
            ).get_json()
            assert listed["total"] == int(number.replace(".", "")), args
    # The waiting ideas' link carries the day the count used.
    html = client.get("/alpha/overblik").get_data(as_text=True)
    assert "created_before=" in html and "status=not_assessed" in html


def test_technologies_and_vendors_count_as_their_lists_do(client, make, world):
    """The list's filters match any part of a name in any case: "RPA" lists "RPA (UiPath)"
    too, "KMD" lists "kmd a/s", so the dashboard counts them so."""
    make.process(
        world["team"],
        title="Borgerservice-robot",
        phase="development",
        domain_ids=[world["d"]["Teknik"]],
        technologies=["RPA (UiPath)"],
        vendor="kmd a/s",
    )
    body = api(client, world["token"])
    technologies = {t["name"]: t["count"] for t in body["technologies"]}
    vendors = {v["name"]: v["count"] for v in body["vendors"]}
    assert technologies == {"RPA": 4, "AI": 1, "RPA (UiPath)": 1}
    assert vendors == {"Netcompany": 2, "KMD": 2, "kmd a/s": 1}
    for name, n in technologies.items():
        listed = client.get(
            "/api/v1/processes", query_string={"technology": name}, headers=bearer(world["token"])
        ).get_json()
        assert listed["total"] == n, name
    for name, n in vendors.items():
        listed = client.get(
            "/api/v1/processes", query_string={"vendor": name}, headers=bearer(world["token"])
        ).get_json()
        assert listed["total"] == n, name


def test_the_page_shows_charts_tables_and_data(client, world):
    login(client, world["manager"])
    html = client.get("/alpha/overblik").get_data(as_text=True)
    for table in ("dashboard-phases", "dashboard-statuses", "dashboard-trend", "dashboard-benefit"):
        assert f'id="{table}"' in html
    assert 'type="application/json" id="dashboard-data"' in html
    assert "/assets/dashboard/dashboard.js" in html and "<script>" not in html
    assert "Gammel idé om venteliste" in html
    assert "Overblik" in html and "2.800" in html  # Danish thousands
    # The script is served by the app.
    assert client.get("/assets/dashboard/dashboard.js").status_code == 200
    # A malformed fagområde: the page says so (400), the rest still shows.
    r = client.get("/alpha/overblik?domain=nope")
    assert r.status_code == 400 and "Ukendt fagområde" in r.get_data(as_text=True)


@pytest.mark.parametrize(
    ("role", "allowed"),
    [("employee", False), ("tenant_admin", False), ("manager", True), ("automation", True)],
)
def test_roles(client, make, world, role, allowed):
    user = make.user(world["tenant"], role)
    login(client, user)
    page = client.get("/alpha/overblik")
    assert page.status_code == (200 if allowed else 403)
    nav = client.get("/alpha/processer").get_data(as_text=True)
    assert ('href="/alpha/overblik"' in nav) is allowed
    r = client.get("/api/v1/dashboard", headers=bearer(make.token(user)))
    assert r.status_code == (200 if allowed else 403)


def test_another_municipality_sees_only_its_own(client, make, world):
    beta = make.tenant("beta")
    manager = make.user(beta, "manager")
    body = api(client, make.token(manager))
    assert body["total"] == 0 and body["benefit"]["processes"] == 0 and body["waiting"] == []
    assert body["technologies"] == [] and all(
        sum(q["entered"].values()) == 0 for q in body["quarters"]
    )
    # Alpha's fagområde as a filter in beta counts nothing of alpha's.
    assert api(client, make.token(manager), f"?domain={world['d']['Økonomi']}")["total"] == 0
    login(client, manager)
    assert "Fakturahåndtering" not in client.get("/beta/overblik").get_data(as_text=True)
    r = client.get("/alpha/overblik")
    assert r.status_code == 302 and r.headers["Location"].startswith("/alpha/login")


def _move(client, token, process_id, phase):
    r = client.get(f"/api/v1/processes/{process_id}", headers=bearer(token))
    version = r.get_json()["version"]
    r = client.patch(
        f"/api/v1/processes/{process_id}",
        json={"version": version, "phase": phase},
        headers=bearer(token),
    )
    assert r.status_code == 200, r.get_data(as_text=True)


def test_the_quarterly_trend_comes_from_the_history(app, client, make, su_engine):
    """Processes moved through phases at controlled times: each change enters its phase in
    its quarter (Danish time), creation enters the first phase, older ones fall outside."""
    tenant = make.tenant("gamma")
    team = make.user(tenant, "automation")
    token = make.token(team)
    d = domain_ids(app, tenant)
    ready = {**READY, "domain_ids": [d["Social"]], "owner_id": team.id, "contact_id": team.id}
    a = make.process(team, title="A", **ready)
    b = make.process(team, title="B", **ready)
    old = make.process(team, title="Gammel", **ready)
    for phase in ("preanalysis", "specification", "development"):
        _move(client, token, a.id, phase)
    _move(client, token, b.id, "preanalysis")

    def at(year, month, day, hour=12):
        return datetime(year, month, day, hour, tzinfo=LOCAL)

    with su_engine.begin() as conn:
        created = {a.id: at(2025, 2, 10), b.id: at(2026, 3, 31, 23), old.id: at(2024, 5, 1)}
        for pid, when in created.items():
            conn.execute(
                text("update process set created_at = :t where id = :i"), {"t": when, "i": pid}
            )
        # A: preanalysis in 2025 K2, specification in 2025 K4, development in 2026 K2;
        # B: preanalysis on 31 March 2026 23:30 Danish time (K1, though 21:30 UTC is too).
        moves = {
            (a.id, "preanalysis"): at(2025, 4, 1, 0),
            (a.id, "specification"): at(2025, 12, 31, 23),
            (a.id, "development"): at(2026, 4, 2),
            (b.id, "preanalysis"): datetime(2026, 3, 31, 23, 30, tzinfo=LOCAL),
        }
        for (pid, phase), when in moves.items():
            conn.execute(
                text(
                    "update process_change set changed_at = :t where process_id = :i"
                    " and field = 'phase' and new_value = to_jsonb(cast(:p as text))"
                ),
                {"t": when, "i": pid, "p": phase},
            )

    from autoproces.platform.db import db, use_tenant
    from autoproces.platform.identity.models import User
    from autoproces.tenants.dashboard.services import dashboard

    with app.test_request_context():
        use_tenant(tenant.id)
        user = db.session.get(User, (tenant.id, team.id))
        quarters = dashboard(user, today=date(2026, 6, 15)).quarters
        domain_quarters = dashboard(user, domain=d["Teknik"], today=date(2026, 6, 15)).quarters
    assert [q.label for q in quarters] == [
        "2024 K3",
        "2024 K4",
        "2025 K1",
        "2025 K2",
        "2025 K3",
        "2025 K4",
        "2026 K1",
        "2026 K2",
    ]
    entered = {q.label: {k: v for k, v in q.entered.items() if v} for q in quarters}
    assert entered == {
        "2024 K3": {},
        "2024 K4": {},
        "2025 K1": {"idea": 1},  # A created (2024's "Gammel" is before the eight quarters)
        "2025 K2": {"preanalysis": 1},
        "2025 K3": {},
        "2025 K4": {"specification": 1},
        "2026 K1": {"idea": 1, "preanalysis": 1},  # B created and moved on, both in K1
        "2026 K2": {"development": 1},
    }
    assert all(not any(q.entered.values()) for q in domain_quarters)

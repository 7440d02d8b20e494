"""The full process model: computed figures, edits with optimistic locking, phase rules,
field-by-field history, and who may change or delete what."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest
from helpers import add_kle_topic, bearer
from sqlalchemy import text


@pytest.fixture
def alpha(make):
    tenant = make.tenant("alpha", "Alfa Kommune")
    team = make.user(tenant, "automation", name="Tea Team")
    other = make.user(tenant, "automation", name="Otto Anden")
    employee = make.user(tenant, "employee", name="Erik Medarbejder")
    return SimpleNamespace(
        tenant=tenant,
        team=team,
        other=other,
        employee=employee,
        team_token=make.token(team),
        other_token=make.token(other),
        employee_token=make.token(employee),
    )


def domains(client, token):
    return {
        d["name"]: d["id"] for d in client.get("/api/v1/domains", headers=bearer(token)).get_json()
    }


def create(client, token, **data):
    data.setdefault("title", "Lønrefusion")
    data.setdefault("summary", "Refusion af sygedagpenge søges automatisk.")
    r = client.post("/api/v1/processes", json=data, headers=bearer(token))
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def patch(client, token, process, **data):
    data.setdefault("version", process["version"])
    return client.patch(f"/api/v1/processes/{process['id']}", json=data, headers=bearer(token))


def test_expected_figures_use_the_tenants_settings(client, alpha, su_engine):
    p = create(
        client,
        alpha.team_token,
        occurrences_per_year=1000,
        minutes_per_occurrence=10,
        automation_share_pct=80,
    )
    assert p["expected_hours_per_year"] == 133.3
    assert p["expected_fte"] == 0.07
    assert p["expected_value_dkk"] == 60000
    with su_engine.begin() as conn:
        conn.execute(
            text(
                "update tenant_settings set hours_per_fte = 1000, cost_per_hour_dkk = 500"
                " where tenant_id = :t"
            ),
            {"t": alpha.tenant.id},
        )
    p = client.get(f"/api/v1/processes/{p['id']}", headers=bearer(alpha.team_token)).get_json()
    assert p["expected_fte"] == 0.13 and p["expected_value_dkk"] == 66667
    listed = client.get("/api/v1/processes", headers=bearer(alpha.team_token)).get_json()
    assert listed["items"][0]["expected_hours_per_year"] == 133.3
    empty = create(client, alpha.team_token)
    assert empty["expected_hours_per_year"] is None and empty["expected_fte"] is None


def test_suitability_and_confidence():
    from autoproces.tenants.processes.figures import suitability
    from autoproces.tenants.processes.models import ASSESSMENT_FIELDS

    answers = dict.fromkeys(ASSESSMENT_FIELDS, "unset")
    assert suitability(SimpleNamespace(**answers)) == {"suitability": None, "confidence": 0.0}
    answers.update(
        professional_judgement="very_high",
        structured_input="very_high",
        uniformity="high",
        digital_input="unknown",
    )
    # inverted 100 -> 0; 100; 67 => mean 55.7; 3 of 9 answered
    assert suitability(SimpleNamespace(**answers)) == {"suitability": 55.7, "confidence": 33.3}


def test_edit_records_every_field_and_bumps_the_version(client, alpha):
    d = domains(client, alpha.team_token)
    p = create(client, alpha.team_token)
    r = patch(
        client,
        alpha.team_token,
        p,
        title="Lønrefusion fra Virk",
        phase="preanalysis",
        domain_ids=[d["Økonomi"], d["HR og personale"]],
        automation_share_pct=75,
        owner_id=str(alpha.employee.id),
    )
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["version"] == p["version"] + 1
    assert [x["name"] for x in body["domains"]] == ["HR og personale", "Økonomi"]
    assert body["owner"] == {"id": str(alpha.employee.id), "name": "Erik Medarbejder"}
    history = client.get(
        f"/api/v1/processes/{p['id']}/history", headers=bearer(alpha.team_token)
    ).get_json()
    changes = {c["field"]: c for c in history}
    assert set(changes) == {"title", "phase", "domains", "automation_share_pct", "owner"}
    assert changes["title"]["old_value"] == "Lønrefusion"
    assert changes["title"]["new_value"] == "Lønrefusion fra Virk"
    assert (
        changes["phase"]["old_value"] == "idea" and changes["phase"]["new_value"] == "preanalysis"
    )
    assert changes["domains"]["new_value"] == ["HR og personale", "Økonomi"]
    assert changes["owner"]["new_value"]["name"] == "Erik Medarbejder"
    assert all(c["user"]["name"] == "Tea Team" for c in history)
    # A change that changes nothing records nothing and keeps the version.
    r = patch(client, alpha.team_token, body, title="Lønrefusion fra Virk")
    assert r.status_code == 200 and r.get_json()["version"] == body["version"]


def test_stale_version_is_a_409_naming_who_changed_it(client, alpha):
    p = create(client, alpha.team_token)
    assert patch(client, alpha.other_token, p, title="Otto var her").status_code == 200
    r = patch(client, alpha.team_token, p, title="Min ændring")
    assert r.status_code == 409
    body = r.get_json()
    assert "Otto Anden" in body["message"] and "version" in body["errors"]["json"]
    current = client.get(
        f"/api/v1/processes/{p['id']}", headers=bearer(alpha.team_token)
    ).get_json()
    assert current["title"] == "Otto var her"


def test_version_is_required(client, alpha):
    p = create(client, alpha.team_token)
    r = client.patch(
        f"/api/v1/processes/{p['id']}", json={"title": "x"}, headers=bearer(alpha.team_token)
    )
    assert r.status_code == 422 and "version" in r.get_json()["errors"]["json"]


def test_moving_forward_names_what_the_phase_needs(client, alpha):
    p = create(client, alpha.team_token)
    r = patch(client, alpha.team_token, p, phase="operation")
    assert r.status_code == 422
    errors = r.get_json()["errors"]["json"]
    assert {
        "domain_ids",
        "occurrences_per_year",
        "owner_id",
        "contact_id",
        "technologies",
        "put_into_operation_at",
        "run_schedule",
        "phase",
    } <= set(errors)
    d = domains(client, alpha.team_token)
    ready = dict(
        domain_ids=[d["Økonomi"]],
        occurrences_per_year=500,
        minutes_per_occurrence=6,
        automation_share_pct=90,
        owner_id=str(alpha.employee.id),
        contact_id=str(alpha.team.id),
        technologies=["RPA"],
        run_schedule="daily",
    )
    r = patch(client, alpha.team_token, p, phase="operation", **ready)
    assert r.status_code == 422
    assert set(r.get_json()["errors"]["json"]) == {"put_into_operation_at", "phase"}
    r = patch(
        client, alpha.team_token, p, phase="operation", put_into_operation_at="2026-03-01", **ready
    )
    assert r.status_code == 200
    # Back to an earlier phase needs nothing.
    r = patch(client, alpha.team_token, r.get_json(), phase="idea")
    assert r.status_code == 200
    # Nothing was half-written by the refused attempts.
    hist = client.get(f"/api/v1/processes/{p['id']}/history", headers=bearer(alpha.team_token))
    assert [c["field"] for c in hist.get_json()].count("phase") == 2


@pytest.mark.parametrize("status", ["rejected", "failed", "pending", "no_longer_relevant"])
def test_these_statuses_need_a_reason(client, alpha, status):
    p = create(client, alpha.team_token)
    r = patch(client, alpha.team_token, p, status=status)
    assert r.status_code == 422 and "status_reason" in r.get_json()["errors"]["json"]
    r = patch(client, alpha.team_token, p, status=status, status_reason="Ingen gevinst.")
    assert r.status_code == 200


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("phase", "done"),
        ("minutes_per_occurrence", -1),
        ("automation_share_pct", 101),
        ("occurrences_per_year", -5),
        ("strategic_fit", 4),
        ("run_schedule", "hourly"),
        ("professional_judgement", "maybe"),
        ("ai_act_risk", "extreme"),
        ("kle_code", "32.18"),
        ("planned_start", "next week"),
        ("links", [{"url": "javascript:alert(1)"}]),
        ("owner_id", "not-a-uuid"),
        ("it_systems", [{"vendor": "KMD"}]),
        ("title", ""),
    ],
)
def test_bad_values_are_422_naming_the_field(client, alpha, field, value):
    p = create(client, alpha.team_token)
    r = patch(client, alpha.team_token, p, **{field: value})
    assert r.status_code == 422, r.get_json()
    assert field in r.get_json()["errors"]["json"]


def test_references_must_belong_to_the_municipality(client, make, alpha):
    beta = make.tenant("beta")
    beta_user = make.user(beta, "automation")
    beta_domains = domains(client, make.token(beta_user))
    p = create(client, alpha.team_token)
    for field, value in (
        ("owner_id", str(beta_user.id)),
        ("contact_id", str(uuid.uuid4())),
        ("associated_user_ids", [str(beta_user.id)]),
        ("domain_ids", [beta_domains["Økonomi"]]),
        ("kle_code", "32.18.08"),
    ):
        r = patch(client, alpha.team_token, p, **{field: value})
        assert r.status_code == 422 and field in r.get_json()["errors"]["json"], field


def test_kle_code_from_the_taxonomy(client, alpha, su_engine):
    add_kle_topic(su_engine)
    p = create(client, alpha.team_token)
    assert patch(client, alpha.team_token, p, kle_code="32.18.08").status_code == 200


def test_reporter_improves_own_idea_but_not_team_fields(client, alpha):
    p = create(client, alpha.employee_token, occurrences_per_year=200)
    r = patch(client, alpha.employee_token, p, summary="Bedre resumé", minutes_per_occurrence=5)
    assert r.status_code == 200
    p = r.get_json()
    assert patch(client, alpha.employee_token, p, internal_notes="x").status_code == 403
    assert patch(client, alpha.employee_token, p, phase="preanalysis").status_code == 403
    other = create(client, alpha.team_token)
    assert patch(client, alpha.employee_token, other, title="Mit nu").status_code == 403
    # Once the team takes it further, the reporter no longer edits it.
    d = domains(client, alpha.team_token)
    p = patch(client, alpha.team_token, p, phase="preanalysis", domain_ids=[d["Social"]]).get_json()
    assert patch(client, alpha.employee_token, p, title="Ændret").status_code == 403


def test_employee_reports_only_what_an_employee_knows(client, alpha):
    d = domains(client, alpha.team_token)
    r = client.post(
        "/api/v1/processes",
        headers=bearer(alpha.employee_token),
        json={
            "title": "t",
            "summary": "s",
            "domain_ids": [d["Teknik"]],
            "occurrences_per_year": 10,
            "minutes_per_occurrence": 30,
            "priority_rank": 1,
            "vendor": "KMD",
        },
    )
    assert r.status_code == 422
    assert set(r.get_json()["errors"]["json"]) == {"priority_rank", "vendor"}


def test_who_may_delete(client, alpha):
    mine = create(client, alpha.employee_token)
    theirs = create(client, alpha.team_token)
    assert (
        client.delete(
            f"/api/v1/processes/{theirs['id']}", headers=bearer(alpha.employee_token)
        ).status_code
        == 403
    )
    assert (
        client.delete(
            f"/api/v1/processes/{mine['id']}", headers=bearer(alpha.employee_token)
        ).status_code
        == 204
    )
    assert (
        client.delete(
            f"/api/v1/processes/{theirs['id']}", headers=bearer(alpha.team_token)
        ).status_code
        == 204
    )
    assert (
        client.get(
            f"/api/v1/processes/{theirs['id']}", headers=bearer(alpha.team_token)
        ).status_code
        == 404
    )


def test_another_municipality_cannot_edit_delete_or_read_history(client, make, alpha):
    p = create(client, alpha.team_token)
    beta_token = make.token(make.user(make.tenant("beta"), "automation"))
    assert patch(client, beta_token, p, title="hack").status_code == 404
    assert (
        client.delete(f"/api/v1/processes/{p['id']}", headers=bearer(beta_token)).status_code == 404
    )
    assert (
        client.get(f"/api/v1/processes/{p['id']}/history", headers=bearer(beta_token)).status_code
        == 404
    )
    assert "Økonomi" in domains(client, beta_token)  # its own list, not alpha's ids
    assert set(domains(client, beta_token).values()).isdisjoint(
        domains(client, alpha.team_token).values()
    )


def test_lessons_learned_stamp_their_date(client, alpha):
    p = create(client, alpha.team_token)
    assert p["lessons_updated_at"] is None
    r = patch(
        client,
        alpha.team_token,
        p,
        what_worked="Tæt dialog med fagområdet.",
        realised_benefit_rating=3,
    )
    assert r.get_json()["lessons_updated_at"] is not None


def test_new_municipality_gets_settings_and_the_standard_fagomraader(make, su_engine):
    t = make.tenant("gamma")
    with su_engine.connect() as conn:
        names = conn.scalars(
            text("select name from domain where tenant_id = :t order by position"), {"t": t.id}
        ).all()
        assert names[0] == "Administration" and len(names) == 15
        assert (
            conn.scalar(
                text("select hours_per_fte from tenant_settings where tenant_id = :t"), {"t": t.id}
            )
            == 1924
        )

"""The catalogue's copied realised hours come from the recorded runs when there are any."""

from __future__ import annotations

from datetime import date


def test_the_preview_copies_realised_hours_from_the_runs(app, make):
    from autoproces.platform.db import db
    from autoproces.platform.identity.models import User
    from autoproces.platform.tenancy import activate_tenant, tenant_by_slug
    from autoproces.shared_catalog import services as catalogue
    from autoproces.tenants.processes.policy import get_process
    from autoproces.tenants.runs import services as runs

    tenant = make.tenant("alpha")
    team = make.user(tenant, "automation")
    process = make.process(
        team, phase="operation", realised_hours_per_year=10, put_into_operation_at=date(2025, 1, 1)
    )
    with app.app_context():
        activate_tenant(tenant_by_slug("alpha"))
        u = db.session.get(User, (tenant.id, team.id))
        p = get_process(u, process.id)
        assert catalogue.facts_of(p)["realised_hours_per_year"] == 10  # typed, no runs yet
        # 62 hours over January and February 2026 (59 days): 62 × 365 / 59 = 383.6 -> 384.
        result = runs.record_runs(
            u,
            [
                {"process": p.number, "month": "2026-01", "runs": 1, "hours": 31},
                {"process": p.number, "month": "2026-02", "runs": 1, "hours": 31},
            ],
        )
        assert result.ok, result.errors
        assert catalogue.facts_of(p)["realised_hours_per_year"] == 384
        preview = catalogue.build_preview(u, p)
        shown = {f.name: f.published for f in preview.fields}
        assert "384" in shown["realised_hours_per_year"]
        db.session.rollback()

"""The dashboard's realised hours come from the recorded runs when a process has any."""

from __future__ import annotations

from datetime import date


def test_the_dashboards_realised_hours_use_the_runs(app, make):
    from autoproces.platform.db import db
    from autoproces.platform.identity.models import User
    from autoproces.platform.tenancy import activate_tenant, tenant_by_slug
    from autoproces.tenants.dashboard.services import dashboard
    from autoproces.tenants.runs import services as runs

    tenant = make.tenant("alpha")
    team = make.user(tenant, "automation")
    manager = make.user(tenant, "manager")
    typed = make.process(
        team, phase="operation", realised_hours_per_year=100, put_into_operation_at=date(2025, 1, 1)
    )
    measured = make.process(
        team,
        title="Målt",
        phase="operation",
        realised_hours_per_year=5,
        put_into_operation_at=date(2025, 1, 1),
    )
    with app.app_context():
        activate_tenant(tenant_by_slug("alpha"))
        u = db.session.get(User, (tenant.id, team.id))
        m = db.session.get(User, (tenant.id, manager.id))
        assert dashboard(m, today=date(2026, 6, 1)).benefit.realised_hours == 105
        # 31 hours in January: 365 hours a year replace the typed 5.
        row = {"process": measured.number, "month": "2026-01", "runs": 1, "hours": 31}
        assert runs.record_runs(u, [row]).ok
        assert dashboard(m, today=date(2026, 6, 1)).benefit.realised_hours == 465
        assert typed.realised_hours_per_year == 100
        db.session.rollback()

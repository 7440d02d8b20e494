"""The formulas (processes/figures.py) and their SQL twins agree: the expected hours the
overview sums and the list sorts by are the ones the process page shows, and the database's
defaults for the municipality's figures are the formulas' defaults."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select, text

from autoproces.platform.db import db, use_tenant
from autoproces.tenants.processes.figures import (
    DEFAULT_COST_PER_HOUR,
    DEFAULT_HOURS_PER_FTE,
    expected_figures,
    expected_hours_sql,
    round_hours,
)
from autoproces.tenants.processes.models import Process, TenantSettings

INPUTS = [
    (1000, Decimal("10"), 80),
    (4095, Decimal("7.5"), 50),  # 255.9375 hours: rounding happens once, at the end
    (3, Decimal("0.01"), 1),
    (12, Decimal("99999.99"), 100),
    (0, Decimal("5"), 100),
    (None, Decimal("5"), 100),
    (100, None, 100),
    (100, Decimal("5"), None),
]


@pytest.fixture
def processes(app, make):
    tenant = make.tenant("alpha")
    team = make.user(tenant, "automation")
    for occurrences, minutes, share in INPUTS:
        make.process(
            team,
            occurrences_per_year=occurrences,
            minutes_per_occurrence=minutes,
            automation_share_pct=share,
        )
    with app.app_context():
        use_tenant(tenant.id)
        yield tenant
        db.session.rollback()


def test_expected_hours_in_sql_are_the_pythons(processes):
    rows = db.session.execute(select(Process, expected_hours_sql())).all()
    assert len(rows) == len(INPUTS)
    for process, exact in rows:
        python = expected_figures(process, None)["expected_hours_per_year"]
        if python is None:
            assert exact is None, process.occurrences_per_year
        else:
            assert round_hours(exact) == python, (process.occurrences_per_year, exact)


def test_the_databases_defaults_are_the_formulas(processes, su_engine):
    # A row made by the database alone, with the server defaults migration 0003 wrote.
    with su_engine.begin() as conn:
        conn.execute(text("delete from tenant_settings where tenant_id = :t"), {"t": processes.id})
        conn.execute(
            text("insert into tenant_settings (tenant_id) values (:t)"), {"t": processes.id}
        )
        stored = conn.execute(
            text(
                "select hours_per_fte, cost_per_hour_dkk from tenant_settings where tenant_id = :t"
            ),
            {"t": processes.id},
        ).one()
    assert stored == (DEFAULT_HOURS_PER_FTE, DEFAULT_COST_PER_HOUR)
    # And the model's default, for a new municipality, is the same.
    columns = TenantSettings.__table__.c
    assert columns.hours_per_fte.default.arg == DEFAULT_HOURS_PER_FTE
    assert columns.cost_per_hour_dkk.default.arg == DEFAULT_COST_PER_HOUR

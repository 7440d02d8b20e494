"""The formulas (processes/figures.py) and their SQL twins agree: the expected hours the
overview sums and the list sorts by are the ones the process page shows, and the database's
defaults for the municipality's figures are the formulas' defaults."""

from __future__ import annotations

from decimal import Decimal

import pytest
from helpers import make_scored
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


# --- The priority score ---------------------------------------------------------------------


@pytest.fixture
def scored(app, make):
    """Three processes whose scores are worked out by hand below (weights 1, cost 450)."""
    tenant = make.tenant("alpha")
    team = make.user(tenant, "automation")
    made = {k.lower(): p for k, p in make_scored(make, team).items()}
    with app.app_context():
        use_tenant(tenant.id)
        by_title = {p.title: p for p in db.session.scalars(select(Process))}
        yield {k: by_title[k.upper()] for k in made}, tenant
        db.session.rollback()


def _context():
    from autoproces.tenants.processes.figures import score_context

    return score_context(
        db.session.get(TenantSettings, db.session.scalars(select(Process.tenant_id)).first())
    )


def test_the_score_worked_out_by_hand(scored):
    from autoproces.tenants.processes.figures import priority_score

    processes, _tenant = scored
    context = _context()
    assert (context.max_hours, context.max_effort) == (Decimal(100), Decimal(45000))
    a = priority_score(processes["a"], context)
    factors = {f.name: f for f in a.factors}
    # benefit 100 × ln(101)/ln(101) = 100; suitability (100 + 67) / 2 = 83.5;
    # ease 100 × (1 − ln(4501)/ln(45001)) = 21.4886; strategic 3/3 = 100.
    assert factors["benefit"].value == 100.0
    assert factors["suitability"].value == 83.5
    assert factors["ease"].value == 21.5
    assert factors["strategic"].value == 100.0
    assert {f.weight_pct for f in a.factors} == {25.0}
    assert a.score == 76.2  # (100 + 83.5 + 21.4886 + 100) / 4 = 76.247
    assert factors["ease"].contribution == 5.4 and factors["benefit"].contribution == 25.0
    # Confidence: every input but 7 of the 9 questions: (1 + 2/9 + 1 + 1) / 4.
    assert a.confidence == 80.6
    assert a.missing == ()
    # Payback: 4,500 kr. ÷ (100 h × 450 kr.) a year; net value: 3 × 45,000 − 4,500.
    assert (a.payback_years, a.net_value_3y) == (0.1, 130500)

    b = priority_score(processes["b"], context)
    factors = {f.name: f for f in b.factors}
    # benefit 100 × ln(51)/ln(101) = 85.194; ease 100 × (1 − 1) = 0; the rest missing and
    # left out, not counted as 0: (85.194 + 0) / 2.
    assert (factors["benefit"].value, factors["ease"].value) == (85.2, 0.0)
    assert factors["suitability"].value is None and factors["strategic"].value is None
    assert b.score == 42.6
    assert factors["benefit"].contribution == 42.6 and factors["suitability"].contribution is None
    # Half the ease inputs (no expected cost), no assessment, no fit: (1 + 0 + 0.5 + 0) / 4.
    assert b.confidence == 37.5
    assert "expected_cost_dkk" in b.missing and "strategic_fit" in b.missing
    assert "structured_input" in b.missing and "expected_dev_hours" not in b.missing
    assert (b.payback_years, b.net_value_3y) == (2.0, 22500)

    c = priority_score(processes["c"], context)
    assert (c.score, c.confidence) == (66.7, 25.0)
    assert c.payback_years is None and c.net_value_3y is None
    assert "occurrences_per_year" in c.missing and "expected_dev_hours" in c.missing


def test_no_inputs_no_score(scored, make):
    from autoproces.tenants.processes.figures import priority_score

    bare = Process(title="Tom")
    score = priority_score(bare, _context())
    assert (score.score, score.exact, score.confidence) == (None, None, 0.0)
    assert all(f.contribution is None for f in score.factors)


def _random_processes(make, tenant, count: int = 150) -> None:
    import random

    from autoproces.tenants.processes.models import ASSESSMENT_FIELDS, Level

    rng = random.Random(9)
    team = make.user(tenant, "automation", name="Tilfældig Team")
    levels = [lvl.value for lvl in Level]
    for i in range(count):
        maybe = lambda value: None if rng.random() < 0.25 else value  # noqa: E731
        make.process(
            team,
            title=f"Tilfældig {i}",
            occurrences_per_year=maybe(rng.choice([0, 1, 12, 250, 5000, 120000])),
            minutes_per_occurrence=maybe(Decimal(rng.choice(["0.5", "3", "7.25", "45", "600"]))),
            automation_share_pct=maybe(rng.randint(0, 100)),
            expected_dev_hours=maybe(rng.choice([0, 5, 40, 300, 4000])),
            expected_cost_dkk=maybe(rng.choice([0, 10000, 250000, 3000000])),
            strategic_fit=maybe(rng.randint(0, 3)),
            **{name: rng.choice(levels) for name in ASSESSMENT_FIELDS if rng.random() < 0.6},
        )


@pytest.mark.parametrize(
    "weights",
    [
        {"benefit": 1, "suitability": 1, "ease": 1, "strategic": 1},
        {"benefit": 5, "suitability": 0, "ease": 2.5, "strategic": 0.5},
        {"benefit": 0, "suitability": 0, "ease": 0, "strategic": 1},
    ],
)
def test_the_score_in_sql_is_the_pythons_on_random_data(app, make, su_engine, weights):
    from autoproces.tenants.processes.figures import (
        priority_score,
        priority_score_sql,
        score_context,
    )

    tenant = make.tenant("alpha")
    _random_processes(make, tenant)
    with su_engine.begin() as conn:
        conn.execute(
            text(
                "update tenant_settings set cost_per_hour_dkk = 512.5,"
                " weight_benefit = :benefit, weight_suitability = :suitability,"
                " weight_ease = :ease, weight_strategic = :strategic where tenant_id = :t"
            ),
            {**weights, "t": tenant.id},
        )
    with app.app_context():
        use_tenant(tenant.id)
        context = score_context(db.session.get(TenantSettings, tenant.id))
        assert context.cost_per_hour == Decimal("512.5")
        rows = db.session.execute(
            select(Process, priority_score_sql(context)).order_by(Process.title)
        ).all()
        assert len(rows) == 150
        nulls = 0
        for process, exact in rows:
            python = priority_score(process, context).exact
            if python is None:
                assert exact is None, process.title
                nulls += 1
            else:
                assert float(exact) == pytest.approx(python, abs=1e-9), process.title
        assert nulls < len(rows)
        # Sorting by the twin is sorting by the score (ties within float noise aside).
        by_sql = db.session.scalars(
            select(Process)
            .where(priority_score_sql(context).is_not(None))
            .order_by(priority_score_sql(context).desc())
        ).all()
        scores = [priority_score(p, context).exact for p in by_sql]
        assert len(scores) == len(rows) - nulls
        assert all(a >= b - 1e-9 for a, b in zip(scores, scores[1:], strict=False))
        db.session.rollback()


def test_the_weights_change_the_order(app, make, su_engine):
    from autoproces.tenants.processes.figures import priority_score, score_context

    tenant = make.tenant("alpha")
    team = make.user(tenant, "automation")
    # Much benefit, hard to build; against little benefit, easy to build.
    make.process(
        team,
        title="Stor",
        occurrences_per_year=100000,
        minutes_per_occurrence=10,
        automation_share_pct=100,
        expected_dev_hours=2000,
    )
    make.process(
        team,
        title="Let",
        occurrences_per_year=100,
        minutes_per_occurrence=5,
        automation_share_pct=100,
        expected_dev_hours=2,
    )

    def first(benefit: int, ease: int) -> str:
        with su_engine.begin() as conn:
            conn.execute(
                text(
                    "update tenant_settings set weight_benefit = :b, weight_ease = :e"
                    " where tenant_id = :t"
                ),
                {"b": benefit, "e": ease, "t": tenant.id},
            )
        with app.app_context():
            use_tenant(tenant.id)
            context = score_context(db.session.get(TenantSettings, tenant.id))
            ranked = sorted(
                db.session.scalars(select(Process)), key=lambda p: -priority_score(p, context).exact
            )
            return ranked[0].title

    assert first(benefit=5, ease=1) == "Stor"
    assert first(benefit=1, ease=5) == "Let"


def test_the_generated_suitability_column_is_the_pythons_for_every_answer(app, make, su_engine):
    """Migration 0019's frozen copy of the points: each question alone, at every level, and
    all nine answered at once, against the Python formula's exact mean."""
    from autoproces.tenants.processes.figures import LEVEL_POINTS, _answered_points
    from autoproces.tenants.processes.models import ASSESSMENT_FIELDS, Level

    tenant = make.tenant("alpha")
    user = make.user(tenant, "automation")
    for name in ASSESSMENT_FIELDS:
        for level in Level:
            make.process(user, title=f"{name} {level.value}", **{name: level.value})
    make.process(user, title="alle", **{n: "high" for n in ASSESSMENT_FIELDS})
    make.process(user, title="ingen")
    with app.app_context():
        use_tenant(tenant.id)
        rows = db.session.execute(select(Process, Process.suitability_points)).all()
        assert len(rows) == len(ASSESSMENT_FIELDS) * len(Level) + 2
        answered = 0
        for process, stored in rows:
            points = _answered_points(process)
            if not points:
                assert stored is None, process.title
            else:
                answered += 1
                assert stored == pytest.approx(sum(points) / len(points), abs=1e-9), process.title
        assert answered == len(ASSESSMENT_FIELDS) * len(LEVEL_POINTS) + 1

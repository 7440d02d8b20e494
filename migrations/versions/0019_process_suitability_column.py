"""The suitability of a process (docs/DOMAIN.md) as a stored generated column.

The backlog ranks every candidate of a municipality by the priority score on each request;
the nine assessment answers' CASE expressions were most of that work (some 15 ms over 3,000
processes). PostgreSQL now keeps the figure with the row. The formula's source is
`figures.LEVEL_POINTS` (the Python twin, `figures.priority_score`); this expression is a frozen
copy of it, and tests/tenants/processes/test_figures.py checks the two agree for every answer.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02
"""

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

# Each answer's points: very high 100, high 67, low 33, very low 0 (inverted for the first
# two questions); "unknown" and "unset" are not answers (NULL).
POINTS = {
    "professional_judgement": "CASE professional_judgement WHEN 'very_high' THEN 0"
    " WHEN 'high' THEN 33 WHEN 'low' THEN 67 WHEN 'very_low' THEN 100 END",
    "frequent_change": "CASE frequent_change WHEN 'very_high' THEN 0"
    " WHEN 'high' THEN 33 WHEN 'low' THEN 67 WHEN 'very_low' THEN 100 END",
    **{
        name: f"CASE {name} WHEN 'very_high' THEN 100 WHEN 'high' THEN 67 WHEN 'low' THEN 33"
        " WHEN 'very_low' THEN 0 END"
        for name in (
            "structured_input",
            "uniformity",
            "digital_input",
            "quality_gain",
            "speed_gain",
            "routine_reduction",
            "automation_feasibility",
        )
    },
}
TOTAL = " + ".join(f"coalesce({p}, 0)" for p in POINTS.values())
ANSWERED = " + ".join(f"({p} IS NOT NULL)::int" for p in POINTS.values())


def upgrade() -> None:
    op.execute(
        "ALTER TABLE process ADD COLUMN suitability_points double precision"
        f" GENERATED ALWAYS AS (({TOTAL})::double precision / nullif({ANSWERED}, 0)) STORED"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE process DROP COLUMN suitability_points")

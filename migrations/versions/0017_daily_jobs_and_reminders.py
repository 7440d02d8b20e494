"""Daily jobs and the register's periodic reminders.

- `daily_run`: a component's daily job ran for a municipality on a day (platform/daily.py);
  inserted in the job's own transaction, so a failed job is retried and two workers never
  run the same day twice.
- `process_reminder`: a reminder about a process went out for one period (legal basis not
  verified for 6 months, no change for 12 months). The key holds the date the period is
  counted from (the last verification or change) and the period's number, so each goes out
  once per period, and a verification or a change starts the count again.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from autoproces.migrations.rls import enable_tenant_rls

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

UUID = pg.UUID(as_uuid=True)


def upgrade() -> None:
    op.create_table(
        "daily_run",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("job", sa.String(60), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("done", sa.Integer, nullable=False, server_default="0"),
        sa.Column(
            "ran_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "job", "day", name="pk_daily_run"),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name="fk_daily_run_tenant", ondelete="CASCADE"
        ),
    )
    enable_tenant_rls("daily_run", "SELECT, INSERT, UPDATE, DELETE")

    op.create_table(
        "process_reminder",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("process_id", UUID, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("counted_from", sa.Date, nullable=False),
        sa.Column("period", sa.Integer, nullable=False),
        sa.Column("recipients", sa.Integer, nullable=False, server_default="0"),
        sa.Column(
            "sent_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "process_id", "kind", "counted_from", "period", name="pk_process_reminder"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "process_id"],
            ["process.tenant_id", "process.id"],
            name="fk_process_reminder_process",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint("period >= 1", name="ck_process_reminder_period"),
    )
    enable_tenant_rls("process_reminder", "SELECT, INSERT, DELETE")


def downgrade() -> None:
    op.drop_table("process_reminder")
    op.drop_table("daily_run")

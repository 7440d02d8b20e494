"""Realised runs of processes (from any RPA tool) and the three-month lessons reminder.

- `process_run`: one period of one process with its number of runs and the hours they saved.
  Periods of one process never overlap (checked by the service under a lock on the process).
- `process_lessons_reminder`: the one e-mail asking the owner for lessons learned, three
  months into operation; its primary key makes it go out once per process.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from autoproces.migrations.rls import enable_tenant_rls

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

UUID = pg.UUID(as_uuid=True)


def upgrade() -> None:
    op.create_table(
        "process_run",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("id", UUID, nullable=False, server_default=sa.text("gen_random_uuid()")),
        sa.Column("process_id", UUID, nullable=False),
        sa.Column("period_start", sa.Date, nullable=False),
        sa.Column("period_end", sa.Date, nullable=False),
        sa.Column("runs", sa.Integer, nullable=False),
        sa.Column("hours_saved", sa.Numeric(12, 2), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("uploaded_by", UUID),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.text("now()"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_process_run"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "process_id"],
            ["process.tenant_id", "process.id"],
            name="fk_process_run_process",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "uploaded_by"],
            ["app_user.tenant_id", "app_user.id"],
            name="fk_process_run_uploaded_by",
            ondelete="SET NULL (uploaded_by)",
        ),
        sa.UniqueConstraint(
            "tenant_id", "process_id", "period_start", name="uq_process_run_period"
        ),
        sa.CheckConstraint("period_start <= period_end", name="ck_process_run_period"),
        sa.CheckConstraint("runs >= 0 AND hours_saved >= 0", name="ck_process_run_figures"),
    )
    op.create_index("ix_process_run_uploaded_by", "process_run", ["tenant_id", "uploaded_by"])
    enable_tenant_rls("process_run")

    op.create_table(
        "process_lessons_reminder",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("process_id", UUID, nullable=False),
        sa.Column(
            "sent_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "process_id", name="pk_process_lessons_reminder"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "process_id"],
            ["process.tenant_id", "process.id"],
            name="fk_process_lessons_reminder_process",
            ondelete="CASCADE",
        ),
    )
    enable_tenant_rls("process_lessons_reminder", "SELECT, INSERT, DELETE")


def downgrade() -> None:
    op.drop_table("process_lessons_reminder")
    op.drop_table("process_run")

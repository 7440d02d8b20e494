"""Every process gets a short number per municipality ("Idé nr. 42"): a column unique per
tenant, and a per-tenant counter row that hands out the next number (its row lock makes
concurrent creates in one municipality wait for each other instead of colliding).
Existing processes are numbered in the order they were created.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from autoproces.migrations.rls import enable_tenant_rls

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

UUID = pg.UUID(as_uuid=True)


def upgrade() -> None:
    op.create_table(
        "process_number_counter",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("last_number", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name="pk_process_number_counter"),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name="fk_process_number_counter_tenant",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint("last_number >= 0", name="ck_process_number_counter_positive"),
    )
    enable_tenant_rls("process_number_counter", "SELECT, INSERT, UPDATE")

    op.add_column("process", sa.Column("number", sa.Integer, nullable=True))
    # Migrations run as the owner, under FORCE'd row-level security: the backfill runs per
    # tenant with the tenant set, as the app would.
    op.execute(
        """
        DO $$
        DECLARE t uuid;
        BEGIN
          FOR t IN SELECT id FROM tenant LOOP
            PERFORM set_config('app.tenant_id', t::text, true);
            UPDATE process p SET number = n.number
              FROM (SELECT id, row_number() OVER (ORDER BY created_at, id) AS number
                      FROM process WHERE tenant_id = t) n
             WHERE p.tenant_id = t AND p.id = n.id;
            INSERT INTO process_number_counter (tenant_id, last_number)
              SELECT t, coalesce(max(number), 0) FROM process WHERE tenant_id = t;
          END LOOP;
          PERFORM set_config('app.tenant_id', '', true);
        END $$;
        """
    )
    op.alter_column("process", "number", nullable=False)
    op.create_unique_constraint("uq_process_number", "process", ["tenant_id", "number"])
    op.create_check_constraint("ck_process_number_positive", "process", "number > 0")


def downgrade() -> None:
    op.drop_constraint("ck_process_number_positive", "process", type_="check")
    op.drop_constraint("uq_process_number", "process", type_="unique")
    op.drop_column("process", "number")
    op.drop_table("process_number_counter")

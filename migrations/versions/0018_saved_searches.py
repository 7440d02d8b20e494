"""Saved searches ("Gem søgning"): a user's named filters of the register's list.

- `saved_search`: tenant-owned, personal (the app reads a user's own rows only); the name is
  unique per user whatever its case; `notified_until` is the daily digest's watermark.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from autoproces.migrations.rls import enable_tenant_rls

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

UUID = pg.UUID(as_uuid=True)
NOW = sa.text("now()")
UPPER = "ÆØÅÄÖÜÉÈÊÀÁÍÓÚÑ"


def upgrade() -> None:
    op.create_table(
        "saved_search",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("id", UUID, nullable=False),
        sa.Column("user_id", UUID, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("query", pg.JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("notify", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("notified_until", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_saved_search"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "user_id"],
            ["app_user.tenant_id", "app_user.id"],
            name="fk_saved_search_user",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint("char_length(btrim(name)) > 0", name="ck_saved_search_name"),
        sa.CheckConstraint("jsonb_typeof(query) = 'object'", name="ck_saved_search_query"),
    )
    # One name per user, whatever its case (also the index of a user's searches). lower()
    # follows the database's locale, which may fold ASCII only: Danish capitals are folded
    # explicitly, as platform/search.py's `folded` does (its letters, frozen here).
    op.create_index(
        "uq_saved_search_user_name",
        "saved_search",
        ["tenant_id", "user_id", sa.text(f"lower(translate(name, '{UPPER}', '{UPPER.lower()}'))")],
        unique=True,
    )
    enable_tenant_rls("saved_search", "SELECT, INSERT, UPDATE, DELETE")


def downgrade() -> None:
    op.drop_table("saved_search")

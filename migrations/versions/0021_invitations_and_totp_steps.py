"""Invitations by e-mail, and operators' TOTP codes that cannot be replayed.

- `user_invitation`: tenant-owned (RLS). An address invited with roles by the municipality's
  administrator or the operator; matched (case-insensitively) at the person's first sign-in
  through the provider, until it expires, is revoked or is accepted.
- `platform_operator.totp_last_step`: the time step (unix time // 30) of the operator's last
  accepted TOTP code; a code whose step is not newer is refused.

Revision ID: 0021
Revises: 0019
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from autoproces.migrations.rls import enable_tenant_rls

revision = "0021"
down_revision = "0019"
branch_labels = None
depends_on = None

UUID = pg.UUID(as_uuid=True)
NOW = sa.text("now()")


def upgrade() -> None:
    op.create_table(
        "user_invitation",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("id", UUID, nullable=False, server_default=sa.text("gen_random_uuid()")),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("roles", pg.ARRAY(sa.Text), nullable=False),
        # Who invited: a user of the municipality, or an operator (actor_id NULL).
        sa.Column("invited_by_id", UUID),
        sa.Column("invited_by_name", sa.Text, nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True)),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_user_invitation"),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name="fk_user_invitation_tenant", ondelete="CASCADE"
        ),
        sa.CheckConstraint("email = lower(email)", name="ck_user_invitation_email_lower"),
        sa.CheckConstraint("cardinality(roles) > 0", name="ck_user_invitation_roles"),
    )
    # The first sign-in looks an address up among the open invitations.
    op.create_index(
        "ix_user_invitation_email",
        "user_invitation",
        ["tenant_id", "email"],
        postgresql_where=sa.text("accepted_at IS NULL AND revoked_at IS NULL"),
    )
    enable_tenant_rls("user_invitation", "SELECT, INSERT, UPDATE")
    op.add_column("platform_operator", sa.Column("totp_last_step", sa.BigInteger))


def downgrade() -> None:
    op.drop_column("platform_operator", "totp_last_step")
    op.drop_table("user_invitation")

"""Identity hardening: revocable sessions, service accounts, who created a token, the
municipality's own audit log, and the first administrator the operator names.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from autoproces.migrations.rls import enable_tenant_rls

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

UUID = pg.UUID(as_uuid=True)
NOW = sa.text("now()")


def upgrade() -> None:
    # A session names the generation it was made in; bumping it (logout, deactivation,
    # role change) makes every earlier session cookie worthless.
    for table in ("app_user", "platform_operator"):
        op.add_column(
            table, sa.Column("session_epoch", sa.Integer, nullable=False, server_default="0")
        )
    # A service account holds API tokens only and never signs in interactively.
    op.add_column(
        "app_user", sa.Column("kind", sa.String(10), nullable=False, server_default="person")
    )
    op.create_check_constraint("ck_app_user_kind", "app_user", "kind in ('person', 'service')")
    # Who minted the token (null: made on the command line, which is audited instead).
    op.add_column("api_token", sa.Column("created_by", UUID))

    # The e-mail address the operator named as the municipality's first administrator.
    op.add_column("tenant", sa.Column("first_admin_email", sa.String(254)))

    # The municipality's own audit log: tenant-owned, so only its own users (through the
    # app, its administrators) read it; append-only for the app role.
    op.create_table(
        "tenant_audit",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("id", sa.BigInteger, sa.Identity(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.Column("actor_id", UUID),
        # The actor's name when it happened (users are renamed; operators are not users).
        sa.Column("actor_name", sa.Text, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("details", pg.JSONB, nullable=False, server_default=sa.text("'{}'")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_tenant_audit"),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name="fk_tenant_audit_tenant", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_tenant_audit_at", "tenant_audit", ["tenant_id", "at"])
    enable_tenant_rls("tenant_audit", "SELECT, INSERT")


def downgrade() -> None:
    op.drop_table("tenant_audit")
    op.drop_column("tenant", "first_admin_email")
    op.drop_column("api_token", "created_by")
    op.drop_constraint("ck_app_user_kind", "app_user")
    op.drop_column("app_user", "kind")
    for table in ("app_user", "platform_operator"):
        op.drop_column(table, "session_epoch")

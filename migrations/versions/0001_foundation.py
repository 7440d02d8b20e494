"""Foundation: tenants, users, API tokens, processes, row-level security.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from autoproces.migrations.rls import app_role, enable_tenant_rls, ensure_app_role, grant

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

UUID = pg.UUID(as_uuid=True)
NOW = sa.text("now()")
NEW_ID = sa.text("gen_random_uuid()")


def upgrade() -> None:
    ensure_app_role()
    grant("alembic_version", "SELECT")

    op.create_table(
        "tenant",
        sa.Column("id", UUID, primary_key=True, server_default=NEW_ID),
        sa.Column("slug", sa.String(63), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("municipality_code", sa.String(3)),
        sa.Column("cvr", sa.String(8)),
        sa.Column("status", sa.String(20), nullable=False, server_default="active"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.UniqueConstraint("slug", name="uq_tenant_slug"),
        sa.CheckConstraint("status in ('active', 'suspended')", name="ck_tenant_status"),
        sa.CheckConstraint(
            "slug ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'", name="ck_tenant_slug_format"
        ),
        sa.CheckConstraint("municipality_code ~ '^[0-9]{3}$'", name="ck_tenant_code_format"),
        sa.CheckConstraint("cvr ~ '^[0-9]{8}$'", name="ck_tenant_cvr_format"),
    )
    # Not tenant-owned (it is the tenant): no RLS; the app reads it to resolve slugs.
    grant("tenant", "SELECT, INSERT, UPDATE")

    op.create_table(
        "app_user",
        sa.Column(
            "tenant_id", UUID, sa.ForeignKey("tenant.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("id", UUID, nullable=False, server_default=NEW_ID),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("roles", pg.ARRAY(sa.Text), nullable=False, server_default="{employee}"),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("issuer", sa.Text),
        sa.Column("subject", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.Column("last_login_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_app_user"),
        sa.UniqueConstraint("tenant_id", "issuer", "subject", name="uq_app_user_identity"),
        sa.CheckConstraint(
            "roles <@ array['employee','automation','manager','tenant_admin']::text[]"
            " and cardinality(roles) > 0",
            name="ck_app_user_roles",
        ),
    )
    op.execute("CREATE UNIQUE INDEX uq_app_user_email ON app_user (tenant_id, lower(email))")
    enable_tenant_rls("app_user")

    op.create_table(
        "api_token",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("id", UUID, nullable=False, server_default=NEW_ID),
        sa.Column("user_id", UUID, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.Column("last_used_at", sa.DateTime(timezone=True)),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_api_token"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "user_id"],
            ["app_user.tenant_id", "app_user.id"],
            name="fk_api_token_user",
            ondelete="CASCADE",
        ),
    )
    # The one index not led by tenant_id: a token is looked up by its hash before
    # its tenant is known (through auth_api_token below, never directly).
    op.execute("CREATE UNIQUE INDEX uq_api_token_hash ON api_token (token_hash)")
    enable_tenant_rls("api_token")
    # Only the owner, and only through the function below, reads across tenants.
    op.execute("CREATE POLICY token_lookup ON api_token FOR SELECT TO CURRENT_USER USING (true)")
    op.execute(
        """
        CREATE FUNCTION auth_api_token(p_hash text)
        RETURNS TABLE (tenant_id uuid, token_id uuid, user_id uuid)
        LANGUAGE sql STABLE SECURITY DEFINER
        SET search_path = pg_catalog, public
        AS $$
          SELECT t.tenant_id, t.id, t.user_id
          FROM public.api_token t
          WHERE t.token_hash = p_hash AND t.revoked_at IS NULL
        $$
        """
    )
    op.execute("REVOKE ALL ON FUNCTION auth_api_token(text) FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION auth_api_token(text) TO {app_role()}")

    op.create_table(
        "process",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("id", UUID, nullable=False, server_default=NEW_ID),
        sa.Column("title", sa.String(120), nullable=False),
        sa.Column("summary", sa.String(300), nullable=False),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("phase", sa.String(30), nullable=False, server_default="idea"),
        sa.Column("status", sa.String(30), nullable=False, server_default="not_assessed"),
        sa.Column("visibility", sa.String(20), nullable=False, server_default="municipality"),
        sa.Column("internal_notes", sa.Text, nullable=False, server_default=""),
        sa.Column("reporter_id", UUID),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_process"),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name="fk_process_tenant", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "reporter_id"],
            ["app_user.tenant_id", "app_user.id"],
            name="fk_process_reporter",
            ondelete="SET NULL (reporter_id)",
        ),
        sa.CheckConstraint(
            "phase in ('idea','preanalysis','specification','development','implementation',"
            "'operation','decommissioned')",
            name="ck_process_phase",
        ),
        sa.CheckConstraint(
            "status in ('not_assessed','in_progress','pending','rejected','failed',"
            "'no_longer_relevant')",
            name="ck_process_status",
        ),
        sa.CheckConstraint(
            "visibility in ('personal','municipality')", name="ck_process_visibility"
        ),
        sa.CheckConstraint("char_length(btrim(title)) > 0", name="ck_process_title_not_blank"),
    )
    op.create_index("ix_process_tenant_updated", "process", ["tenant_id", "updated_at"])
    op.create_index("ix_process_tenant_phase", "process", ["tenant_id", "phase", "status"])
    op.create_index("ix_process_tenant_reporter", "process", ["tenant_id", "reporter_id"])
    enable_tenant_rls("process")


def downgrade() -> None:
    op.drop_table("process")
    op.execute("DROP FUNCTION auth_api_token(text)")
    op.drop_table("api_token")
    op.drop_table("app_user")
    op.drop_table("tenant")

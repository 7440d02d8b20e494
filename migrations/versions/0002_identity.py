"""Federated login and the operator: identity provider settings, operators, audit log.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from autoproces.migrations.rls import app_role, enable_tenant_rls, grant

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UUID = pg.UUID(as_uuid=True)
NOW = sa.text("now()")
ROLES = "array['employee','automation','manager','tenant_admin']::text[]"


def upgrade() -> None:
    op.create_table(
        "tenant_idp",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("protocol", sa.String(10), nullable=False, server_default="oidc"),
        sa.Column("issuer", sa.Text, nullable=False),
        sa.Column("client_id", sa.Text, nullable=False),
        # Fernet token (AUTOPROCES_ENCRYPTION_KEY); the secret itself is never stored.
        sa.Column("client_secret_encrypted", sa.Text),
        sa.Column("scopes", sa.Text, nullable=False, server_default="openid profile email"),
        sa.Column("role_claim", sa.Text, nullable=False, server_default="roles"),
        sa.Column("role_mapping", pg.JSONB, nullable=False, server_default=sa.text("'{}'")),
        sa.Column("default_role", sa.Text),
        sa.Column("allowed_domains", pg.ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.PrimaryKeyConstraint("tenant_id", name="pk_tenant_idp"),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name="fk_tenant_idp_tenant", ondelete="CASCADE"
        ),
        sa.CheckConstraint("protocol in ('oidc', 'saml')", name="ck_tenant_idp_protocol"),
        sa.CheckConstraint(
            f"default_role is null or default_role = any({ROLES})",
            name="ck_tenant_idp_default_role",
        ),
    )
    enable_tenant_rls("tenant_idp")

    # Where a user's roles come from: the IdP mapping (re-read at every login), the
    # tenant's default role, or an administrator's choice (kept until the mapping says otherwise).
    op.add_column(
        "app_user",
        sa.Column("roles_source", sa.String(10), nullable=False, server_default="manual"),
    )
    op.create_check_constraint(
        "ck_app_user_roles_source", "app_user", "roles_source in ('mapping', 'default', 'manual')"
    )

    op.create_table(
        "platform_operator",
        sa.Column("id", UUID, primary_key=True, server_default=sa.text("gen_random_uuid()")),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("name", sa.String(200), nullable=False, server_default=""),
        sa.Column("password_hash", sa.Text),
        sa.Column("totp_secret_encrypted", sa.Text),
        sa.Column("issuer", sa.Text),
        sa.Column("subject", sa.Text),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.Column("last_login_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("issuer", "subject", name="uq_platform_operator_identity"),
    )
    op.execute("CREATE UNIQUE INDEX uq_platform_operator_email ON platform_operator (lower(email))")
    grant("platform_operator", "SELECT, INSERT, UPDATE")

    # Platform-owned, append-only. `subject_tenant_id` names the tenant an action was
    # about; the row belongs to the platform, not to that tenant (so no RLS).
    op.create_table(
        "operator_audit",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.Column("operator_id", UUID),
        sa.Column("operator_email", sa.Text, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("subject_tenant_id", UUID),
        sa.Column("subject_tenant_slug", sa.Text),
        sa.Column("details", pg.JSONB, nullable=False, server_default=sa.text("'{}'")),
    )
    op.create_index("ix_operator_audit_at", "operator_audit", ["at"])
    grant("operator_audit", "SELECT, INSERT")

    # The operator sees aggregates only: counts and last activity per tenant, through
    # this function; the owner may read the rows it counts (its own tables), nobody else.
    for table in ("app_user", "process"):
        op.execute(
            f"CREATE POLICY owner_aggregates ON {table} FOR SELECT TO CURRENT_USER USING (true)"
        )
    op.execute(
        """
        CREATE FUNCTION operator_tenant_usage()
        RETURNS TABLE (tenant_id uuid, users bigint, processes bigint, last_activity timestamptz)
        LANGUAGE sql STABLE SECURITY DEFINER
        SET search_path = pg_catalog, public
        AS $$
          SELECT t.id,
                 (SELECT count(*) FROM public.app_user u WHERE u.tenant_id = t.id),
                 (SELECT count(*) FROM public.process p WHERE p.tenant_id = t.id),
                 greatest(
                   (SELECT max(u.last_login_at) FROM public.app_user u WHERE u.tenant_id = t.id),
                   (SELECT max(p.updated_at) FROM public.process p WHERE p.tenant_id = t.id))
          FROM public.tenant t
        $$
        """
    )
    op.execute("REVOKE ALL ON FUNCTION operator_tenant_usage() FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION operator_tenant_usage() TO {app_role()}")


def downgrade() -> None:
    op.execute("DROP FUNCTION operator_tenant_usage()")
    for table in ("app_user", "process"):
        op.execute(f"DROP POLICY owner_aggregates ON {table}")
    op.drop_table("operator_audit")
    op.drop_table("platform_operator")
    op.drop_constraint("ck_app_user_roles_source", "app_user")
    op.drop_column("app_user", "roles_source")
    op.drop_table("tenant_idp")

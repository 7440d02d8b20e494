"""Helpers the migrations share: the app role and row-level security on a tenant table."""

from __future__ import annotations

from alembic import context, op


def app_role() -> str:
    """The role the app connects as (or a group role its login role is a member of)."""
    return context.config.attributes.get("app_role", "autoproces_app")


def ensure_app_role() -> None:
    role = app_role()
    op.execute(
        f"""
        DO $$
        BEGIN
          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN
            CREATE ROLE {role} NOLOGIN;
          END IF;
        END $$;
        """
    )
    op.execute(f"GRANT USAGE ON SCHEMA public TO {role}")


def grant(table: str, privileges: str = "SELECT, INSERT, UPDATE, DELETE") -> None:
    op.execute(f"GRANT {privileges} ON {table} TO {app_role()}")


def enable_tenant_rls(table: str, privileges: str = "SELECT, INSERT, UPDATE, DELETE") -> None:
    """RLS on, forced, with the one tenant policy (USING and WITH CHECK); then grant."""
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(
        f"""
        CREATE POLICY tenant_isolation ON {table}
          USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
          WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
        """
    )
    grant(table, privileges)

"""The operator's usage figures per component.

- `operator_tenant_usage()` now counts platform things only: a tenant's users, and its last
  activity from the platform's own tables (the users' last login, the API tokens' last use).
- The register counts its own: `operator_process_counts()` (tenant_id, count), declared as a
  usage figure of the register's `Component`, and `operator_process_phase_counts()`
  (tenant_id, phase, count) for its page in the operator console. Counts only, never a row.

The owner reads the rows it counts through the `owner_aggregates` policies of 0002.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from alembic import op

from autoproces.migrations.rls import app_role

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

PLATFORM_USAGE = """
    CREATE FUNCTION operator_tenant_usage()
    RETURNS TABLE (tenant_id uuid, users bigint, last_activity timestamptz)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
      SELECT t.id,
             (SELECT count(*) FROM public.app_user u WHERE u.tenant_id = t.id),
             greatest(
               (SELECT max(u.last_login_at) FROM public.app_user u WHERE u.tenant_id = t.id),
               (SELECT max(k.last_used_at) FROM public.api_token k WHERE k.tenant_id = t.id))
      FROM public.tenant t
    $$
"""

# The function of 0002, which also knew the register's table.
OLD_USAGE = """
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

PROCESS_COUNTS = """
    CREATE FUNCTION operator_process_counts()
    RETURNS TABLE (tenant_id uuid, count bigint)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
      SELECT p.tenant_id, count(*) FROM public.process p GROUP BY p.tenant_id
    $$
"""

PHASE_COUNTS = """
    CREATE FUNCTION operator_process_phase_counts()
    RETURNS TABLE (tenant_id uuid, phase text, count bigint)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
      SELECT p.tenant_id, p.phase::text, count(*)
        FROM public.process p GROUP BY p.tenant_id, p.phase
    $$
"""

NEW_FUNCTIONS = ("operator_process_counts()", "operator_process_phase_counts()")


def _grant(signature: str) -> None:
    op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {app_role()}")


def upgrade() -> None:
    # The result's columns change, so the function is dropped and made again.
    op.execute("DROP FUNCTION operator_tenant_usage()")
    op.execute(PLATFORM_USAGE)
    _grant("operator_tenant_usage()")
    op.execute(PROCESS_COUNTS)
    op.execute(PHASE_COUNTS)
    for signature in NEW_FUNCTIONS:
        _grant(signature)


def downgrade() -> None:
    for signature in NEW_FUNCTIONS:
        op.execute(f"DROP FUNCTION {signature}")
    op.execute("DROP FUNCTION operator_tenant_usage()")
    op.execute(OLD_USAGE)
    _grant("operator_tenant_usage()")

"""The outbox's size for `/metrics`, across tenants, and nothing else.

`outbox_stats()`: how many messages wait to be sent (pending, retries included) and the age
in seconds of the oldest of them (0 when none). Only pending rows are read, through the
partial index `ix_outbox_message_due`: the sent history grows without bound and a scrape
every few seconds must not count it. The scrape runs without a tenant, so RLS shows it no rows; like
`outbox_claim`, this narrow SECURITY DEFINER function reads across tenants, but it returns
only counts and an age (no tenant, no address, no subject). PL/pgSQL, so Citus can plan it.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-03
"""

from alembic import op

from autoproces.migrations.rls import app_role

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

SIGNATURE = "outbox_stats()"


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION outbox_stats()
        RETURNS TABLE (pending bigint, oldest_pending_seconds double precision)
        LANGUAGE plpgsql STABLE SECURITY DEFINER
        SET search_path = pg_catalog, public
        AS $$
        BEGIN
          RETURN QUERY
            SELECT count(*),
                   coalesce(extract(epoch FROM now() - min(m.created_at))::double precision, 0)
              FROM public.outbox_message m
             WHERE m.status = 'pending';
        END $$
        """
    )
    op.execute(f"REVOKE ALL ON FUNCTION {SIGNATURE} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {SIGNATURE} TO {app_role()}")


def downgrade() -> None:
    op.execute(f"DROP FUNCTION {SIGNATURE}")

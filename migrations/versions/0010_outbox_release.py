"""The outbox worker hands back messages it could not even try (the mail server is away).

Such a claim is not an attempt at the message: it stays due, its attempts are not counted and
no backoff is started, so the mail goes out as soon as the server answers again. The worker
waits between its own looks instead.

Revision ID: 0010
Revises: 0006
Create Date: 2026-12-01
"""

from alembic import op

from autoproces.migrations.rls import app_role

revision = "0010"
down_revision = "0006"
branch_labels = None
depends_on = None

SIGNATURE = "outbox_release(uuid, uuid, text)"


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION outbox_release(p_tenant uuid, p_id uuid, p_error text)
        RETURNS void
        LANGUAGE sql VOLATILE SECURITY DEFINER
        SET search_path = pg_catalog, public
        AS $$
          UPDATE public.outbox_message
             SET attempts = greatest(attempts - 1, 0),
                 last_error = left(p_error, 2000),
                 locked_until = NULL
           WHERE tenant_id = p_tenant AND id = p_id AND status = 'pending'
        $$
        """
    )
    op.execute(f"REVOKE ALL ON FUNCTION {SIGNATURE} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {SIGNATURE} TO {app_role()}")


def downgrade() -> None:
    op.execute(f"DROP FUNCTION {SIGNATURE}")

"""The outbox as a platform service.

- `outbox_release`: the worker hands back messages it could not even try (the mail server is
  away). Such a claim is not an attempt: the message stays due, its attempts are not counted
  and no backoff starts, so the mail goes out as soon as the server answers again.
- `outbox_queue_for_team`: queue one message to every active person (no service account)
  with a role in *another* municipality (the catalogue's contact form reaches the publisher's
  automation team) without the caller seeing who they are. It sets that tenant for its own
  statements only and puts the caller's tenant back, so RLS keeps holding for both.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from alembic import op

from autoproces.migrations.rls import app_role

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

SIGNATURE = "outbox_release(uuid, uuid, text)"
TEAM_SIGNATURE = "outbox_queue_for_team(uuid, text, text, text, text)"


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
    op.execute(
        """
        CREATE FUNCTION outbox_queue_for_team(
          p_tenant uuid, p_role text, p_subject text, p_body text, p_kind text
        ) RETURNS int
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER
        SET search_path = pg_catalog, public
        AS $$
        DECLARE
          caller text := current_setting('app.tenant_id', true);
          queued int;
        BEGIN
          IF NOT EXISTS (SELECT 1 FROM public.tenant WHERE id = p_tenant AND status = 'active')
          THEN
            RETURN 0;
          END IF;
          PERFORM set_config('app.tenant_id', p_tenant::text, true);
          INSERT INTO public.outbox_message (tenant_id, id, to_address, subject, body_text, kind)
          SELECT u.tenant_id, gen_random_uuid(), u.email, left(p_subject, 300), p_body,
                 left(p_kind, 40)
            FROM public.app_user u
           WHERE u.tenant_id = p_tenant AND u.active AND u.kind = 'person'
             AND p_role = ANY (u.roles)
             AND u.email LIKE '%_@_%';
          GET DIAGNOSTICS queued = ROW_COUNT;
          PERFORM set_config('app.tenant_id', coalesce(caller, ''), true);
          RETURN queued;
        END
        $$
        """
    )
    for signature in (SIGNATURE, TEAM_SIGNATURE):
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {app_role()}")


def downgrade() -> None:
    op.execute(f"DROP FUNCTION {TEAM_SIGNATURE}")
    op.execute(f"DROP FUNCTION {SIGNATURE}")

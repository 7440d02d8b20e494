"""A municipality's export archive, and its offboarding by the operator.

- `tenant_export`: tenant-owned (RLS). An archive of everything the municipality has, asked
  for by its administrator or by the operator, made by `autoproces worker` in the
  background (platform/export/), downloadable once by whoever asked. The worker finds work
  across tenants through the narrow `export_claim()`: it leases one job and returns its
  (tenant_id, id) and nothing else; everything after that runs with the tenant active.
  A ready archive nobody downloads expires (`export_expired()`, the same narrow shape).
- `tenant_offboarding`: platform data (like `operator_audit`, it outlives the tenant; its
  tenant is `subject_tenant_id`, no foreign key). The operator schedules the deletion of a
  suspended municipality after a grace period, and may cancel it until it runs.
- `tenant_purge(offboarding)`: deletes every row of a due offboarding's municipality, in
  every table that has a `tenant_id` (found in the catalogue, so a future table is covered)
  and then the tenant itself. Refuses anything but a due, uncancelled offboarding, so the
  app role cannot delete a municipality by calling it.
- `catalogue_anonymise(entry)`: the publisher's own entry (its `catalogue_source` row under
  RLS) becomes "en kommune" in every version and in the search columns. The append-only
  trigger lets exactly that change through (publisher_name to NULL, nothing else).

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from autoproces.migrations.rls import app_role, enable_tenant_rls, grant

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

UUID = pg.UUID(as_uuid=True)
NOW = sa.text("now()")
EXPORT_STATUSES = ("pending", "running", "ready", "downloaded", "failed", "expired")

APPEND_ONLY = """
    CREATE OR REPLACE FUNCTION catalogue_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      -- Anonymising a version (publisher_name to NULL, nothing else) is the one change let
      -- through; only catalogue_anonymise() (the owner) has the UPDATE right to make it.
      IF TG_OP = 'UPDATE' AND TG_TABLE_NAME = 'catalogue_version'
         AND NEW.publisher_name IS NULL
         AND to_jsonb(NEW) - 'publisher_name' - 'search_vector'
             = to_jsonb(OLD) - 'publisher_name' - 'search_vector' THEN
        RETURN NEW;
      END IF;
      RAISE EXCEPTION 'permission denied: % is append-only', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
    END $$
"""

APPEND_ONLY_BEFORE = """
    CREATE OR REPLACE FUNCTION catalogue_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'permission denied: % is append-only', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
    END $$
"""


def upgrade() -> None:
    op.create_table(
        "tenant_export",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("id", UUID, nullable=False, server_default=sa.text("gen_random_uuid()")),
        # Who asked, and so who may download it: a user of the municipality or an operator.
        sa.Column("requested_by_user_id", UUID),
        sa.Column("requested_by_operator_id", UUID),
        sa.Column("requested_by_name", sa.Text, nullable=False, server_default=""),
        sa.Column("notify_email", sa.String(254), nullable=False),
        sa.Column("status", sa.String(12), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("locked_until", sa.DateTime(timezone=True)),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("downloaded_at", sa.DateTime(timezone=True)),
        sa.Column("storage_key", sa.String(200)),
        sa.Column("size_bytes", sa.BigInteger),
        sa.Column("last_error", sa.Text),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_tenant_export"),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name="fk_tenant_export_tenant", ondelete="CASCADE"
        ),
        sa.CheckConstraint(
            "status in (" + ", ".join(f"'{s}'" for s in EXPORT_STATUSES) + ")",
            name="ck_tenant_export_status",
        ),
        sa.CheckConstraint(
            "(requested_by_user_id IS NULL) <> (requested_by_operator_id IS NULL)",
            name="ck_tenant_export_requester",
        ),
    )
    op.create_index(
        "ix_tenant_export_due",
        "tenant_export",
        ["tenant_id", "created_at"],
        postgresql_where=sa.text("status in ('pending', 'running')"),
    )
    enable_tenant_rls("tenant_export", "SELECT, INSERT, UPDATE")
    # The owner's view for export_claim() (it finds due jobs of every tenant).
    op.execute(
        "CREATE POLICY export_worker_read ON tenant_export FOR SELECT TO CURRENT_USER USING (true)"
    )
    op.execute(
        "CREATE POLICY export_worker_update ON tenant_export FOR UPDATE TO CURRENT_USER"
        " USING (true) WITH CHECK (true)"
    )
    # One job leased at a time: a pending one (a failed try waits out its backoff in
    # `locked_until`), or a running one whose worker died (its lease ran out). A job that
    # has had `p_max_attempts` tries is failed instead of leased again.
    op.execute(
        """
        CREATE FUNCTION export_claim(p_lock_seconds int, p_max_attempts int)
        RETURNS TABLE (tenant_id uuid, id uuid)
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER
        SET search_path = pg_catalog, public
        AS $$
        BEGIN
          UPDATE public.tenant_export e
             SET status = 'failed', finished_at = now(), locked_until = NULL,
                 last_error = coalesce(e.last_error, 'the worker stopped while making it')
           WHERE e.status = 'running' AND e.locked_until <= now()
             AND e.attempts >= p_max_attempts;
          RETURN QUERY
          UPDATE public.tenant_export e
             SET status = 'running', attempts = e.attempts + 1, started_at = now(),
                 locked_until = now() + make_interval(secs => greatest(p_lock_seconds, 1))
            FROM (SELECT d.tenant_id, d.id FROM public.tenant_export d
                   WHERE d.status IN ('pending', 'running')
                     AND (d.locked_until IS NULL OR d.locked_until <= now())
                   ORDER BY d.created_at
                   LIMIT 1
                   FOR UPDATE SKIP LOCKED) due
           WHERE e.tenant_id = due.tenant_id AND e.id = due.id
          RETURNING e.tenant_id, e.id;
        END $$
        """
    )

    # Ready archives nobody took in time: (tenant_id, id) only; the worker expires each
    # with its tenant active.
    op.execute(
        """
        CREATE FUNCTION export_expired(p_days int)
        RETURNS TABLE (tenant_id uuid, id uuid)
        LANGUAGE sql STABLE SECURITY DEFINER
        SET search_path = pg_catalog, public
        AS $$
          SELECT e.tenant_id, e.id FROM public.tenant_export e
           WHERE e.status = 'ready'
             AND e.finished_at < now() - make_interval(days => greatest(p_days, 1))
        $$
        """
    )

    op.create_table(
        "tenant_offboarding",
        sa.Column("id", UUID, primary_key=True, server_default=sa.text("gen_random_uuid()")),
        sa.Column("subject_tenant_id", UUID, nullable=False),
        sa.Column("tenant_slug", sa.Text, nullable=False),
        sa.Column("operator_id", UUID),
        sa.Column("operator_email", sa.Text, nullable=False),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.Column("delete_after", sa.DateTime(timezone=True), nullable=False),
        # What becomes of the municipality's catalogue entries: "anonymise" or "withdraw".
        sa.Column("catalogue", sa.String(12), nullable=False),
        sa.Column("export_id", UUID),
        sa.Column("cancelled_at", sa.DateTime(timezone=True)),
        sa.Column("cancelled_by", sa.Text),
        sa.Column("deleted_at", sa.DateTime(timezone=True)),
        sa.Column("deleted_rows", sa.Integer),
        sa.Column("files_deleted_at", sa.DateTime(timezone=True)),
        sa.Column("last_error", sa.Text),
        sa.CheckConstraint("catalogue in ('anonymise', 'withdraw')", name="ck_offboarding_cat"),
    )
    op.create_index(
        "uq_tenant_offboarding_open",
        "tenant_offboarding",
        ["subject_tenant_id"],
        unique=True,
        postgresql_where=sa.text("cancelled_at IS NULL AND deleted_at IS NULL"),
    )
    grant("tenant_offboarding", "SELECT, INSERT, UPDATE")

    op.execute(
        """
        CREATE FUNCTION tenant_purge(p_offboarding uuid) RETURNS int
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER
        SET search_path = pg_catalog, public
        AS $$
        DECLARE
          v_tenant uuid;
          v_table text;
          v_count int;
          v_total int := 0;
          v_previous text := current_setting('app.tenant_id', true);
        BEGIN
          SELECT o.subject_tenant_id INTO v_tenant FROM public.tenant_offboarding o
           WHERE o.id = p_offboarding AND o.cancelled_at IS NULL AND o.deleted_at IS NULL
             AND o.delete_after <= now()
             FOR UPDATE;
          IF v_tenant IS NULL THEN
            RAISE EXCEPTION 'no due offboarding %', p_offboarding
              USING ERRCODE = 'insufficient_privilege';
          END IF;
          IF EXISTS (SELECT 1 FROM public.tenant t
                      WHERE t.id = v_tenant AND t.status <> 'suspended') THEN
            RAISE EXCEPTION 'the tenant is not suspended' USING ERRCODE = 'check_violation';
          END IF;
          -- The tenant's rows pass row-level security (forced, so the owner too) for this
          -- transaction only.
          PERFORM set_config('app.tenant_id', v_tenant::text, true);
          -- Every table with a tenant_id, the ones referenced by others last; each pass
          -- deletes what no remaining row refers to.
          FOR v_table IN
            SELECT c.relname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
             WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
               AND a.attname = 'tenant_id' AND NOT a.attisdropped
             ORDER BY (SELECT count(*) FROM pg_constraint f
                        WHERE f.contype = 'f' AND f.confrelid = c.oid AND f.conrelid <> c.oid),
                      c.relname
          LOOP
            EXECUTE format('DELETE FROM public.%I WHERE tenant_id = $1', v_table) USING v_tenant;
            GET DIAGNOSTICS v_count = ROW_COUNT;
            v_total := v_total + v_count;
          END LOOP;
          DELETE FROM public.tenant WHERE id = v_tenant;
          UPDATE public.tenant_offboarding SET deleted_at = now(), deleted_rows = v_total
           WHERE id = p_offboarding;
          PERFORM set_config('app.tenant_id', coalesce(v_previous, ''), true);
          RETURN v_total;
        END $$
        """
    )

    op.execute(APPEND_ONLY)
    op.execute(
        """
        CREATE FUNCTION catalogue_anonymise(p_entry uuid) RETURNS int
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER
        SET search_path = pg_catalog, public
        AS $$
        DECLARE
          v_count int;
        BEGIN
          -- Only the publishing municipality's own entries (RLS on catalogue_source lets the
          -- current tenant's row through, nobody else's).
          IF NOT EXISTS (
            SELECT 1 FROM public.catalogue_source s
             WHERE s.entry_id = p_entry
               AND s.tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
          ) THEN
            RETURN 0;
          END IF;
          UPDATE public.catalogue_version SET publisher_name = NULL
           WHERE entry_id = p_entry AND publisher_name IS NOT NULL;
          GET DIAGNOSTICS v_count = ROW_COUNT;
          -- Naming current_version refills the search columns from the (now anonymous)
          -- version (0012's trigger) and recounts the facets (0015's).
          UPDATE public.catalogue_entry SET current_version = current_version WHERE id = p_entry;
          RETURN v_count;
        END $$
        """
    )
    for signature in (
        "export_claim(int, int)",
        "export_expired(int)",
        "tenant_purge(uuid)",
        "catalogue_anonymise(uuid)",
    ):
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {app_role()}")


def downgrade() -> None:
    op.execute("DROP FUNCTION catalogue_anonymise(uuid)")
    op.execute(APPEND_ONLY_BEFORE)
    op.execute("DROP FUNCTION tenant_purge(uuid)")
    op.drop_table("tenant_offboarding")
    op.execute("DROP FUNCTION export_expired(int)")
    op.execute("DROP FUNCTION export_claim(int, int)")
    op.drop_table("tenant_export")

"""Reusing catalogue entries (issue 9, points 8-10): copies, interest, contact messages.

Every table is tenant-owned (RLS), owned by the municipality that acts or receives:
- `catalogue_copy`: a reader municipality's process copied from an entry (lineage is on the
  process itself; this keeps the version the copy's people last saw, for the notice).
- `catalogue_reuse`: one row per municipality that ever copied an entry (the reuse count
  goes up once per municipality, and stays when the copy is deleted).
- `catalogue_interest`: "Vi vil også gerne", once per municipality.
- `catalogue_message`: the publisher's inbox (tenant of the publisher). Written only through
  `catalogue_contact_publisher`, so a reader never learns which municipality published.

Narrow SECURITY DEFINER functions do the cross-tenant work and return only what is needed:
- `catalogue_reuse_counts(entries)`: (entry_id, reuses, interests), counts only.
- `catalogue_interested(entry)`: the interested municipalities' names, and only when the
  caller's tenant published the entry.
- `catalogue_contact_publisher(...)`: stores the message in the publisher's inbox and queues
  it to the publisher's automation team; returns whether a publisher was found.
- `catalogue_notify_copies(...)`: queues an e-mail to the followers of every copy of an entry
  (each in its own tenant, RLS holding for each statement).
The owner reads the rows these functions count or look up through `owner_lookup` policies.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from autoproces.migrations.rls import app_role, enable_tenant_rls

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

UUID = pg.UUID(as_uuid=True)
NOW = sa.text("now()")

COUNTS = "catalogue_reuse_counts(uuid[])"
INTERESTED = "catalogue_interested(uuid)"
CONTACT = "catalogue_contact_publisher(uuid, text, text, text, text, text, text)"
NOTIFY = "catalogue_notify_copies(uuid, int, text, text, text)"
LOOKUP_TABLES = ("catalogue_source", "catalogue_reuse", "catalogue_interest", "catalogue_copy")

FUNCTIONS = [
    """
    CREATE FUNCTION catalogue_reuse_counts(p_entries uuid[])
    RETURNS TABLE (entry_id uuid, reuses bigint, interests bigint)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
      SELECT e.id,
             (SELECT count(DISTINCT r.tenant_id) FROM public.catalogue_reuse r
               WHERE r.entry_id = e.id),
             (SELECT count(DISTINCT i.tenant_id) FROM public.catalogue_interest i
               WHERE i.entry_id = e.id)
        FROM unnest(p_entries) AS e(id)
    $$
    """,
    """
    CREATE FUNCTION catalogue_interested(p_entry uuid)
    RETURNS TABLE (name text, wants_to_help boolean, created_at timestamptz)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
      SELECT t.name::text, i.wants_to_help, i.created_at
        FROM public.catalogue_interest i JOIN public.tenant t ON t.id = i.tenant_id
       WHERE i.entry_id = p_entry
         AND EXISTS (
           SELECT 1 FROM public.catalogue_source s
            WHERE s.entry_id = p_entry
              AND s.tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
       ORDER BY t.name
    $$
    """,
    """
    CREATE FUNCTION catalogue_contact_publisher(
      p_entry uuid, p_sender_name text, p_sender_municipality text, p_sender_email text,
      p_body text, p_subject text, p_mail_body text
    ) RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
    DECLARE
      caller text := current_setting('app.tenant_id', true);
      publisher uuid;
    BEGIN
      SELECT s.tenant_id INTO publisher
        FROM public.catalogue_source s JOIN public.tenant t ON t.id = s.tenant_id
       WHERE s.entry_id = p_entry AND t.status = 'active';
      IF publisher IS NULL THEN
        RETURN false;
      END IF;
      PERFORM set_config('app.tenant_id', publisher::text, true);
      INSERT INTO public.catalogue_message
        (tenant_id, id, entry_id, sender_name, sender_municipality, sender_email, body)
      VALUES (publisher, gen_random_uuid(), p_entry, left(p_sender_name, 200),
              left(p_sender_municipality, 200), left(p_sender_email, 320), left(p_body, 5000));
      INSERT INTO public.outbox_message (tenant_id, id, to_address, subject, body_text, kind)
      SELECT u.tenant_id, gen_random_uuid(), u.email, left(p_subject, 300), p_mail_body,
             'catalogue.contact'
        FROM public.app_user u
       WHERE u.tenant_id = publisher AND u.active AND u.kind = 'person'
         AND 'automation' = ANY (u.roles) AND u.email LIKE '%_@_%';
      PERFORM set_config('app.tenant_id', coalesce(caller, ''), true);
      RETURN true;
    END
    $$
    """,
    # `p_body` may hold {url}: the copy's page in its own municipality (base, slug, id).
    """
    CREATE FUNCTION catalogue_notify_copies(
      p_entry uuid, p_version int, p_base_url text, p_subject text, p_body text
    ) RETURNS int
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
    DECLARE
      caller text := current_setting('app.tenant_id', true);
      copier uuid;
      queued int := 0;
      n int;
    BEGIN
      FOR copier IN
        SELECT DISTINCT c.tenant_id FROM public.catalogue_copy c
          JOIN public.tenant t ON t.id = c.tenant_id
         WHERE c.entry_id = p_entry AND t.status = 'active'
      LOOP
        PERFORM set_config('app.tenant_id', copier::text, true);
        INSERT INTO public.outbox_message (tenant_id, id, to_address, subject, body_text, kind)
        SELECT u.tenant_id, gen_random_uuid(), u.email, left(p_subject, 300),
               replace(p_body, '{url}',
                       p_base_url || '/' || t.slug || '/processer/' || c.process_id::text),
               'catalogue.new_version'
          FROM public.catalogue_copy c
          JOIN public.tenant t ON t.id = c.tenant_id
          JOIN public.process_follower f
            ON f.tenant_id = c.tenant_id AND f.process_id = c.process_id
          JOIN public.app_user u ON u.tenant_id = f.tenant_id AND u.id = f.user_id
         WHERE c.tenant_id = copier AND c.entry_id = p_entry AND c.seen_version < p_version
           AND u.active AND u.kind = 'person' AND u.email LIKE '%_@_%';
        GET DIAGNOSTICS n = ROW_COUNT;
        queued := queued + n;
      END LOOP;
      PERFORM set_config('app.tenant_id', coalesce(caller, ''), true);
      RETURN queued;
    END
    $$
    """,
]


def upgrade() -> None:
    op.create_table(
        "catalogue_copy",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("process_id", UUID, nullable=False),
        sa.Column("entry_id", UUID, nullable=False),
        sa.Column("copied_version", sa.Integer, nullable=False),
        # The newest version the copy's people have seen (the notice shows until then).
        sa.Column("seen_version", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.PrimaryKeyConstraint("tenant_id", "process_id", name="pk_catalogue_copy"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "process_id"],
            ["process.tenant_id", "process.id"],
            name="fk_catalogue_copy_process",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_catalogue_copy_entry", "catalogue_copy", ["tenant_id", "entry_id"])
    op.create_table(
        "catalogue_reuse",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("entry_id", UUID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.PrimaryKeyConstraint("tenant_id", "entry_id", name="pk_catalogue_reuse"),
    )
    op.create_table(
        "catalogue_interest",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("entry_id", UUID, nullable=False),
        sa.Column("user_id", UUID, nullable=False),
        sa.Column("wants_to_help", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.PrimaryKeyConstraint("tenant_id", "entry_id", name="pk_catalogue_interest"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "user_id"],
            ["app_user.tenant_id", "app_user.id"],
            name="fk_catalogue_interest_user",
        ),
    )
    op.create_table(
        "catalogue_message",
        sa.Column("tenant_id", UUID, nullable=False),  # the publisher's
        sa.Column("id", UUID, nullable=False),
        sa.Column("entry_id", UUID, nullable=False),
        sa.Column("sender_name", sa.String(200), nullable=False),
        sa.Column("sender_municipality", sa.String(200), nullable=False),
        sa.Column("sender_email", sa.String(320), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_catalogue_message"),
    )
    op.create_index(
        "ix_catalogue_message_created", "catalogue_message", ["tenant_id", "created_at"]
    )
    enable_tenant_rls("catalogue_copy", "SELECT, INSERT, UPDATE")
    enable_tenant_rls("catalogue_reuse", "SELECT, INSERT")
    enable_tenant_rls("catalogue_interest", "SELECT, INSERT, UPDATE, DELETE")
    enable_tenant_rls("catalogue_message", "SELECT")
    for table in LOOKUP_TABLES:
        op.execute(f"CREATE POLICY owner_lookup ON {table} FOR SELECT TO CURRENT_USER USING (true)")
    for function in FUNCTIONS:
        op.execute(function)
    for signature in (COUNTS, INTERESTED, CONTACT, NOTIFY):
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {app_role()}")


def downgrade() -> None:
    for signature in (COUNTS, INTERESTED, CONTACT, NOTIFY):
        op.execute(f"DROP FUNCTION {signature}")
    op.execute("DROP POLICY owner_lookup ON catalogue_source")
    for table in ("catalogue_message", "catalogue_interest", "catalogue_reuse", "catalogue_copy"):
        op.drop_table(table)

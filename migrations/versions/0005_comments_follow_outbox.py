"""Comments, followers, favourites and the e-mail outbox.

The outbox is written by the app in the transaction of the change it reports; the worker
sends mail for every tenant through two narrow SECURITY DEFINER functions (the app role
sees one tenant per transaction).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from autoproces.migrations.rls import app_role, enable_tenant_rls

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

UUID = pg.UUID(as_uuid=True)
NOW = sa.text("now()")
NEW_ID = sa.text("gen_random_uuid()")
TZ = sa.DateTime(timezone=True)
MAX_ATTEMPTS = 10


def _process_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id", "process_id"],
        ["process.tenant_id", "process.id"],
        name=f"fk_{table}_process",
        ondelete="CASCADE",
    )


def _user_fk(
    table: str, column: str = "user_id", ondelete: str = "CASCADE"
) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id", column],
        ["app_user.tenant_id", "app_user.id"],
        name=f"fk_{table}_{column.removesuffix('_id')}",
        ondelete=ondelete,
    )


def upgrade() -> None:
    op.create_table(
        "process_comment",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("id", UUID, nullable=False, server_default=NEW_ID),
        sa.Column("process_id", UUID, nullable=False),
        sa.Column("author_id", UUID),
        sa.Column("body_markdown", sa.Text, nullable=False),
        # Rendered from body_markdown and sanitised (nh3) when written.
        sa.Column("body_html", sa.Text, nullable=False),
        sa.Column("created_at", TZ, nullable=False, server_default=NOW),
        sa.Column("edited_at", TZ),
        sa.Column("deleted_at", TZ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_process_comment"),
        _process_fk("process_comment"),
        _user_fk("process_comment", "author_id", "SET NULL (author_id)"),
        sa.CheckConstraint("char_length(body_markdown) <= 10000", name="ck_process_comment_length"),
    )
    op.create_index(
        "ix_process_comment_process", "process_comment", ["tenant_id", "process_id", "created_at"]
    )
    op.create_index("ix_process_comment_author", "process_comment", ["tenant_id", "author_id"])
    # Deleting a comment blanks it (deleted_at); rows go with their process.
    enable_tenant_rls("process_comment", "SELECT, INSERT, UPDATE")

    for table in ("process_follower", "process_favourite"):
        op.create_table(
            table,
            sa.Column("tenant_id", UUID, nullable=False),
            sa.Column("process_id", UUID, nullable=False),
            sa.Column("user_id", UUID, nullable=False),
            sa.Column("created_at", TZ, nullable=False, server_default=NOW),
            sa.PrimaryKeyConstraint("tenant_id", "process_id", "user_id", name=f"pk_{table}"),
            _process_fk(table),
            _user_fk(table),
        )
        op.create_index(f"ix_{table}_user", table, ["tenant_id", "user_id"])
        enable_tenant_rls(table, "SELECT, INSERT, DELETE")

    op.create_table(
        "outbox_message",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("id", UUID, nullable=False, server_default=NEW_ID),
        sa.Column("created_at", TZ, nullable=False, server_default=NOW),
        sa.Column("to_address", sa.String(254), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("body_text", sa.Text, nullable=False),
        sa.Column("body_html", sa.Text),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("status", sa.String(10), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", TZ, nullable=False, server_default=NOW),
        sa.Column("locked_until", TZ),
        sa.Column("sent_at", TZ),
        sa.Column("last_error", sa.Text),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_outbox_message"),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name="fk_outbox_message_tenant", ondelete="CASCADE"
        ),
        sa.CheckConstraint(
            "status in ('pending','sent','failed')", name="ck_outbox_message_status"
        ),
    )
    op.execute(
        "CREATE INDEX ix_outbox_message_due ON outbox_message (tenant_id, next_attempt_at)"
        " WHERE status = 'pending'"
    )
    # The app writes messages (and may read its own tenant's); only the functions below
    # change them.
    enable_tenant_rls("outbox_message", "SELECT, INSERT")
    # Only the owner, and only through the functions below, reads and updates across tenants.
    op.execute(
        "CREATE POLICY outbox_worker_read ON outbox_message FOR SELECT TO CURRENT_USER USING (true)"
    )
    op.execute(
        "CREATE POLICY outbox_worker_update ON outbox_message FOR UPDATE TO CURRENT_USER"
        " USING (true) WITH CHECK (true)"
    )
    # Claims due messages of every tenant; SKIP LOCKED and the lease (locked_until) keep
    # two workers from ever holding the same message. Each claim counts as an attempt.
    op.execute(
        """
        CREATE FUNCTION outbox_claim(p_limit int, p_lock_seconds int)
        RETURNS SETOF outbox_message
        LANGUAGE sql VOLATILE SECURITY DEFINER
        SET search_path = pg_catalog, public
        AS $$
          UPDATE public.outbox_message m
             SET locked_until = now() + make_interval(secs => greatest(p_lock_seconds, 1)),
                 attempts = m.attempts + 1
            FROM (SELECT d.tenant_id, d.id FROM public.outbox_message d
                   WHERE d.status = 'pending' AND d.next_attempt_at <= now()
                     AND (d.locked_until IS NULL OR d.locked_until <= now())
                   ORDER BY d.next_attempt_at
                   LIMIT greatest(least(p_limit, 1000), 0)
                   FOR UPDATE SKIP LOCKED) due
           WHERE m.tenant_id = due.tenant_id AND m.id = due.id
          RETURNING m.*
        $$
        """
    )
    # Sent, or another try after 1, 2, 4 … minutes (at most an hour); failed for good
    # after the tenth attempt.
    op.execute(
        f"""
        CREATE FUNCTION outbox_mark(p_tenant uuid, p_id uuid, p_ok bool, p_error text)
        RETURNS void
        LANGUAGE sql VOLATILE SECURITY DEFINER
        SET search_path = pg_catalog, public
        AS $$
          UPDATE public.outbox_message
             SET status = CASE WHEN p_ok THEN 'sent'
                               WHEN attempts >= {MAX_ATTEMPTS} THEN 'failed'
                               ELSE 'pending' END,
                 sent_at = CASE WHEN p_ok THEN now() ELSE sent_at END,
                 last_error = CASE WHEN p_ok THEN NULL ELSE left(p_error, 2000) END,
                 next_attempt_at = CASE WHEN p_ok THEN next_attempt_at
                   ELSE now() + least(
                     interval '1 minute' * power(2, least(greatest(attempts - 1, 0), 6)),
                     interval '1 hour') END,
                 locked_until = NULL
           WHERE tenant_id = p_tenant AND id = p_id AND status = 'pending'
        $$
        """
    )
    for signature in ("outbox_claim(int, int)", "outbox_mark(uuid, uuid, bool, text)"):
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {app_role()}")


def downgrade() -> None:
    op.execute("DROP FUNCTION outbox_mark(uuid, uuid, bool, text)")
    op.execute("DROP FUNCTION outbox_claim(int, int)")
    op.drop_table("outbox_message")
    op.drop_table("process_favourite")
    op.drop_table("process_follower")
    op.drop_table("process_comment")

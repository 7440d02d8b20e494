"""The shared catalogue (issue 9): entries, their append-only versions and copied files, and
the publisher's own link from an entry back to its process.

- `catalogue_entry`, `catalogue_version`, `catalogue_attachment` are platform-wide, not
  tenant-owned: every signed-in user of any municipality reads them. They hold the
  anonymised copy only; nothing in them names a tenant or a tenant's row.
- Versions and their files are append-only: the app role may only INSERT and SELECT them,
  and a trigger refuses UPDATE and DELETE for every role (Indico's revision pattern: the
  entry points at its current version).
- The entry's app role may change only `current_version`, `updated_at` and `withdrawn_at`
  (column grants): publishing a new version and withdrawing.
- `catalogue_source` is tenant-owned (RLS): which entry came from which of the
  municipality's processes. Only the publishing municipality sees it, so a reader can never
  follow an entry to its source; a deleted process leaves the link without its process.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from autoproces.migrations.rls import enable_tenant_rls, grant

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

UUID = pg.UUID(as_uuid=True)
NOW = sa.text("now()")

APPEND_ONLY = """
    CREATE FUNCTION catalogue_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'permission denied: % is append-only', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
    END $$
"""


def upgrade() -> None:
    op.create_table(
        "catalogue_entry",
        sa.Column("id", UUID, primary_key=True, server_default=sa.text("gen_random_uuid()")),
        sa.Column("current_version", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "catalogue_version",
        sa.Column("entry_id", UUID, nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        # NULL when published as "en kommune"; the size band is always there.
        sa.Column("publisher_name", sa.String(200)),
        sa.Column("size_band", sa.String(20), nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        # Field name -> the anonymised text a reader sees.
        sa.Column("fields", pg.JSONB, nullable=False),
        # Field name -> the stored value, for the fields without free text (codes, numbers).
        sa.Column("facts", pg.JSONB, nullable=False),
        # Field name -> a readable diff to the previous version (empty for the first).
        sa.Column("diff", pg.JSONB, nullable=False, server_default="{}"),
        sa.PrimaryKeyConstraint("entry_id", "number", name="pk_catalogue_version"),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["catalogue_entry.id"], name="fk_catalogue_version_entry"
        ),
        sa.CheckConstraint("number >= 1", name="ck_catalogue_version_number"),
    )
    op.create_table(
        "catalogue_attachment",
        sa.Column("id", UUID, primary_key=True, server_default=sa.text("gen_random_uuid()")),
        sa.Column("entry_id", UUID, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size_bytes", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        # The catalogue's own copy (catalogue/<entry>/<sha256>), never the process's file.
        sa.Column("storage_key", sa.String(200), nullable=False),
        sa.Column("description", sa.String(300), nullable=False, server_default=""),
        sa.ForeignKeyConstraint(
            ["entry_id", "version"],
            ["catalogue_version.entry_id", "catalogue_version.number"],
            name="fk_catalogue_attachment_version",
        ),
    )
    op.create_index(
        "ix_catalogue_attachment_version", "catalogue_attachment", ["entry_id", "version"]
    )
    op.create_table(
        "catalogue_source",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("entry_id", UUID, nullable=False),
        sa.Column("process_id", UUID),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.PrimaryKeyConstraint("tenant_id", "entry_id", name="pk_catalogue_source"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "process_id"],
            ["process.tenant_id", "process.id"],
            name="fk_catalogue_source_process",
            ondelete="SET NULL (process_id)",
        ),
        # No foreign key to catalogue_entry: every key of a tenant table leads with tenant_id
        # (Citus), and entries are never deleted (the app role has no DELETE on them).
    )
    op.create_index(
        "ix_catalogue_source_process", "catalogue_source", ["tenant_id", "process_id"], unique=True
    )
    enable_tenant_rls("catalogue_source", "SELECT, INSERT")

    grant("catalogue_entry", "SELECT, INSERT")
    grant("catalogue_entry", "UPDATE (current_version, updated_at, withdrawn_at)")
    grant("catalogue_version", "SELECT, INSERT")
    grant("catalogue_attachment", "SELECT, INSERT")
    op.execute(APPEND_ONLY)
    for table in ("catalogue_version", "catalogue_attachment"):
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}"
            " FOR EACH ROW EXECUTE FUNCTION catalogue_append_only()"
        )


def downgrade() -> None:
    op.drop_table("catalogue_source")
    op.drop_table("catalogue_attachment")
    op.drop_table("catalogue_version")
    op.drop_table("catalogue_entry")
    op.execute("DROP FUNCTION catalogue_append_only()")

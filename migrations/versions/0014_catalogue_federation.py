"""The catalogue's moderation and federation (issue 9, points 11 and 12).

- The operator may hide an entry with a reason: `hidden_at`, `hidden_reason` on
  `catalogue_entry` (the app role may change them).
- Entries mirrored from another instance's feed (`autoproces catalogue harvest URL`) are
  ordinary entries marked with their origin: the feed they came from (`origin_feed`), their
  id there (`origin_id`, the entry's URI at the source), the source's page (`origin_url`),
  the version last harvested (`origin_version`), a hash of what was harvested
  (`origin_hash`, so a re-harvest of the same content changes nothing) and when
  (`harvested_at`). One row per (feed, id).
- `catalogue_entry_publishers()`: which municipality published which entry, for the
  operator's moderation page and its e-mail to the publisher. A narrow SECURITY DEFINER
  function returning (entry_id, tenant_id) and nothing else (no process id); the owner reads
  `catalogue_source` for it through its own SELECT policy, as in 0002.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from autoproces.migrations.rls import app_role, grant

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

COLUMNS = (
    sa.Column("hidden_at", sa.DateTime(timezone=True)),
    sa.Column("hidden_reason", sa.Text),
    sa.Column("origin_feed", sa.String(2000)),
    sa.Column("origin_id", sa.String(2000)),
    sa.Column("origin_url", sa.String(2000)),
    sa.Column("origin_version", sa.Integer),
    sa.Column("origin_hash", sa.String(64)),
    sa.Column("harvested_at", sa.DateTime(timezone=True)),
)
UPDATABLE = "hidden_at, hidden_reason, origin_url, origin_version, origin_hash, harvested_at"


def upgrade() -> None:
    for column in COLUMNS:
        op.add_column("catalogue_entry", column)
    op.create_check_constraint(
        "ck_catalogue_entry_origin",
        "catalogue_entry",
        "(origin_feed IS NULL) = (origin_id IS NULL)",
    )
    op.create_index(
        "ix_catalogue_entry_origin",
        "catalogue_entry",
        ["origin_feed", "origin_id"],
        unique=True,
        postgresql_where=sa.text("origin_feed IS NOT NULL"),
    )
    grant("catalogue_entry", f"UPDATE ({UPDATABLE})")
    op.execute(
        "CREATE POLICY owner_publishers ON catalogue_source FOR SELECT TO CURRENT_USER USING (true)"
    )
    op.execute(
        """
        CREATE FUNCTION catalogue_entry_publishers()
        RETURNS TABLE (entry_id uuid, tenant_id uuid)
        LANGUAGE sql STABLE SECURITY DEFINER
        SET search_path = pg_catalog, public
        AS $$
          SELECT s.entry_id, s.tenant_id FROM public.catalogue_source s
        $$
        """
    )
    op.execute("REVOKE ALL ON FUNCTION catalogue_entry_publishers() FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION catalogue_entry_publishers() TO {app_role()}")


def downgrade() -> None:
    op.execute("DROP FUNCTION catalogue_entry_publishers()")
    op.execute("DROP POLICY owner_publishers ON catalogue_source")
    op.execute(f"REVOKE UPDATE ({UPDATABLE}) ON catalogue_entry FROM {app_role()}")
    op.drop_index("ix_catalogue_entry_origin", "catalogue_entry")
    op.drop_constraint("ck_catalogue_entry_origin", "catalogue_entry")
    for column in reversed(COLUMNS):
        op.drop_column("catalogue_entry", column.name)

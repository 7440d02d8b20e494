"""The catalogue's search (issue 9, point 5): a stored Danish tsvector and the facet values of
each entry's CURRENT version, on `catalogue_entry`, and the reuse/interest counts.

- `catalogue_version.search_vector`: the Danish tsvector of a version's texts (generated).
- `catalogue_entry.search_*` columns are filled by a trigger from the entry's current
  version whenever `current_version` is set (BEFORE INSERT OR UPDATE OF current_version),
  and when a version is inserted that the entry already points at (a mirrored entry may
  be written entry first). So every way of writing an entry keeps its search row right,
  and the app code never writes them.
- `reuse_count` / `interest_count`: how many municipalities copied the entry / want it
  too; maintained by the reuse service (granted here so the search can sort on them).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from autoproces.migrations.rls import grant

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

COLUMNS = (
    ("search_domains", pg.ARRAY(sa.Text)),
    ("search_kle_code", sa.Text),
    ("search_kle_group", sa.Text),
    ("search_phase", sa.Text),
    ("search_technologies", pg.ARRAY(sa.Text)),
    ("search_vendor", sa.Text),
    # NULL for an entry published as "en kommune": the publisher never reaches a facet.
    ("search_publisher", sa.Text),
    ("search_size_band", sa.Text),
    ("search_benefit", sa.SmallInteger),
    ("search_published_at", sa.DateTime(timezone=True)),
    ("search_minutes", sa.Numeric),
    ("search_occurrences", sa.Integer),
)

# Title weighs most, then the summary and the lessons, then the longer texts. On the version
# (a generated column: immutable, like the version), so the entry's row stays narrow for the
# facet counts, which scan every entry found.
VECTOR = """
  setweight(to_tsvector('danish', coalesce(fields->>'title', '')), 'A')
  || setweight(to_tsvector('danish', coalesce(fields->>'summary', '')), 'B')
  || setweight(to_tsvector('danish', coalesce(fields->>'what_worked', '') || ' '
       || coalesce(fields->>'what_did_not', '') || ' '
       || coalesce(fields->>'advice_to_others', '')), 'B')
  || setweight(to_tsvector('danish', coalesce(fields->>'description', '') || ' '
       || coalesce(fields->>'current_process', '') || ' '
       || coalesce(fields->>'challenges', '') || ' '
       || coalesce(fields->>'solution_ideas', '')), 'C')
"""

FILL = r"""
    CREATE FUNCTION catalogue_entry_search() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE
      v catalogue_version%ROWTYPE;
      f jsonb;
    BEGIN
      SELECT * INTO v FROM catalogue_version
        WHERE entry_id = NEW.id AND number = NEW.current_version;
      IF NOT FOUND THEN
        NEW.search_published_at := NULL;  -- not searchable until its version is there
        RETURN NEW;
      END IF;
      f := v.fields;
      NEW.search_domains := array_remove(
        string_to_array(nullif(f->>'domain_ids', ''), ', '), '');
      NEW.search_technologies := ARRAY(
        SELECT DISTINCT btrim(t) FROM unnest(string_to_array(f->>'technologies', E'\n')) t
        WHERE btrim(t) <> '');
      NEW.search_vendor := nullif(btrim(f->>'vendor'), '');
      NEW.search_kle_code := nullif(v.facts->>'kle_code', '');
      NEW.search_kle_group := left(NEW.search_kle_code, 2);
      NEW.search_phase := v.facts->>'phase';
      NEW.search_publisher := v.publisher_name;
      NEW.search_size_band := v.size_band;
      NEW.search_benefit := (v.facts->>'realised_benefit_rating')::smallint;
      NEW.search_published_at := v.published_at;
      NEW.search_minutes := (v.facts->>'minutes_per_occurrence')::numeric;
      NEW.search_occurrences := (v.facts->>'occurrences_per_year')::numeric::integer;
      RETURN NEW;
    END $$
"""

# A version written after the entry that already points at it: refill the entry.
REFILL = """
    CREATE FUNCTION catalogue_version_search() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE catalogue_entry SET current_version = current_version
        WHERE id = NEW.entry_id AND current_version = NEW.number;
      RETURN NULL;
    END $$
"""


def upgrade() -> None:
    for name, type_ in COLUMNS:
        op.add_column("catalogue_entry", sa.Column(name, type_))
    for name in ("reuse_count", "interest_count"):
        op.add_column(
            "catalogue_entry",
            sa.Column(name, sa.Integer, nullable=False, server_default="0"),
        )
    grant("catalogue_entry", "UPDATE (reuse_count, interest_count)")
    op.execute(
        f"ALTER TABLE catalogue_version ADD COLUMN search_vector tsvector"
        f" GENERATED ALWAYS AS ({VECTOR}) STORED"
    )
    op.execute(FILL)
    op.execute(REFILL)
    op.execute(
        "CREATE TRIGGER catalogue_entry_search BEFORE INSERT OR UPDATE OF current_version"
        " ON catalogue_entry FOR EACH ROW EXECUTE FUNCTION catalogue_entry_search()"
    )
    op.execute(
        "CREATE TRIGGER catalogue_version_search AFTER INSERT ON catalogue_version"
        " FOR EACH ROW EXECUTE FUNCTION catalogue_version_search()"
    )
    # Entries published before this migration.
    op.execute("UPDATE catalogue_entry SET current_version = current_version")
    op.execute(
        "CREATE INDEX ix_catalogue_version_search ON catalogue_version USING gin (search_vector)"
    )
    op.execute("CREATE INDEX ix_catalogue_entry_kle ON catalogue_entry (search_kle_code)")


def downgrade() -> None:
    op.execute("DROP TRIGGER catalogue_version_search ON catalogue_version")
    op.execute("DROP TRIGGER catalogue_entry_search ON catalogue_entry")
    op.execute("DROP FUNCTION catalogue_version_search()")
    op.execute("DROP FUNCTION catalogue_entry_search()")
    op.drop_column("catalogue_version", "search_vector")
    for name in ("reuse_count", "interest_count", *(n for n, _ in COLUMNS)):
        op.drop_column("catalogue_entry", name)

"""The catalogue's landing page without counting (issue 9, the search benchmark): whether an
entry is listed, stored once; the facet counts of all listed entries kept by a trigger; and
indexes for the page's orders.

- `catalogue_entry.search_listed`: the rule a list, a search and the feed apply (not
  withdrawn, not hidden by the operator, its current version there), a generated column, so
  the rule is written here only (generated columns are computed after the BEFORE trigger of
  0012 has filled `search_published_at`).
- `catalogue_facet_count` (facet, value, n): every facet value's count over the listed
  entries, and ('*', '') their total: the counts a search without words and filters shows,
  read instead of aggregating every entry. A trigger on `catalogue_entry` adds the new row's
  values and takes away the old row's whenever an entry is inserted, deleted or its search
  row or listing changes (`UPDATE OF` the columns whose change refills them); it runs as the
  owner, so the app role may only read the counts. Rows at 0 stay (values are few) and are
  not shown. search.py's live counting is tested against these counts.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""

from alembic import op

from autoproces.migrations.rls import grant

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

LISTED = "withdrawn_at IS NULL AND hidden_at IS NULL AND search_published_at IS NOT NULL"

# The facet values one entry row counts for (none when it is not listed); the names are
# search.FACETS' names. A list value counts once per element, as the live unnest does.
FACETS = """
    CREATE FUNCTION catalogue_entry_facets(e public.catalogue_entry)
    RETURNS TABLE (facet text, value text)
    LANGUAGE sql IMMUTABLE
    SET search_path = pg_catalog, public
    AS $$
      SELECT f.facet, f.value FROM (
        SELECT '*' AS facet, '' AS value
        UNION ALL SELECT 'domain', d FROM unnest(e.search_domains) d
        UNION ALL SELECT 'technology', t FROM unnest(e.search_technologies) t
        UNION ALL SELECT 'kle', e.search_kle_group
        UNION ALL SELECT 'phase', e.search_phase
        UNION ALL SELECT 'vendor', e.search_vendor
        UNION ALL SELECT 'publisher', e.search_publisher
        UNION ALL SELECT 'size_band', e.search_size_band
        UNION ALL SELECT 'benefit', e.search_benefit::text
      ) f
      WHERE e.search_listed AND f.value IS NOT NULL
    $$
"""

# In one statement, in key order, so two publishes lock the count rows in the same order.
COUNT = """
    CREATE FUNCTION catalogue_entry_count_facets() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
    BEGIN
      INSERT INTO public.catalogue_facet_count AS c (facet, value, n)
      SELECT d.facet, d.value, sum(d.n) FROM (
        SELECT o.facet, o.value, -1 AS n FROM public.catalogue_entry_facets(OLD) o
          WHERE TG_OP <> 'INSERT'
        UNION ALL
        SELECT f.facet, f.value, 1 FROM public.catalogue_entry_facets(NEW) f
          WHERE TG_OP <> 'DELETE'
      ) d
      GROUP BY d.facet, d.value
      HAVING sum(d.n) <> 0
      ORDER BY d.facet, d.value
      ON CONFLICT (facet, value) DO UPDATE SET n = c.n + EXCLUDED.n;
      RETURN NULL;
    END $$
"""

ORDERS = {
    "ix_catalogue_entry_newest": "search_published_at DESC, id",
    "ix_catalogue_entry_reused": "reuse_count DESC, search_published_at DESC, id",
    "ix_catalogue_entry_interest": "interest_count DESC, search_published_at DESC, id",
}


def upgrade() -> None:
    op.execute(
        f"ALTER TABLE catalogue_entry ADD COLUMN search_listed boolean"
        f" GENERATED ALWAYS AS ({LISTED}) STORED"
    )
    op.execute(
        """
        CREATE TABLE catalogue_facet_count (
          facet text NOT NULL,
          value text NOT NULL,
          n integer NOT NULL,
          PRIMARY KEY (facet, value)
        )
        """
    )
    grant("catalogue_facet_count", "SELECT")
    op.execute(FACETS)
    op.execute(COUNT)
    op.execute("REVOKE ALL ON FUNCTION catalogue_entry_count_facets() FROM PUBLIC")
    op.execute(
        "CREATE TRIGGER catalogue_entry_count_facets"
        " AFTER INSERT OR DELETE OR UPDATE OF current_version, withdrawn_at, hidden_at"
        " ON catalogue_entry FOR EACH ROW EXECUTE FUNCTION catalogue_entry_count_facets()"
    )
    op.execute(
        "INSERT INTO catalogue_facet_count (facet, value, n)"
        " SELECT f.facet, f.value, count(*) FROM catalogue_entry e,"
        " catalogue_entry_facets(e) f GROUP BY f.facet, f.value"
    )
    for name, columns in ORDERS.items():
        op.execute(f"CREATE INDEX {name} ON catalogue_entry ({columns}) WHERE search_listed")


def downgrade() -> None:
    for name in ORDERS:
        op.execute(f"DROP INDEX {name}")
    op.execute("DROP TRIGGER catalogue_entry_count_facets ON catalogue_entry")
    op.execute("DROP FUNCTION catalogue_entry_count_facets()")
    op.execute("DROP FUNCTION catalogue_entry_facets(public.catalogue_entry)")
    op.execute("DROP TABLE catalogue_facet_count")
    op.execute("ALTER TABLE catalogue_entry DROP COLUMN search_listed")

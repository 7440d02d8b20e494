"""Danish full-text search and trigram similarity on processes.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Title weighs most, then the summary, then the longer texts.
SEARCH_VECTOR = """
  setweight(to_tsvector('danish', coalesce(title, '')), 'A')
  || setweight(to_tsvector('danish', coalesce(summary, '')), 'B')
  || setweight(to_tsvector('danish', coalesce(description, '') || ' '
       || coalesce(current_process, '') || ' ' || coalesce(challenges, '') || ' '
       || coalesce(solution_ideas, '') || ' ' || coalesce(vendor, '') || ' '
       || coalesce(what_worked, '') || ' ' || coalesce(advice_to_others, '')), 'C')
"""


def upgrade() -> None:
    # Both are trusted extensions: the database owner may create them.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
    op.execute(
        f"ALTER TABLE process ADD COLUMN search_vector tsvector"
        f" GENERATED ALWAYS AS ({SEARCH_VECTOR}) STORED"
    )
    # tenant_id leads every index (btree_gin lets a GIN index start with it).
    op.execute("CREATE INDEX ix_process_search ON process USING gin (tenant_id, search_vector)")
    op.execute(
        "CREATE INDEX ix_process_title_trgm ON process"
        " USING gin (tenant_id, title gin_trgm_ops, summary gin_trgm_ops)"
    )
    op.execute("CREATE INDEX ix_process_kle ON process (tenant_id, kle_code text_pattern_ops)")
    op.execute("CREATE INDEX ix_process_domain_process ON process_domain (tenant_id, process_id)")


def downgrade() -> None:
    op.execute("DROP INDEX ix_process_domain_process")
    op.execute("DROP INDEX ix_process_kle")
    op.execute("DROP INDEX ix_process_title_trgm")
    op.execute("DROP INDEX ix_process_search")
    op.execute("ALTER TABLE process DROP COLUMN search_vector")

"""SAML 2.0 / OIOSAML sign-in: a municipality's own SAML provider, KOMBIT, replay guard.

- `tenant_idp` (tenant-owned, RLS) also describes a SAML provider: `protocol` is `oidc`,
  `saml` (the municipality's own identity provider, e.g. AD FS) or `kombit` (the platform's
  one KOMBIT connection; the assertion's CVR number picks the municipality). For `saml`:
  the provider's metadata (`saml_metadata`, as uploaded or last read from
  `saml_metadata_url`) and extra signing certificates for a rollover (`saml_certificates`,
  PEM). `min_loa`: the lowest NSIS level let in (Low, Substantial, High), for both SAML kinds.
  `client_id` may be empty: SAML has none.
- `saml_assertion_seen`: platform data, tenant-neutral (no tenant id, no person): the IDs of
  the assertions accepted so far, hashed with their issuer, until they expire; a second use
  is refused as a replay. Before the KOMBIT assertion is read no municipality is known, so
  the table cannot be a tenant's.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from autoproces.migrations.rls import grant

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_constraint("ck_tenant_idp_protocol", "tenant_idp", type_="check")
    op.create_check_constraint(
        "ck_tenant_idp_protocol", "tenant_idp", "protocol in ('oidc', 'saml', 'kombit')"
    )
    op.add_column("tenant_idp", sa.Column("saml_metadata", sa.Text))
    op.add_column("tenant_idp", sa.Column("saml_metadata_url", sa.Text))
    op.add_column(
        "tenant_idp",
        sa.Column("saml_certificates", pg.ARRAY(sa.Text), nullable=False, server_default="{}"),
    )
    op.add_column(
        "tenant_idp",
        sa.Column("min_loa", sa.String(12), nullable=False, server_default="Substantial"),
    )
    op.create_check_constraint(
        "ck_tenant_idp_min_loa", "tenant_idp", "min_loa in ('Low', 'Substantial', 'High')"
    )
    op.create_check_constraint(
        "ck_tenant_idp_saml_metadata",
        "tenant_idp",
        "protocol <> 'saml' or saml_metadata is not null",
    )

    op.create_table(
        "saml_assertion_seen",
        # sha256 of issuer and assertion ID: fixed length, nothing about anyone.
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_saml_assertion_seen_expires", "saml_assertion_seen", ["expires_at"])
    grant("saml_assertion_seen", "SELECT, INSERT, DELETE")


def downgrade() -> None:
    op.drop_table("saml_assertion_seen")
    op.drop_constraint("ck_tenant_idp_saml_metadata", "tenant_idp", type_="check")
    op.drop_constraint("ck_tenant_idp_min_loa", "tenant_idp", type_="check")
    for column in ("min_loa", "saml_certificates", "saml_metadata_url", "saml_metadata"):
        op.drop_column("tenant_idp", column)
    op.execute("DELETE FROM tenant_idp WHERE protocol <> 'oidc'")
    op.drop_constraint("ck_tenant_idp_protocol", "tenant_idp", type_="check")
    op.create_check_constraint(
        "ck_tenant_idp_protocol", "tenant_idp", "protocol in ('oidc', 'saml')"
    )

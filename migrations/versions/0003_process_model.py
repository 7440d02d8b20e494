"""The full process model (docs/DOMAIN.md): taxonomies, tenant settings and
fagområder, every process field, associated users and the field-by-field history.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from autoproces.migrations.rls import enable_tenant_rls, grant

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

UUID = pg.UUID(as_uuid=True)
NOW = sa.text("now()")
LEVELS = "('very_high','high','low','very_low','unknown','unset')"
ASSESSMENT = (
    "professional_judgement",
    "frequent_change",
    "structured_input",
    "uniformity",
    "digital_input",
    "quality_gain",
    "speed_gain",
    "routine_reduction",
    "automation_feasibility",
)
STANDARD_DOMAINS = (
    "Administration",
    "Beskæftigelse",
    "Erhverv",
    "Familie og børn",
    "Uddannelse og dagtilbud",
    "Demokrati",
    "Miljø",
    "Teknik",
    "Social",
    "Sundhed og ældre",
    "Bæredygtighed",
    "HR og personale",
    "IT og digitalisering",
    "Kultur og fritid",
    "Økonomi",
)


def upgrade() -> None:
    # --- Taxonomies: platform-wide reference data, read by everyone, written by imports.
    op.create_table(
        "kle_entry",
        sa.Column("code", sa.String(8), primary_key=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("level", sa.SmallInteger, nullable=False),
        sa.Column("parent_code", sa.String(8)),
        sa.CheckConstraint("level between 1 and 3", name="ck_kle_entry_level"),
        sa.CheckConstraint(
            "code ~ '^[0-9]{2}(\\.[0-9]{2}){0,2}$'", name="ck_kle_entry_code_format"
        ),
    )
    op.create_index("ix_kle_entry_parent", "kle_entry", ["parent_code"])
    op.create_table(
        "form_entry",
        sa.Column("code", sa.String(20), primary_key=True),
        sa.Column("title", sa.Text, nullable=False, server_default=""),
        sa.Column("parent_code", sa.String(20)),
    )
    grant("kle_entry", "SELECT, INSERT, UPDATE")
    grant("form_entry", "SELECT, INSERT, UPDATE")

    # --- Per-tenant settings used by the formulas and the priority score.
    op.create_table(
        "tenant_settings",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("hours_per_fte", sa.Numeric(8, 2), nullable=False, server_default="1924"),
        sa.Column("cost_per_hour_dkk", sa.Numeric(10, 2), nullable=False, server_default="450"),
        sa.Column("weight_benefit", sa.Numeric(5, 2), nullable=False, server_default="1"),
        sa.Column("weight_suitability", sa.Numeric(5, 2), nullable=False, server_default="1"),
        sa.Column("weight_ease", sa.Numeric(5, 2), nullable=False, server_default="1"),
        sa.Column("weight_strategic", sa.Numeric(5, 2), nullable=False, server_default="1"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.PrimaryKeyConstraint("tenant_id", name="pk_tenant_settings"),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name="fk_tenant_settings_tenant", ondelete="CASCADE"
        ),
        sa.CheckConstraint(
            "hours_per_fte > 0 and cost_per_hour_dkk >= 0", name="ck_tenant_settings_positive"
        ),
    )
    enable_tenant_rls("tenant_settings")

    # --- Fagområder: each tenant's own list, seeded from the standard list.
    op.create_table(
        "domain",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("id", UUID, nullable=False, server_default=sa.text("gen_random_uuid()")),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("position", sa.Integer, nullable=False, server_default="0"),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_domain"),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name="fk_domain_tenant", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("tenant_id", "name", name="uq_domain_name"),
    )
    enable_tenant_rls("domain")
    # Existing tenants get the standard list and default settings (as the owner, per tenant).
    values = ", ".join(f"({i}, '{name}')" for i, name in enumerate(STANDARD_DOMAINS))
    op.execute(
        f"""
        DO $$
        DECLARE t uuid;
        BEGIN
          FOR t IN SELECT id FROM tenant LOOP
            PERFORM set_config('app.tenant_id', t::text, true);
            INSERT INTO tenant_settings (tenant_id) VALUES (t);
            INSERT INTO domain (tenant_id, position, name)
              SELECT t, v.position, v.name FROM (VALUES {values}) AS v(position, name);
          END LOOP;
          PERFORM set_config('app.tenant_id', '', true);
        END $$;
        """
    )

    # --- Every process field of DOMAIN.md.
    columns = [
        # classification
        sa.Column("kle_code", sa.String(8)),
        sa.Column("form_code", sa.String(20)),
        sa.Column("legal_basis", sa.Text, nullable=False, server_default=""),
        sa.Column("legal_basis_verified_at", sa.Date),
        sa.Column("org_unit", sa.String(200), nullable=False, server_default=""),
        sa.Column("targets_citizens", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("targets_companies", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("keywords", pg.ARRAY(sa.Text), nullable=False, server_default="{}"),
        # the work today
        sa.Column("current_process", sa.Text, nullable=False, server_default=""),
        sa.Column("challenges", sa.Text, nullable=False, server_default=""),
        sa.Column("solution_ideas", sa.Text, nullable=False, server_default=""),
        sa.Column("it_systems", pg.JSONB, nullable=False, server_default=sa.text("'[]'")),
        sa.Column("occurrences_per_year", sa.Integer),
        sa.Column("minutes_per_occurrence", sa.Numeric(10, 2)),
        sa.Column("employees_doing_it", sa.Integer),
        sa.Column("automation_share_pct", sa.SmallInteger),
        sa.Column("time_comment", sa.Text, nullable=False, server_default=""),
        # assessment
        *[
            sa.Column(name, sa.String(10), nullable=False, server_default="unset")
            for name in ASSESSMENT
        ],
        sa.Column("expected_dev_hours", sa.Integer),
        sa.Column("expected_cost_dkk", sa.Integer),
        sa.Column("strategic_fit", sa.SmallInteger),
        sa.Column("risk_notes", sa.Text, nullable=False, server_default=""),
        sa.Column("gdpr_personal_data", sa.Boolean),
        sa.Column("automated_decision", sa.Boolean),
        sa.Column("ai_act_risk", sa.String(10)),
        # pipeline
        sa.Column("status_reason", sa.Text, nullable=False, server_default=""),
        sa.Column("priority_rank", sa.Integer),
        sa.Column("owner_id", UUID),
        sa.Column("contact_id", UUID),
        sa.Column("planned_start", sa.Date),
        sa.Column("put_into_operation_at", sa.Date),
        sa.Column("decommissioned_at", sa.Date),
        sa.Column("run_schedule", sa.String(20)),
        # solution
        sa.Column("technologies", pg.ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("vendor", sa.String(200), nullable=False, server_default=""),
        sa.Column("services", pg.ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("technical_notes", sa.Text, nullable=False, server_default=""),
        sa.Column("organisational_notes", sa.Text, nullable=False, server_default=""),
        sa.Column("code_repository_url", sa.Text, nullable=False, server_default=""),
        sa.Column("links", pg.JSONB, nullable=False, server_default=sa.text("'[]'")),
        # lessons learned
        sa.Column("realised_hours_per_year", sa.Integer),
        sa.Column("realised_benefit_rating", sa.SmallInteger),
        sa.Column("what_worked", sa.Text, nullable=False, server_default=""),
        sa.Column("what_did_not", sa.Text, nullable=False, server_default=""),
        sa.Column("advice_to_others", sa.Text, nullable=False, server_default=""),
        sa.Column("lessons_updated_at", sa.DateTime(timezone=True)),
        # private
        sa.Column("esdh_reference", sa.String(200), nullable=False, server_default=""),
        # lineage (the catalogue arrives later: plain values, no foreign key yet)
        sa.Column("copied_from_entry_id", UUID),
        sa.Column("copied_from_version", sa.Integer),
    ]
    for column in columns:
        op.add_column("process", column)
    checks = {
        "kle_code_format": "kle_code ~ '^[0-9]{2}\\.[0-9]{2}\\.[0-9]{2}$'",
        "automation_share": "automation_share_pct between 0 and 100",
        "occurrences": "occurrences_per_year >= 0",
        "minutes": "minutes_per_occurrence >= 0",
        "employees": "employees_doing_it >= 0",
        "dev_hours": "expected_dev_hours >= 0",
        "cost": "expected_cost_dkk >= 0",
        "strategic_fit": "strategic_fit between 0 and 3",
        "benefit_rating": "realised_benefit_rating between 0 and 3",
        "realised_hours": "realised_hours_per_year >= 0",
        "ai_act_risk": "ai_act_risk in ('none','minimal','limited','high')",
        "run_schedule": "run_schedule in ('on_demand','once','daily','weekly','monthly',"
        "'quarterly','yearly')",
        **{f"level_{name}": f"{name} in {LEVELS}" for name in ASSESSMENT},
    }
    for name, condition in checks.items():
        op.create_check_constraint(f"ck_process_{name}", "process", condition)
    for column in ("owner_id", "contact_id"):
        op.create_foreign_key(
            f"fk_process_{column.removesuffix('_id')}",
            "process",
            "app_user",
            ["tenant_id", column],
            ["tenant_id", "id"],
            ondelete=f"SET NULL ({column})",
        )
    # No foreign key to kle_entry: the key would not be led by tenant_id (Citus), and KL
    # retires codes; the service checks a code against the taxonomy when it is set.

    op.create_table(
        "process_domain",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("process_id", UUID, nullable=False),
        sa.Column("domain_id", UUID, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "process_id", "domain_id", name="pk_process_domain"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "process_id"],
            ["process.tenant_id", "process.id"],
            name="fk_process_domain_process",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "domain_id"],
            ["domain.tenant_id", "domain.id"],
            name="fk_process_domain_domain",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_process_domain_domain", "process_domain", ["tenant_id", "domain_id"])
    enable_tenant_rls("process_domain")

    op.create_table(
        "process_associated_user",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("process_id", UUID, nullable=False),
        sa.Column("user_id", UUID, nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id", "process_id", "user_id", name="pk_process_associated_user"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "process_id"],
            ["process.tenant_id", "process.id"],
            name="fk_process_associated_user_process",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "user_id"],
            ["app_user.tenant_id", "app_user.id"],
            name="fk_process_associated_user_user",
            ondelete="CASCADE",
        ),
    )
    enable_tenant_rls("process_associated_user")

    # Every change, field by field: who, when, old value, new value (JSON).
    op.create_table(
        "process_change",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("id", sa.BigInteger, sa.Identity(), nullable=False),
        sa.Column("process_id", UUID, nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.Column("user_id", UUID),
        sa.Column("field", sa.String(60), nullable=False),
        sa.Column("old_value", pg.JSONB),
        sa.Column("new_value", pg.JSONB),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_process_change"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "process_id"],
            ["process.tenant_id", "process.id"],
            name="fk_process_change_process",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "user_id"],
            ["app_user.tenant_id", "app_user.id"],
            name="fk_process_change_user",
            ondelete="SET NULL (user_id)",
        ),
    )
    op.create_index(
        "ix_process_change_process", "process_change", ["tenant_id", "process_id", "changed_at"]
    )
    # History is append-only for the app.
    enable_tenant_rls("process_change", "SELECT, INSERT")


def downgrade() -> None:
    op.drop_table("process_change")
    op.drop_table("process_associated_user")
    op.drop_table("process_domain")
    for column in ("owner_id", "contact_id"):
        op.drop_constraint(
            f"fk_process_{column.removesuffix('_id')}", "process", type_="foreignkey"
        )
    op.execute(
        "DO $$ DECLARE c text; BEGIN FOR c IN SELECT conname FROM pg_constraint"
        " WHERE conrelid = 'process'::regclass AND contype = 'c' AND conname NOT IN"
        " ('ck_process_phase','ck_process_status','ck_process_visibility',"
        "'ck_process_title_not_blank') LOOP"
        " EXECUTE format('ALTER TABLE process DROP CONSTRAINT %I', c); END LOOP; END $$"
    )
    for column in (
        "kle_code",
        "form_code",
        "legal_basis",
        "legal_basis_verified_at",
        "org_unit",
        "targets_citizens",
        "targets_companies",
        "keywords",
        "current_process",
        "challenges",
        "solution_ideas",
        "it_systems",
        "occurrences_per_year",
        "minutes_per_occurrence",
        "employees_doing_it",
        "automation_share_pct",
        "time_comment",
        *ASSESSMENT,
        "expected_dev_hours",
        "expected_cost_dkk",
        "strategic_fit",
        "risk_notes",
        "gdpr_personal_data",
        "automated_decision",
        "ai_act_risk",
        "status_reason",
        "priority_rank",
        "owner_id",
        "contact_id",
        "planned_start",
        "put_into_operation_at",
        "decommissioned_at",
        "run_schedule",
        "technologies",
        "vendor",
        "services",
        "technical_notes",
        "organisational_notes",
        "code_repository_url",
        "links",
        "realised_hours_per_year",
        "realised_benefit_rating",
        "what_worked",
        "what_did_not",
        "advice_to_others",
        "lessons_updated_at",
        "esdh_reference",
        "copied_from_entry_id",
        "copied_from_version",
    ):
        op.drop_column("process", column)
    op.drop_table("domain")
    op.drop_table("tenant_settings")
    op.drop_table("form_entry")
    op.drop_table("kle_entry")

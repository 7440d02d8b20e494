"""Attachments on processes: the file's metadata here, its bytes in the storage
(instance folder or S3, see platform/storage.py) under a key the app made.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from autoproces.migrations.rls import enable_tenant_rls

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

UUID = pg.UUID(as_uuid=True)
MAX_BYTES = 20 * 1024 * 1024


def upgrade() -> None:
    op.create_table(
        "process_attachment",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("id", UUID, nullable=False, server_default=sa.text("gen_random_uuid()")),
        sa.Column("process_id", UUID, nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        # Found from the file's bytes when it was uploaded, not from what the client said.
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size_bytes", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("storage_key", sa.String(200), nullable=False),
        sa.Column("description", sa.String(300), nullable=False, server_default=""),
        # Goes with the process when it is published to the shared catalogue.
        sa.Column("shareable", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("uploaded_by", UUID),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.text("now()"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_process_attachment"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "process_id"],
            ["process.tenant_id", "process.id"],
            name="fk_process_attachment_process",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "uploaded_by"],
            ["app_user.tenant_id", "app_user.id"],
            name="fk_process_attachment_uploaded_by",
            ondelete="SET NULL (uploaded_by)",
        ),
        sa.UniqueConstraint("tenant_id", "storage_key", name="uq_process_attachment_storage_key"),
        sa.CheckConstraint(
            f"size_bytes > 0 AND size_bytes <= {MAX_BYTES}", name="ck_process_attachment_size"
        ),
    )
    op.create_index(
        "ix_process_attachment_process", "process_attachment", ["tenant_id", "process_id"]
    )
    op.create_index(
        "ix_process_attachment_uploaded_by", "process_attachment", ["tenant_id", "uploaded_by"]
    )
    enable_tenant_rls("process_attachment")


def downgrade() -> None:
    op.drop_table("process_attachment")

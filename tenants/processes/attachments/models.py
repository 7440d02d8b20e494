"""An attachment's row: the file's name, type, size and checksum, and where its bytes are
stored (platform/storage.py). services.py is the only code that writes it."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, DateTime, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from autoproces.platform.db import db
from autoproces.platform.identity.models import User


class Attachment(db.Model):
    __tablename__ = "process_attachment"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    process_id: Mapped[uuid.UUID]
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(300), default="")
    shareable: Mapped[bool] = mapped_column(Boolean, default=False)
    uploaded_by: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    uploader: Mapped[User | None] = relationship(
        User,
        primaryjoin="and_(Attachment.tenant_id == User.tenant_id, "
        "Attachment.uploaded_by == User.id)",
        foreign_keys="[Attachment.tenant_id, Attachment.uploaded_by]",
        viewonly=True,
        lazy="selectin",
    )

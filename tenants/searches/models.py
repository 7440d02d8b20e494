"""A user's saved searches (tenant-owned; migration 0018)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, ForeignKeyConstraint, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from autoproces.platform.db import db

NAME_MAX = 100
# Enough for every view a person keeps coming back to; a list that long is hard to use.
MAX_PER_USER = 50


class SavedSearch(db.Model):
    """The register list's filters under a name, for one user only."""

    __tablename__ = "saved_search"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "user_id"], ["app_user.tenant_id", "app_user.id"], ondelete="CASCADE"
        ),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID]
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    # The list's query arguments as the URL carries them ({"phase": "operation", …}),
    # checked by the register's ProcessQuerySchema when saved and when run.
    query: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    notify: Mapped[bool] = mapped_column(Boolean, default=False)
    # The daily digest's watermark: processes created after it are new to the user.
    notified_until: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

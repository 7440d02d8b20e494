"""Comments, followers, favourites and outgoing e-mail (all tenant-owned; migration 0005)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from autoproces.platform.db import db
from autoproces.platform.identity.models import User


class Comment(db.Model):
    __tablename__ = "process_comment"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    process_id: Mapped[uuid.UUID]
    author_id: Mapped[uuid.UUID | None]
    body_markdown: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)  # sanitised when written
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    edited_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    author: Mapped[User | None] = relationship(
        User,
        primaryjoin="and_(Comment.tenant_id == User.tenant_id, Comment.author_id == User.id)",
        foreign_keys="[Comment.tenant_id, Comment.author_id]",
        viewonly=True,
        lazy="selectin",
    )

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None


class Follower(db.Model):
    """Gets an e-mail when the process changes phase or status, or is commented."""

    __tablename__ = "process_follower"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    process_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Favourite(db.Model):
    __tablename__ = "process_favourite"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    process_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

"""The catalogue's rows (migration 0011). Entries, versions and files are shared by every
municipality and hold only the anonymised copy; `CatalogueSource` is the publisher's own,
tenant-owned link back to its process. services.py is the only code that writes them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    ColumnElement,
    DateTime,
    ForeignKeyConstraint,
    Integer,
    String,
    Text,
    and_,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from autoproces.platform.db import db

# The municipality's size, chosen by the publisher (the municipality list has no population).
SIZE_BANDS = {
    "small": _l("under 30.000 indbyggere"),
    "medium": _l("30.000-60.000 indbyggere"),
    "large": _l("60.000-100.000 indbyggere"),
    "xlarge": _l("over 100.000 indbyggere"),
}


class CatalogueEntry(db.Model):
    __tablename__ = "catalogue_entry"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    current_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Moderation and federation (migration 0014): hidden by the operator, with its reason;
    # an entry mirrored from another instance's feed carries its origin (federation.py).
    hidden_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    hidden_reason: Mapped[str | None] = mapped_column(Text)
    origin_feed: Mapped[str | None] = mapped_column(String(2000))
    origin_id: Mapped[str | None] = mapped_column(String(2000))
    origin_url: Mapped[str | None] = mapped_column(String(2000))
    origin_version: Mapped[int | None] = mapped_column(Integer)
    origin_hash: Mapped[str | None] = mapped_column(String(64))
    harvested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # How many municipalities copied it / want it too (migration 0012; the reuse service
    # keeps them). The search columns of 0012 are read by search.py only.
    reuse_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    interest_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    current: Mapped[CatalogueVersion] = relationship(
        "CatalogueVersion",
        primaryjoin="and_(CatalogueEntry.id == foreign(CatalogueVersion.entry_id), "
        "CatalogueEntry.current_version == foreign(CatalogueVersion.number))",
        viewonly=True,
        lazy="joined",
    )

    @classmethod
    def listed(cls) -> ColumnElement[bool]:
        """The entries a list, a search or a feed shows: not withdrawn, not hidden."""
        return and_(cls.withdrawn_at.is_(None), cls.hidden_at.is_(None))

    @property
    def mirrored(self) -> bool:
        return self.origin_feed is not None

    @property
    def origin_host(self) -> str:
        """The instance a mirrored entry came from, as a reader recognises it."""
        return urlsplit(self.origin_url or self.origin_feed or "").hostname or ""


class CatalogueVersion(db.Model):
    """One publish: immutable (the app role may only insert it)."""

    __tablename__ = "catalogue_version"
    __table_args__ = (ForeignKeyConstraint(["entry_id"], ["catalogue_entry.id"]),)

    entry_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    published_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    publisher_name: Mapped[str | None] = mapped_column(String(200))
    size_band: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    fields: Mapped[dict[str, str]] = mapped_column(JSONB)
    facts: Mapped[dict[str, Any]] = mapped_column(JSONB)
    diff: Mapped[dict[str, str]] = mapped_column(JSONB, default=dict)

    attachments: Mapped[list[CatalogueAttachment]] = relationship(
        "CatalogueAttachment",
        primaryjoin="and_(CatalogueVersion.entry_id == foreign(CatalogueAttachment.entry_id), "
        "CatalogueVersion.number == foreign(CatalogueAttachment.version))",
        order_by="CatalogueAttachment.filename",
        viewonly=True,
        lazy="selectin",
    )

    @property
    def anonymous(self) -> bool:
        return self.publisher_name is None

    @property
    def size_band_label(self) -> str:
        return str(SIZE_BANDS.get(self.size_band, self.size_band))


class CatalogueAttachment(db.Model):
    __tablename__ = "catalogue_attachment"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    entry_id: Mapped[uuid.UUID]
    version: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(300), default="")


class CatalogueSource(db.Model):
    """The publishing municipality's link from an entry to its process (tenant-owned, RLS):
    never read on a reader's behalf."""

    __tablename__ = "catalogue_source"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    entry_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    process_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

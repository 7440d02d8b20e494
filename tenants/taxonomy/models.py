"""KLE and FORM entries: reference data shared by every tenant (not tenant-owned)."""

from __future__ import annotations

from sqlalchemy import SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from autoproces.platform.db import db


class KleEntry(db.Model):
    """A KLE main group (`NN`, level 1), group (`NN.NN`, 2) or topic (`NN.NN.NN`, 3)."""

    __tablename__ = "kle_entry"

    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    level: Mapped[int] = mapped_column(SmallInteger)
    parent_code: Mapped[str | None] = mapped_column(String(8))


class FormEntry(db.Model):
    """A FORM (Fællesoffentlig Referencemodel) code."""

    __tablename__ = "form_entry"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    title: Mapped[str] = mapped_column(Text, default="")
    parent_code: Mapped[str | None] = mapped_column(String(20))

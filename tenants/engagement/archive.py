"""Engagement's part of a municipality's export archive: comments, followers, favourites."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from autoproces.platform.db import db

from .models import Comment, Favourite, Follower


def export(tenant: Any, archive: Any) -> None:
    def rows(model: Any, *order: Any) -> Any:
        return db.session.scalars(
            select(model).where(model.tenant_id == tenant.id).order_by(*order)
        )

    archive.add_rows(
        "comments",
        "Kommentarer på processerne (Markdown og den rensede HTML)",
        rows(Comment, Comment.created_at),
    )
    archive.add_rows("followers", "Hvem der følger hvilke processer", rows(Follower))
    archive.add_rows("favourites", "Brugernes favoritter", rows(Favourite))

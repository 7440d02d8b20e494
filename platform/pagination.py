"""One page of a list, for every paged list in the app (the templates' `_pager.html` draws
its links)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate
from sqlalchemy import Select, func, select

from .db import db

T = TypeVar("T")

# The page size of a list that does not say (the API and the process list take ?per_page).
PER_PAGE = 25
MAX_PER_PAGE = 100
# Pages beyond this are refused: (page - 1) * per_page must stay a PostgreSQL bigint OFFSET.
MAX_PAGE = 100_000


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return page_count(self.total, self.per_page)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def page_count(total: int, per_page: int) -> int:
    """How many pages `total` items fill; an empty list is one (empty) page."""
    return max(1, math.ceil(total / per_page))


def clamp(page: int, total: int, per_page: int) -> int:
    """`page` within 1 … the last page, so a stale link shows the last page, not nothing."""
    return max(1, min(page, page_count(total, per_page)))


def page_number(raw: str | None) -> int:
    """A page number from a query string: anything but a whole number is page 1."""
    try:
        return max(1, int(raw or "1"))
    except ValueError:
        return 1


def paginate(query: Select[Any], page: int, per_page: int = PER_PAGE) -> Page[Any]:
    """The page `page` (clamped) of the ORM entities `query` selects, in its order."""
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    total = total or 0
    page = clamp(page, total, per_page)
    items = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page))
    return Page(list(items), total, page, per_page)


class PageArgsSchema(Schema):
    """The query arguments every paged API list takes (`page`, `per_page`), with the same
    Danish messages; a list's own arguments schema inherits them."""

    page = fields.Integer(
        load_default=1,
        validate=validate.Range(
            min=1, max=MAX_PAGE, error=_l("Sidetallet skal være mellem {min} og {max}.")
        ),
        error_messages={"invalid": _l("Skal være et helt tal.")},
    )
    per_page = fields.Integer(
        load_default=PER_PAGE,
        validate=validate.Range(
            min=1, max=MAX_PER_PAGE, error=_l("Antal pr. side skal være mellem {min} og {max}.")
        ),
        error_messages={"invalid": _l("Skal være et helt tal.")},
    )

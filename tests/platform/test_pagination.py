"""One page of a list (platform/pagination.py) and its links (platform/templates/_pager.html):
the bounds (page 0, a page past the last, an empty list) and what the links keep."""

from __future__ import annotations

import pytest
from flask import render_template_string
from sqlalchemy import select

from autoproces.platform.pagination import Page, clamp, page_count, page_number, paginate
from autoproces.platform.tenancy import Tenant


def test_page_counts_and_bounds():
    assert page_count(0, 25) == 1  # an empty list is one empty page
    assert page_count(25, 25) == 1 and page_count(26, 25) == 2
    assert clamp(0, 60, 25) == 1 and clamp(-3, 60, 25) == 1
    assert clamp(2, 60, 25) == 2
    assert clamp(99, 60, 25) == 3  # past the last: the last
    assert clamp(5, 0, 25) == 1
    empty = Page([], 0, 1, 25)
    assert empty.pages == 1 and not empty.has_prev and not empty.has_next
    middle = Page(["x"], 60, 2, 25)
    assert middle.pages == 3 and middle.has_prev and middle.has_next
    last = Page(["x"], 60, 3, 25)
    assert last.has_prev and not last.has_next


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        (None, 1),
        ("", 1),
        ("abc", 1),
        ("0", 1),
        ("-3", 1),
        ("2", 2),
        ("99999999999999", 99999999999999),
    ],
)
def test_page_numbers_from_the_query_string(raw, number):
    assert page_number(raw) == number


def test_paginate_clamps_and_counts_on_the_database(app, make):
    for slug in ("alfa", "beta", "gamma", "delta", "epsilon"):
        make.tenant(slug)
    query = select(Tenant).order_by(Tenant.slug)
    with app.app_context():
        first = paginate(query, 1, per_page=2)
        assert [t.slug for t in first.items] == ["alfa", "beta"]
        assert (first.total, first.pages, first.page) == (5, 3, 1)
        assert [t.slug for t in paginate(query, 3, per_page=2).items] == ["gamma"]
        assert paginate(query, 0, per_page=2).page == 1
        beyond = paginate(query, 99, per_page=2)
        assert beyond.page == 3 and [t.slug for t in beyond.items] == ["gamma"]
        nothing = paginate(query.where(Tenant.slug == "zeta"), 4)
        assert (nothing.items, nothing.total, nothing.page, nothing.pages) == ([], 0, 1, 1)


PAGER = '{% from "_pager.html" import pager %}{{ pager(endpoint, page, args, **options) }}'


def _pager(app, page: Page, args: dict | None = None, **options) -> str:
    with app.test_request_context("/"):
        return render_template_string(
            PAGER, endpoint="operator.audit", page=page, args=args or {}, options=options
        )


def test_the_pager_keeps_the_query_and_says_where_you_are(app):
    html = _pager(app, Page(["x"], 120, 2, 50), {"kommune": "alpha"})
    assert '<nav aria-label="Sider"' in html
    assert 'href="/operator/log?kommune=alpha&amp;side=1" rel="prev">Forrige side</a>' in html
    assert 'href="/operator/log?kommune=alpha&amp;side=3" rel="next">Næste side</a>' in html
    assert '<span aria-current="page">Side 2 af 3</span>' in html
    # The list's own name for the page number, and its own words for the directions.
    html = _pager(
        app, Page(["x"], 120, 1, 50), param="page", prev_label="Nyere", next_label="Ældre"
    )
    assert 'href="/operator/log?page=2" rel="next">Ældre</a>' in html
    assert 'rel="prev"' not in html  # the first page has no previous one


def test_the_pager_is_not_drawn_for_one_page(app):
    assert "<nav" not in _pager(app, Page([], 0, 1, 25))
    assert "<nav" not in _pager(app, Page(["x"], 25, 1, 25))
    # A page past the end (the process list does not clamp) links back, not further.
    html = _pager(app, Page([], 60, 9, 25))
    assert 'side=8" rel="prev"' in html and 'rel="next"' not in html

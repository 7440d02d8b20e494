"""Finding catalogue entries: Danish full-text search over the current versions with prefixes
and snippets, facets with counts, sorting and paging (the list page and the API), entries
like a process the register shows ("Aarhus har noget lignende i drift"), and what other
municipalities estimated for a KLE topic.

It reads the narrow `search_*` columns a trigger keeps on `catalogue_entry` from the
entry's current version, and for words the version's generated tsvector (migration 0012);
the versions' wide JSON is opened only for the snippets of the page's rows. Withdrawn
entries are never found."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import (
    Boolean,
    ColumnElement,
    Integer,
    Numeric,
    Select,
    SmallInteger,
    String,
    Text,
    case,
    column,
    func,
    literal,
    null,
    select,
    table,
    text,
    tuple_,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR
from sqlalchemy.orm import contains_eager

from autoproces.platform import search as text_search
from autoproces.platform.db import db
from autoproces.platform.identity.auth import require
from autoproces.platform.identity.models import User
from autoproces.platform.pagination import PER_PAGE, Page
from autoproces.platform.permissions import Action
from autoproces.tenants.processes.models import PHASE_LABELS, Phase
from autoproces.tenants.taxonomy.models import KleEntry

from .models import SIZE_BANDS, CatalogueEntry, CatalogueSource, CatalogueVersion

# The search columns of catalogue_entry (migration 0012; the ORM model leaves them out,
# as only the trigger writes them).
index = table(
    "catalogue_entry",
    column("id"),
    column("withdrawn_at"),
    column("reuse_count", Integer),
    column("interest_count", Integer),
    column("current_version", Integer),
    column("search_domains", ARRAY(Text)),
    column("search_kle_code", String),
    column("search_kle_group", String),
    column("search_phase", String),
    column("search_technologies", ARRAY(Text)),
    column("search_vendor", String),
    column("search_publisher", String),
    column("search_size_band", String),
    column("search_benefit", SmallInteger),
    column("search_published_at"),
    column("hidden_at"),
    column("search_listed", Boolean),
    column("search_minutes", Numeric),
    column("search_occurrences", Integer),
)
c = index.c
# The versions' generated tsvector (0012), joined to the entry's current version for words.
texts = table(
    "catalogue_version", column("entry_id"), column("number"), column("search_vector", TSVECTOR)
).alias("texts")


def _matches(query: Any) -> list[ColumnElement[bool]]:
    """The entry's current version matches `query` (a tsquery)."""
    return [
        texts.c.entry_id == c.id,
        texts.c.number == c.current_version,
        texts.c.search_vector.op("@@")(query),
    ]


SORTS = ("relevance", "newest", "reused", "interest")
# Facet -> (column, whether it holds a list). The URL's parameter is the facet's name.
FACETS: dict[str, tuple[Any, bool]] = {
    "domain": (c.search_domains, True),
    "kle": (c.search_kle_group, False),
    "phase": (c.search_phase, False),
    "technology": (c.search_technologies, True),
    "vendor": (c.search_vendor, False),
    "publisher": (c.search_publisher, False),
    "size_band": (c.search_size_band, False),
    "benefit": (c.search_benefit, False),
}
# The fields the snippet is cut from, in the order a reader meets them.
SNIPPET_FIELDS = (
    "title",
    "summary",
    "description",
    "current_process",
    "solution_ideas",
    "what_worked",
    "what_did_not",
    "advice_to_others",
)
# Phases in the facet: what is running first, as that is what another municipality reuses.
PHASE_ORDER = (Phase.OPERATION, *(p for p in Phase if p != Phase.OPERATION))
ESTIMATES_MIN = 3  # fewer estimates than this say nothing about a topic


def facet_titles() -> dict[str, str]:
    return {
        "domain": _("Fagområde"),
        "kle": _("KLE-hovedgruppe"),
        "phase": _("Fase ved deling"),
        "technology": _("Teknologi"),
        "vendor": _("Leverandør"),
        "publisher": _("Kommune"),
        "size_band": _("Kommunens størrelse"),
        "benefit": _("Indfriede gevinster"),
    }


def benefit_label(value: int | str) -> str:
    return _("%(n)s af 3", n=value)


@dataclass(frozen=True)
class Hit:
    entry: CatalogueEntry
    snippet: Markup | None


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass(frozen=True)
class Result:
    page: Page[Hit]
    facets: dict[str, list[FacetValue]]


# Every facet value's count over the listed entries, and ("*", "") their total, kept by a
# trigger (migration 0015): what a search without words or filters shows.
stored_counts = table(
    "catalogue_facet_count", column("facet", Text), column("value", Text), column("n", Integer)
)


def _visible() -> ColumnElement[bool]:
    # CatalogueEntry.listed() on this narrow table; the bare column, as the partial
    # indexes of migration 0015 say it.
    return c.search_listed


def _active(filters: dict[str, Any]) -> dict[str, Any]:
    """The facet filters that narrow the search (known facets, with a value)."""
    return {k: v for k, v in filters.items() if k in FACETS and v is not None and v != ""}


def conditions(q: str | None, filters: dict[str, Any]) -> list[ColumnElement[bool]]:
    """The search's WHERE: found by the words, inside every facet filter given."""
    where = [_visible()]
    if q:
        where += _matches(text_search.tsquery(q))
    for name, value in _active(filters).items():
        col, is_list = FACETS[name]
        if is_list:
            where.append(col.contains([str(value)]))
        elif name == "benefit":
            where.append(col == int(value))
        else:
            where.append(col == str(value))
    return where


def _found(where: list[Any], q: str | None, sort: str) -> Any:
    """The entries found, with their facet values and sort keys, counted per facet and
    ordered for the page by `_statement`."""
    relevance = q and sort not in ("newest", "reused", "interest")
    # Ranking reads every matched version's tsvector: only for the relevance order.
    rank = func.ts_rank(texts.c.search_vector, text_search.tsquery(q)) if relevance else None
    return (
        select(
            c.id,
            *(col for col, _is_list in FACETS.values()),
            c.search_published_at,
            c.reuse_count,
            c.interest_count,
            (literal(0.0) if rank is None else rank).label("rank"),
        )
        .where(*where)
        .cte("found")
        # Matching words and filters costs: match once, then count and page what was found
        # (a search without either reads the stored counts instead).
        .prefix_with("MATERIALIZED")
    )


def _order(cols: Any, sort: str) -> list[Any]:
    """The page's order over `cols` (migration 0015 indexes it for the listed entries)."""
    first = {
        "newest": [],
        "reused": [cols.reuse_count.desc()],
        "interest": [cols.interest_count.desc()],
        # Relevance: by rank when there are words; without, every rank is 0 (newest first).
    }.get(sort, [cols.rank.desc()] if "rank" in cols else [])
    return [*first, cols.search_published_at.desc(), cols.id]


def _numbered_page(cols: Any, where: list[Any], sort: str, page: int, per_page: int) -> Any:
    """Rows ("#", id, position) of the page's entries: ORDER BY … LIMIT first (a top-N
    sort, or an index), numbered after."""
    top = (
        select(
            *(
                cols[n]
                for n in ("id", "rank", "search_published_at", "reuse_count", "interest_count")
                if n in cols
            )
        )
        .where(*where)
        .order_by(*_order(cols, sort))
        .limit(per_page)
        .offset((page - 1) * per_page)
        .subquery("top")
    )
    numbered = func.row_number().over(order_by=_order(top.c, sort))
    return select(literal("#"), func.cast(top.c.id, Text), numbered)


def _stored_statement(sort: str, page: int, per_page: int) -> Any:
    """`_statement`'s rows for a search without words or filters: the stored counts, and
    the page from an index."""
    counts = select(stored_counts.c.facet, stored_counts.c.value, stored_counts.c.n).where(
        stored_counts.c.n > 0
    )
    return union_all(counts, _numbered_page(c, [_visible()], sort, page, per_page))


def _statement(found: Any, sort: str, page: int, per_page: int) -> Any:
    """One statement: rows (facet, value, count) of every facet, ("*", NULL, total), and
    ("#", id, position) of the page's entries. The single-valued facets are grouped in one
    pass (GROUPING SETS, the empty set counting all); each list-valued one unnests its
    column (a set-returning function in the select list, cheaper than a lateral join).
    (Unnesting every facet in one zipped pass measured twice as slow.)"""
    single = [(name, found.c[col.name]) for name, (col, is_list) in FACETS.items() if not is_list]
    cols = [col for _name, col in single]
    bits = len(cols)
    # grouping(a, b, …) has a 0 bit for each column in the row's grouping set.
    facet = case(
        *(
            (func.grouping(*cols) == (2**bits - 1) ^ (1 << (bits - 1 - i)), literal(name))
            for i, (name, _col) in enumerate(single)
        ),
        else_=literal("*"),
    )
    value = func.coalesce(*(func.cast(col, Text) for col in cols))
    parts: list[Select[Any]] = [
        select(facet.label("facet"), value.label("value"), func.count().label("n")).group_by(
            func.grouping_sets(*(tuple_(col) for col in cols), tuple_())
        )
    ]
    for name, (col, is_list) in FACETS.items():
        if is_list:
            values = select(func.unnest(found.c[col.name]).label("value")).subquery()
            parts.append(
                select(literal(name), values.c.value, func.count()).group_by(values.c.value)
            )
    parts.append(_numbered_page(found.c, [], sort, page, per_page))
    return union_all(*parts)


def _snippet(q: str | None) -> Any:
    if not q:
        return null().label("snippet")
    fields = CatalogueVersion.fields
    document = func.concat_ws(" … ", *(fields[name].astext for name in SNIPPET_FIELDS))
    return text_search.headline(document, q).label("snippet")


def _hits(ids: list[str], q: str | None) -> list[Hit]:
    """The page's entries in order, with their snippets (ts_headline for these rows only)."""
    if not ids:
        return []
    # The current version is joined once, for the entry's `current` and the snippet's text.
    query = (
        select(CatalogueEntry, _snippet(q))
        .join(CatalogueEntry.current)
        # A hit lists no files (the entry's page does): not loading them saves a query.
        .options(contains_eager(CatalogueEntry.current).raiseload(CatalogueVersion.attachments))
        .where(CatalogueEntry.id.in_([uuid.UUID(i) for i in ids]))
    )
    rows = db.session.execute(query).all()
    by_id = {str(row[0].id): Hit(row[0], text_search.highlight(row.snippet)) for row in rows}
    return [by_id[i] for i in ids if i in by_id]


def _labelled(counts: list[Any], filters: dict[str, Any]) -> dict[str, list[FacetValue]]:
    by_facet: dict[str, list[tuple[str, int]]] = {name: [] for name in FACETS}
    for facet, value, count in counts:
        by_facet[facet].append((value, count))
    groups = [v for v, _ in by_facet["kle"]]
    kle_titles = (
        dict(
            db.session.execute(
                select(KleEntry.code, KleEntry.title).where(KleEntry.code.in_(groups))
            ).all()
        )
        if groups
        else {}
    )
    phase_rank = {p.value: i for i, p in enumerate(PHASE_ORDER)}
    size_rank = {s: i for i, s in enumerate(SIZE_BANDS)}
    out: dict[str, list[FacetValue]] = {}
    for name, values in by_facet.items():
        selected = str(filters.get(name) or "")
        if name == "phase":
            values.sort(key=lambda v: phase_rank.get(v[0], 99))
            labels = {v: str(PHASE_LABELS.get(Phase(v), v)) for v, _ in values if v in phase_rank}
        elif name == "size_band":
            values.sort(key=lambda v: size_rank.get(v[0], 99))
            labels = {v: str(SIZE_BANDS.get(v, v)) for v, _ in values}
        elif name == "benefit":
            values.sort(key=lambda v: v[0], reverse=True)
            labels = {v: benefit_label(v) for v, _ in values}
        elif name == "kle":
            values.sort(key=lambda v: v[0])
            labels = {v: f"{v} {kle_titles[v]}" if v in kle_titles else v for v, _ in values}
        else:
            values.sort(key=lambda v: (-v[1], v[0].lower()))
            labels = {}
        out[name] = [FacetValue(v, labels.get(v, v), n, v == selected) for v, n in values]
    return out


def search(
    user: User,
    *,
    q: str | None = None,
    sort: str = "relevance",
    page: int = 1,
    per_page: int = PER_PAGE,
    **filters: Any,
) -> Result:
    """A page of the entries found by `q` inside `filters` (a facet's name -> one value),
    in `sort` order, and the counts of every facet's values over all entries found. Every
    signed-in user of any municipality searches all municipalities' entries."""
    require(user, Action.READ)
    q = (q or "").strip() or None
    # For the rest of the transaction: a search is a few milliseconds of work, where
    # parallel workers cost more than they save (the cores serve other requests); and the
    # catalogue's tables are small and hot, so an index's random reads cost what a
    # sequential one does (the words' GIN index beats reading every version's text).
    db.session.execute(
        text(
            "SELECT set_config('max_parallel_workers_per_gather', '0', true),"
            " set_config('random_page_cost', '1.1', true)"
        )
    )
    statement = (
        _statement(_found(conditions(q, filters), q, sort), sort, page, per_page)
        if q or _active(filters)
        else _stored_statement(sort, page, per_page)
    )
    rows = db.session.execute(statement).all()
    total = next((n for facet, _value, n in rows if facet == "*"), 0)
    ids = [value for facet, value, _n in sorted(rows, key=lambda r: r[2]) if facet == "#"]
    counts = [r for r in rows if r[0] not in ("*", "#") and r[1] is not None]
    page_of = Page(_hits(ids, q), total, page, per_page)
    return Result(page_of, _labelled(counts, filters))


def _not_own(user: User) -> ColumnElement[bool]:
    # The publisher's link is the municipality's own (RLS): its entries are its processes.
    return (
        ~select(CatalogueSource.entry_id)
        .where(CatalogueSource.tenant_id == user.tenant_id, CatalogueSource.entry_id == c.id)
        .exists()
    )


def similar_entries(user: User, words: str, limit: int = 3) -> list[CatalogueEntry]:
    """Other municipalities' entries whose text shares words (or word beginnings) with
    `words`, best first: "Aarhus har noget lignende i drift"."""
    require(user, Action.READ)
    terms = text_search.prefix_terms(words[:300])
    if not terms:
        return []
    query = func.to_tsquery(text_search.TEXT_SEARCH_CONFIG, terms.replace(" & ", " | "))
    rank = func.ts_rank(texts.c.search_vector, query)
    ids = list(
        db.session.scalars(
            select(c.id)
            .where(_visible(), *_matches(query), _not_own(user))
            # Operational entries first among equally good ones: they have lessons.
            .order_by(rank.desc(), (c.search_phase == Phase.OPERATION.value).desc(), c.id)
            .limit(limit)
        )
    )
    entries = (
        {
            e.id: e
            for e in db.session.scalars(
                select(CatalogueEntry).where(CatalogueEntry.id.in_(ids))
            ).unique()
        }
        if ids
        else {}
    )
    return [entries[i] for i in ids if i in entries]


@dataclass(frozen=True)
class Estimate:
    median: float
    count: int


def estimates(user: User, kle_code: str | None) -> dict[str, Estimate]:
    """What other municipalities estimated for the KLE topic `kle_code`: the median and the
    count of minutes per occurrence and of occurrences per year, each only when at least
    ESTIMATES_MIN entries give it."""
    require(user, Action.READ)
    if not kle_code:
        return {}
    out = {}
    for name, col in (
        ("minutes_per_occurrence", c.search_minutes),
        ("occurrences_per_year", c.search_occurrences),
    ):
        row = db.session.execute(
            select(func.percentile_cont(0.5).within_group(col), func.count(col)).where(
                _visible(), c.search_kle_code == kle_code.strip(), col.is_not(None), _not_own(user)
            )
        ).one()
        if row[1] >= ESTIMATES_MIN:
            out[name] = Estimate(float(row[0]), row[1])
    return out

"""Finding catalogue entries: Danish full-text search over the current versions with prefixes
and snippets, facets with counts, sorting and paging (the list page and the API), entries
like a process the register shows ("Aarhus har noget lignende i drift"), and what other
municipalities estimated for a KLE topic.

It reads the `search_*` columns a trigger keeps on `catalogue_entry` (migration 0012) from
the entry's current version, so a search never opens the versions' wide JSON except for the
snippets of the page's rows. Withdrawn entries are never found."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import (
    ColumnElement,
    Integer,
    Numeric,
    Select,
    SmallInteger,
    String,
    Text,
    and_,
    column,
    func,
    literal,
    null,
    select,
    table,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR

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
    column("search_vector", TSVECTOR),
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
    column("search_minutes", Numeric),
    column("search_occurrences", Integer),
)
c = index.c

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


def _visible() -> ColumnElement[bool]:
    return and_(c.withdrawn_at.is_(None), c.search_vector.is_not(None))


def conditions(q: str | None, filters: dict[str, Any]) -> list[ColumnElement[bool]]:
    """The search's WHERE: found by the words, inside every facet filter given."""
    where = [_visible()]
    if q:
        where.append(c.search_vector.op("@@")(text_search.tsquery(q)))
    for name, value in filters.items():
        if value is None or value == "" or name not in FACETS:
            continue
        col, is_list = FACETS[name]
        if is_list:
            where.append(col.contains([str(value)]))
        elif name == "benefit":
            where.append(col == int(value))
        else:
            where.append(col == str(value))
    return where


def _order(sort: str, q: str | None) -> list[Any]:
    newest = c.search_published_at.desc()
    if sort == "newest":
        return [newest]
    if sort == "reused":
        return [c.reuse_count.desc(), newest]
    if sort == "interest":
        return [c.interest_count.desc(), newest]
    if q:
        return [func.ts_rank(c.search_vector, text_search.tsquery(q)).desc(), newest]
    return [newest]


def _snippet(q: str | None) -> Any:
    if not q:
        return null().label("snippet")
    fields = CatalogueVersion.fields
    document = func.concat_ws(" … ", *(fields[name].astext for name in SNIPPET_FIELDS))
    return text_search.headline(document, q).label("snippet")


def _page(where: list[Any], q: str | None, sort: str, page: int, per_page: int) -> Page[Hit]:
    ordering = [*_order(sort, q), c.id]
    paged = (
        select(
            c.id,
            func.count().over().label("total"),
            func.row_number().over(order_by=ordering).label("position"),
        )
        .where(*where)
        .order_by(*ordering)
        .limit(per_page)
        .offset((page - 1) * per_page)
        .subquery("page")
    )
    rows = db.session.execute(
        select(CatalogueEntry, _snippet(q), paged.c.total)
        .join(paged, CatalogueEntry.id == paged.c.id)
        .join(
            CatalogueVersion,
            (CatalogueVersion.entry_id == CatalogueEntry.id)
            & (CatalogueVersion.number == CatalogueEntry.current_version),
        )
        .order_by(paged.c.position)
    ).all()
    if rows:
        total = rows[0].total
    elif page == 1:
        total = 0
    else:  # a page past the end has no row to carry the total
        total = db.session.scalar(select(func.count()).select_from(index).where(*where)) or 0
    hits = [Hit(row[0], text_search.highlight(row.snippet)) for row in rows]
    return Page(hits, total, page, per_page)


def _facet_counts(where: list[Any]) -> list[Any]:
    """(facet, value, count) of every facet over the found entries, in one statement: the
    found rows are read once (a materialised CTE), each facet groups them."""
    found = select(*(col for col, _ in FACETS.values())).where(*where).cte("found")
    found = found.prefix_with("MATERIALIZED")  # type: ignore[assignment]
    parts: list[Select[Any]] = []
    for name, (col, is_list) in FACETS.items():
        source = found.c[col.name]
        if is_list:
            value = func.unnest(source).table_valued("value").render_derived()
            part = select(literal(name).label("facet"), value.c.value, func.count()).select_from(
                found.join(value, literal(True))
            )
            part = part.group_by(value.c.value)
        else:
            as_text = func.cast(source, Text)
            part = (
                select(literal(name).label("facet"), as_text.label("value"), func.count())
                .select_from(found)
                .where(source.is_not(None))
                .group_by(as_text)
            )
        parts.append(part)
    return list(db.session.execute(union_all(*parts)).all())


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
    where = conditions(q, filters)
    return Result(_page(where, q, sort, page, per_page), _labelled(_facet_counts(where), filters))


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
    rank = func.ts_rank(c.search_vector, query)
    ids = list(
        db.session.scalars(
            select(c.id)
            .where(_visible(), c.search_vector.op("@@")(query), _not_own(user))
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

"""What every search in the app shares: LIKE patterns with the user's text escaped, case
folding that also folds Danish capitals, the Danish full-text query with prefixes, and the
matched words in context as safe HTML."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import ColumnElement, func

# The text search configuration of every search document (migration 0004's search_vector).
TEXT_SEARCH_CONFIG = "danish"
LIKE_ESCAPE = "\\"


def escape_like(term: str) -> str:
    """`term` as literal text inside a LIKE pattern: its \\, % and _ match themselves."""
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains(expression: Any, term: str, *, any_case: bool = False) -> ColumnElement[bool]:
    """`expression` contains `term` as typed (ILIKE with `any_case`)."""
    pattern = f"%{escape_like(term)}%"
    if any_case:
        return expression.ilike(pattern, escape=LIKE_ESCAPE)
    return expression.like(pattern, escape=LIKE_ESCAPE)


def begins(expression: Any, term: str) -> ColumnElement[bool]:
    """`expression` begins with `term` as typed."""
    return expression.like(escape_like(term) + "%", escape=LIKE_ESCAPE)


# lower() follows the database's locale; under "C" it folds ASCII only, so Danish (and a
# few other) capitals are folded explicitly.
_UPPER = "ÆØÅÄÖÜÉÈÊÀÁÍÓÚÑ"
_LOWER = _UPPER.lower()


def folded(expression: Any) -> Any:
    """`expression` in lower case, Danish capitals too: compare it with `text.lower()`."""
    return func.lower(func.translate(expression, _UPPER, _LOWER))


PREFIX_MIN = 2  # shorter words are searched whole: "a:*" would match nearly every row


def prefix_terms(q: str) -> str:
    """'faktura løn' -> 'faktura:* & løn:*' (only letters and digits reach to_tsquery)."""
    words = ["".join(ch for ch in w if ch.isalnum()) for w in q.split()]
    return " & ".join(
        f"{w}:*" for w in words if len(w) >= PREFIX_MIN and w.lower() not in ("or", "and")
    )


def tsquery(q: str) -> Any:
    """Web-search syntax ("quoted phrases", OR, -not), plus every word as a prefix: Danish
    joins words, so "faktura" must find "Fakturahåndtering"."""
    query = func.websearch_to_tsquery(TEXT_SEARCH_CONFIG, q)
    prefix = prefix_terms(q)
    if prefix:
        query = query.op("||")(func.to_tsquery(TEXT_SEARCH_CONFIG, prefix))
    return query


# Markers ts_headline puts around matches; the text is escaped before they become <mark>.
# Control characters, which nobody types; `headline` turns any in the text into spaces all
# the same, so every marker in its output is ts_headline's own (balanced <mark> tags).
_HIT_START, _HIT_STOP = "\x01", "\x02"


def headline(
    document: Any, q: str, *, fragments: int = 2, max_words: int = 20, min_words: int = 6
) -> Any:
    """The words of `document` that match `q`, in context and marked for `highlight`.
    Put it in the outer query of a page, so ts_headline runs for the page's rows only."""
    # The markers in the text itself become spaces (they separate words, as before).
    document = func.translate(document, _HIT_START + _HIT_STOP, "  ")
    options = (
        f"StartSel={_HIT_START}, StopSel={_HIT_STOP}, MaxFragments={fragments},"
        f' MaxWords={max_words}, MinWords={min_words}, FragmentDelimiter=" … "'
    )
    return func.ts_headline(TEXT_SEARCH_CONFIG, document, tsquery(q), options)


def highlight(marked: str | None) -> Markup | None:
    """A `headline` as HTML: the text escaped, the matches in <mark>."""
    if marked is None:
        return None
    return Markup(str(escape(marked)).replace(_HIT_START, "<mark>").replace(_HIT_STOP, "</mark>"))

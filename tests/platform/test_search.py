"""The shared search helpers (platform/search.py), on real PostgreSQL: LIKE escaping, case
folding, the Danish prefix query and the highlighted snippet, which must never let the
searched text's HTML through."""

from __future__ import annotations

import pytest
from markupsafe import Markup
from sqlalchemy import func, literal, select

from autoproces.platform import search


@pytest.fixture
def sql(app_engine):
    """Evaluate one SQL expression."""
    with app_engine.connect() as conn:
        yield lambda expression: conn.scalar(select(expression))


def test_like_escaping_makes_wildcards_literal():
    assert search.escape_like("50%_rabat\\") == "50\\%\\_rabat\\\\"
    assert search.escape_like("faktura") == "faktura"


@pytest.mark.parametrize(
    ("text", "term", "found"),
    [
        ("50% rabat", "50%", True),
        ("500 rabat", "50%", False),  # % is not "anything"
        ("a_b", "a_b", True),
        ("axb", "a_b", False),  # _ is not "any one character"
        ("C:\\mappe", "C:\\m", True),
        ("C:mappe", "C:\\m", False),  # \ is itself, not an escape
    ],
)
def test_contains_and_begins_match_the_text_as_typed(sql, text, term, found):
    assert sql(search.contains(literal(text), term)) is found
    assert sql(search.begins(literal(text), term)) is found


def test_folding_covers_danish_capitals(sql):
    assert sql(search.folded(literal("ÆBLE Østergård ÅEN"))) == "æble østergård åen"
    assert sql(search.contains(search.folded(literal("Søren ØSTERGÅRD")), "østergård")) is True
    assert sql(search.contains(literal("RPA (UiPath)"), "rpa", any_case=True)) is True
    assert sql(search.contains(literal("RPA (UiPath)"), "rpa")) is False


def test_prefix_terms_keep_letters_and_digits_only():
    assert search.prefix_terms("faktura løn") == "faktura:* & løn:*"
    # Operators, punctuation and one-letter words never reach to_tsquery.
    assert search.prefix_terms("a OR b's & (x) !løn") == "bs:* & løn:*"
    assert search.prefix_terms("a") == ""


def test_the_danish_prefix_query_finds_words_inside_compounds(sql):
    def matches(document: str, q: str) -> bool:
        vector = func.to_tsvector(search.TEXT_SEARCH_CONFIG, document)
        return sql(vector.op("@@")(search.tsquery(q)))

    assert matches("Fakturahåndtering i økonomi", "faktura")
    assert matches("Sygedagpenge opfølgning", "sygedag")
    assert matches("Sygedagpenge opfølgning", '"sygedagpenge opfølgning"')  # a phrase
    assert not matches("Sygedagpenge opfølgning", "faktura")
    # Punctuation that would break to_tsquery is no error.
    assert not matches("Sygedagpenge", "faktura:* & | ! (")


def _without_marks(html: str) -> str:
    return html.replace("<mark>", "").replace("</mark>", "")


def test_highlight_escapes_the_text_and_marks_the_matches(sql):
    # ts_headline drops what its parser reads as tags, but passes < > & " through.
    document = 'Fakturahåndtering koster mindre < mere & "hurtigere" > <script>alert(1)</script>'
    html = search.highlight(sql(search.headline(literal(document), "faktura")))
    assert isinstance(html, Markup)
    assert "<mark>Fakturahåndtering</mark>" in html
    assert "mindre &lt; mere &amp; &#34;hurtigere" in html
    assert "<" not in _without_marks(html) and ">" not in _without_marks(html)
    assert search.highlight(None) is None


def test_highlight_escapes_whatever_the_database_hands_back():
    """An XSS attempt that reaches the snippet whole (as text: ts_headline or not) is text."""
    marked = '\x01faktura\x02 <script>alert("x")</script> <img src=x onerror=alert(1)>'
    html = search.highlight(marked)
    assert html.startswith("<mark>faktura</mark> ")
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "<" not in _without_marks(html)


def test_markers_typed_into_the_text_cannot_open_a_mark(sql):
    """The control characters ts_headline marks with become spaces in the document, so every
    <mark> in the output is ts_headline's own, and balanced."""
    document = "\x01 løn \x02 faktura \x02\x01 \x01"
    html = str(search.highlight(sql(search.headline(literal(document), "faktura"))))
    assert html.count("<mark>") == html.count("</mark>") == 1
    assert "\x01" not in html and "\x02" not in html

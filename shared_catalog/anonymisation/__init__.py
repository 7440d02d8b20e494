"""The catalogue's anonymiser: what in a process's text points at a person or a case.

`find` runs Presidio on a blank Danish spaCy pipeline with our own Danish recognizers
(`recognizers.py`); the engine is built on first use, once per process (`engine.py`), so
importing this module costs nothing and a gunicorn master never holds one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

KIND_LABELS = {
    "navn": _l("Navn"),
    "cpr": _l("CPR-nummer"),
    "email": _l("E-mail"),
    "telefon": _l("Telefon"),
    "adresse": _l("Adresse"),
    "sagsnummer": _l("Sagsnummer"),
    "kontonummer": _l("Kontonummer"),
}

# The placeholders are part of the published text, which every municipality reads in Danish,
# so they come from the Danish labels, not from the reader's language.
PLACEHOLDERS = {
    "navn": "[navn]",
    "cpr": "[cpr-nummer]",
    "email": "[e-mail]",
    "telefon": "[telefon]",
    "adresse": "[adresse]",
    "sagsnummer": "[sagsnummer]",
    "kontonummer": "[kontonummer]",
}


@dataclass(frozen=True)
class Finding:
    start: int  # offset in the text (Python str index)
    end: int  # exclusive
    kind: str  # one of KIND_LABELS
    text: str  # text[start:end]


def find(text: str, known_names: Iterable[str] = ()) -> list[Finding]:
    """Sorted by start, non-overlapping. known_names: full names of the publishing
    municipality's own users and contacts (their first names count too)."""
    from .engine import analyse

    return [
        Finding(start, end, kind, text[start:end])
        for start, end, kind in analyse(text, tuple(known_names))
    ]


def redact(text: str, findings: Iterable[Finding]) -> str:
    """The text with each finding replaced by its placeholder "[<label lower-case>]"."""
    from .engine import anonymise

    # Overlapping findings (a publisher's own mark over an automatic one) redact their union,
    # under the kind of the one that starts first.
    disjoint: list[tuple[int, int, str]] = []
    for finding in sorted(findings, key=lambda f: (f.start, -f.end)):
        if disjoint and finding.start < disjoint[-1][1]:
            start, end, kind = disjoint[-1]
            disjoint[-1] = (start, max(end, finding.end), kind)
        elif finding.end > finding.start:
            disjoint.append((finding.start, finding.end, finding.kind))
    return anonymise(text, disjoint, PLACEHOLDERS) if disjoint else text

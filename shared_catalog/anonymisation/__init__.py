"""STAND-IN for the anonymiser (docs: the agreed interface in ANON_API.md): e-mail and CPR by
regular expression and the publishing municipality's known names by exact match, nothing more.

It is replaced by the real anonymiser (Presidio with Danish recognizers, built in parallel)
when the branches are merged; nothing else in the catalogue depends on how it finds things,
only on `KIND_LABELS`, `Finding`, `find` and `redact` below."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

KIND_LABELS: dict[str, LazyString] = {
    "navn": _l("Navn"),
    "cpr": _l("CPR-nummer"),
    "email": _l("E-mail"),
    "telefon": _l("Telefon"),
    "adresse": _l("Adresse"),
    "sagsnummer": _l("Sagsnummer"),
    "kontonummer": _l("Kontonummer"),
}

# Placeholders are fixed Danish words, whatever the request's language.
_PLACEHOLDERS = {
    "navn": "[navn]",
    "cpr": "[cpr-nummer]",
    "email": "[e-mail]",
    "telefon": "[telefon]",
    "adresse": "[adresse]",
    "sagsnummer": "[sagsnummer]",
    "kontonummer": "[kontonummer]",
}

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_CPR = re.compile(r"(?<!\d)(?:0[1-9]|[12]\d|3[01])(?:0[1-9]|1[0-2])\d{2}-?\d{4}(?!\d)")


@dataclass(frozen=True)
class Finding:
    start: int
    end: int
    kind: str
    text: str


def _name_patterns(known_names: Iterable[str]) -> list[re.Pattern[str]]:
    names = {n.strip() for n in known_names if n and n.strip()}
    names |= {n.split()[0] for n in names if len(n.split()) > 1}
    # Longest first, so a full name wins over its first name.
    return [
        re.compile(rf"(?<!\w){re.escape(n)}(?!\w)") for n in sorted(names, key=len, reverse=True)
    ]


def find(text: str, known_names: Iterable[str] = ()) -> list[Finding]:
    """Sorted by start, non-overlapping."""
    candidates: list[Finding] = []
    for kind, pattern in (("email", _EMAIL), ("cpr", _CPR)):
        candidates += [Finding(m.start(), m.end(), kind, m.group()) for m in pattern.finditer(text)]
    for pattern in _name_patterns(known_names):
        candidates += [
            Finding(m.start(), m.end(), "navn", m.group()) for m in pattern.finditer(text)
        ]
    found: list[Finding] = []
    for f in sorted(candidates, key=lambda f: (f.start, -(f.end - f.start))):
        if not found or f.start >= found[-1].end:
            found.append(f)
    return found


def redact(text: str, findings: Iterable[Finding]) -> str:
    out, at = [], 0
    for f in sorted(findings, key=lambda f: f.start):
        out += [text[at : f.start], _PLACEHOLDERS[f.kind]]
        at = f.end
    return "".join(out) + text[at:]

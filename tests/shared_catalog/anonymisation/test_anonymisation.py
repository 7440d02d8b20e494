"""The anonymiser on our own corpus of Danish process texts, and its promises: placeholders,
no network, one engine per process."""

from __future__ import annotations

import json
import socket
from collections import Counter
from pathlib import Path

import pytest

from autoproces.shared_catalog.anonymisation import KIND_LABELS, Finding, find, redact

HERE = Path(__file__).parent


def _corpus(name: str) -> list[dict]:
    lines = (HERE / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def score(cases: list[dict]) -> dict[str, dict[str, float]]:
    """Recall and precision per kind and overall, a finding counting when kind and exact
    text match an expected one."""
    tp, fp, fn = Counter(), Counter(), Counter()
    for case in cases:
        expected = Counter((f["kind"], f["text"]) for f in case["findings"])
        found = Counter((f.kind, f.text) for f in find(case["text"], case["known_names"]))
        for (kind, _text), n in (expected & found).items():
            tp[kind] += n
        for (kind, _text), n in (found - expected).items():
            fp[kind] += n
        for (kind, _text), n in (expected - found).items():
            fn[kind] += n
    figures = {}
    for kind in [*KIND_LABELS, "overall"]:
        t = sum(tp.values()) if kind == "overall" else tp[kind]
        p = sum(fp.values()) if kind == "overall" else fp[kind]
        n = sum(fn.values()) if kind == "overall" else fn[kind]
        figures[kind] = {
            "recall": round(t / (t + n), 3) if t + n else 1.0,
            "precision": round(t / (t + p), 3) if t + p else 1.0,
            "expected": t + n,
            "found": t + p,
        }
    return figures


def test_the_corpus_is_big_enough_and_well_formed():
    cases = _corpus("corpus.jsonl")
    assert len(cases) >= 60
    assert sum(c["vocabulary"] for c in cases) >= 20  # the hard negatives
    kinds = {f["kind"] for c in cases for f in c["findings"]}
    assert kinds == set(KIND_LABELS)
    for case in cases:
        for finding in case["findings"]:
            assert finding["text"] in case["text"]


def test_recall_and_precision_on_our_corpus():
    figures = score(_corpus("corpus.jsonl"))
    print(json.dumps(figures, indent=1))
    assert figures["overall"]["recall"] >= 0.98, figures
    assert figures["overall"]["precision"] >= 0.95, figures


def test_recall_and_precision_on_the_held_out_cases():
    """15 cases written last and never tuned on (heldout.jsonl); first run: recall 0.938,
    precision 1.0 (it missed "Per" in "Per og Louise …", a name that is also a word, at the
    start of a sentence); since the names' context rules (corpus_names.jsonl), 1.0 and 1.0."""
    figures = score(_corpus("heldout.jsonl"))
    print(json.dumps(figures["overall"]))
    assert figures["overall"]["recall"] >= 0.93, figures
    assert figures["overall"]["precision"] >= 0.93, figures


def test_the_names_corpus_is_big_enough_and_well_formed():
    cases = _corpus("corpus_names.jsonl")
    assert len(cases) >= 40
    assert sum(c["vocabulary"] for c in cases) >= 15
    for case in cases:
        for finding in case["findings"]:
            assert finding["kind"] in KIND_LABELS
            assert finding["text"] in case["text"]


def test_recall_and_precision_on_the_names_corpus():
    """54 cases written before the names' context rules, from municipal process texts: names
    in every position (lists, initials, double names, genitives, after titles, first names
    that are words at the start of a sentence) and the words that must survive. Before the
    rules: overall recall 0.796, precision 0.977 (names 0.694 / 0.962); after, 1.0 and 1.0.
    A municipality's name ("Aarhus Kommune", "Nyborg Kommune", though Nyborg is a surname)
    names the organisation, not a person: it is not personal data and is left as written."""
    figures = score(_corpus("corpus_names.jsonl"))
    print(json.dumps(figures, indent=1))
    assert figures["navn"]["recall"] >= 0.95, figures
    assert figures["navn"]["precision"] >= 0.95, figures
    assert figures["overall"]["recall"] >= 0.95, figures
    assert figures["overall"]["precision"] >= 0.95, figures


@pytest.mark.parametrize(
    "case",
    [c for name in ("corpus.jsonl", "corpus_names.jsonl") for c in _corpus(name)
     if c["vocabulary"]],
    ids=lambda c: c["text"][:40],
)
def test_domain_vocabulary_survives(case):
    assert find(case["text"], case["known_names"]) == []


def test_findings_are_sorted_exact_and_disjoint():
    text = "Kontakt Hanne Sørensen, Vestergade 12, 8000 Aarhus C, tlf. 23 45 67 89 (010190-1234)."
    findings = find(text)
    assert [f.kind for f in findings] == ["navn", "adresse", "telefon", "cpr"]
    for a, b in zip(findings, findings[1:], strict=False):
        assert a.end <= b.start
    assert all(text[f.start:f.end] == f.text for f in findings)


def test_redact_replaces_each_finding_with_its_placeholder():
    text = "Ring til Lars på 23 45 67 89 eller skriv til lars@aarhus.dk om sag 2023-004512."
    assert redact(text, find(text)) == (
        "Ring til [navn] på [telefon] eller skriv til [e-mail] om sag [sagsnummer]."
    )
    everything = "x 0101901234 Vestergade 1 1234-0001234567 y"
    placeholders = {
        "navn": "[navn]", "cpr": "[cpr-nummer]", "email": "[e-mail]", "telefon": "[telefon]",
        "adresse": "[adresse]", "sagsnummer": "[sagsnummer]", "kontonummer": "[kontonummer]",
    }
    for kind, placeholder in placeholders.items():
        assert redact(everything, [Finding(2, 12, kind, everything[2:12])]) == (
            f"x {placeholder} Vestergade 1 1234-0001234567 y"
        )
    # A publisher's own mark over an automatic one redacts the union once.
    overlapping = [Finding(0, 5, "navn", "Ring "), Finding(2, 8, "navn", "ng til")]
    assert redact(text, overlapping) == "[navn]" + text[8:]
    assert redact("abc", [Finding(0, 3, "cpr", "abc"), Finding(1, 2, "navn", "b")]) == (
        "[cpr-nummer]"
    )
    assert redact(text, []) == text


def test_a_country_code_in_parentheses_is_part_of_the_number():
    text = "Ring (+45) 70 20 10 31 eller (70 20 10 33)."
    assert [(f.kind, f.text) for f in find(text)] == [
        ("telefon", "(+45) 70 20 10 31"), ("telefon", "70 20 10 33")]


def test_known_names_count_with_their_first_names():
    text = "Bo har skrevet vejledningen, og bo lind-teamet ved mere end Bo Lind selv."
    found = [(f.kind, f.text) for f in find(text, ["Bo Lind"])]
    assert ("navn", "Bo Lind") in found
    assert ("navn", "Bo") in found
    assert find("Bo i kommunen er et krav.") == []  # without the known name: the verb
    # What follows a person makes it one without the known name too.
    assert [f.text for f in find("Bo har skrevet vejledningen.")] == ["Bo"]


@pytest.mark.parametrize("text, names", [
    ("Per og Louise testede robotten.", ["Per", "Louise"]),
    ("Per, Ole og Susanne var med.", ["Per", "Ole", "Susanne"]),
    ("Kim skrev til KMD.", ["Kim"]),
    ("Jensen ringede i går.", ["Jensen"]),
    ("Holm skrev til os.", ["Holm"]),
    ("Storm har væltet træer. Storm sagde ja.", ["Storm"]),  # a noun: only a person's word
    ("Mark fik vi ikke testet.", []),  # the verb's subject is "vi": "Mark" was fronted
    ("Per måned kommer 400 sager.", []),
    ("Per 1. januar overgår sagerne.", []),
    ("Vi betaler et gebyr, og Per 2 gange om året kommer der et brev.", []),
    ("Sten og jord afleveres på genbrugspladsen.", []),
    ("Bo- og Aktivitetscenter Lærkehøj og Bo og Støtte er med.", []),  # units
    ("Sankt Hans aften holder Borgerservice lukket.", []),
    ("Tages der stilling, sendes et brev.", []),  # "Tage" + s: the passive, not a genitive
    ("Sagsbehandler K. Hansen og J.K. Nielsen godkender.", ["K. Hansen", "J.K. Nielsen"]),
    ("En mail til Mettes team og Anne-Marie Holms leder.", ["Mette", "Anne-Marie Holm"]),
])
def test_the_context_of_a_name_that_is_also_a_word(text, names):
    assert [f.text for f in find(text) if f.kind == "navn"] == names


def test_the_anonymiser_needs_no_network(monkeypatch):
    def refuse(*_args, **_kwargs):
        raise OSError("no network in the anonymiser")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    from autoproces.shared_catalog.anonymisation import engine

    monkeypatch.setattr(engine, "_engines", {})  # build the engines afresh, offline
    text = "Skriv til anne@example.dk eller mette.hansen@sub.aarhus.dk, ikke til nogen@ugyldig."
    assert [f.text for f in find(text)] == ["anne@example.dk", "mette.hansen@sub.aarhus.dk"]


def test_the_engine_is_built_once_per_process_and_anew_after_a_fork(monkeypatch):
    from autoproces.shared_catalog.anonymisation import engine

    find("Kontakt Hanne.")
    first = engine.engine("analyser")
    assert engine.engine("analyser") is first
    monkeypatch.setattr(engine, "_pid", -1)  # as a forked child sees its parent's engine
    assert engine.engine("analyser") is not first


def test_importing_the_package_builds_nothing():
    import subprocess
    import sys

    code = (
        "import sys, autoproces.shared_catalog.anonymisation as a; "
        "print('spacy' in sys.modules, 'presidio_analyzer' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_placeholders_are_the_danish_labels_in_lower_case(app):
    from flask_babel import force_locale

    from autoproces.shared_catalog.anonymisation import PLACEHOLDERS

    with app.test_request_context(), force_locale("da"):
        assert PLACEHOLDERS == {k: f"[{str(label).lower()}]" for k, label in KIND_LABELS.items()}
    with app.test_request_context(), force_locale("en"):
        assert str(KIND_LABELS["cpr"]) == "CPR number"  # translated for the interface

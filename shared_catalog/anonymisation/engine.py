"""The Presidio engines, built on first use, once per process.

Nothing here runs at import: a gunicorn master imports the app but never anonymises, so each
worker builds its own engine after the fork (and a process that inherited one from its parent
builds a fresh one rather than share spaCy's state across the fork).
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from . import recognizers

LANGUAGE = "da"

_lock = threading.Lock()
_engines: dict[str, Any] = {}
_pid: int | None = None


def _build_analyser() -> Any:
    import spacy
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import SpacyNlpEngine

    class BlankDanishNlpEngine(SpacyNlpEngine):
        """spaCy's Danish tokenizer without a trained model: Presidio's default engine would
        load (and download) en_core_web_lg; our recognizers need tokens only."""

        def load(self) -> None:
            self.nlp = {LANGUAGE: spacy.blank(LANGUAGE)}

    # Presidio logs every recognizer it loads and every analysis at INFO: noise in a worker's log.
    logging.getLogger("presidio-analyzer").setLevel(logging.WARNING)
    nlp_engine = BlankDanishNlpEngine(models=[{"lang_code": LANGUAGE, "model_name": "blank"}])
    nlp_engine.load()
    registry = RecognizerRegistry(supported_languages=[LANGUAGE])
    for recognizer in recognizers.build():
        registry.add_recognizer(recognizer)
    return AnalyzerEngine(
        registry=registry, nlp_engine=nlp_engine, supported_languages=[LANGUAGE]
    )


def _build_anonymiser() -> Any:
    from presidio_anonymizer import AnonymizerEngine

    return AnonymizerEngine()


def engine(name: str) -> Any:
    """The process's "analyser" or "anonymiser", built on first use."""
    global _pid
    with _lock:
        if _pid != os.getpid():  # first use, or inherited across a fork
            _engines.clear()
            _pid = os.getpid()
        if name not in _engines:
            _engines[name] = _build_analyser() if name == "analyser" else _build_anonymiser()
        return _engines[name]


def analyse(text: str, known_names: tuple[str, ...]) -> list[tuple[int, int, str]]:
    """(start, end, kind) of every finding, sorted, without overlaps."""
    if not text.strip():
        return []
    ad_hoc = [recognizers.KnownNameRecognizer(known_names)] if known_names else []
    results = engine("analyser").analyze(
        text=text, language=LANGUAGE, ad_hoc_recognizers=ad_hoc, score_threshold=0.0
    )
    return recognizers.resolve(text, [(r.start, r.end, r.entity_type, r.score) for r in results])


def anonymise(text: str, spans: list[tuple[int, int, str]], placeholders: dict[str, str]) -> str:
    """Presidio's anonymiser replacing each (disjoint) span with its kind's placeholder."""
    from presidio_anonymizer.entities import OperatorConfig, RecognizerResult

    results = [RecognizerResult(kind, start, end, 1.0) for start, end, kind in spans]
    operators = {
        kind: OperatorConfig("replace", {"new_value": placeholder})
        for kind, placeholder in placeholders.items()
    }
    return engine("anonymiser").anonymize(text=text, analyzer_results=results,
                                          operators=operators).text

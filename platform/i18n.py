"""Danish first, English second."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, has_request_context, request, session
from flask_babel import Babel

LOCALES = ("da", "en")
babel = Babel()


def select_locale() -> str:
    if not has_request_context():
        return "da"
    chosen = session.get("lang") if not request.path.startswith("/api/") else None
    if chosen in LOCALES:
        return chosen
    if request.path.startswith("/api/"):
        return request.accept_languages.best_match(LOCALES) or "da"
    return "da"


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "da")
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Europe/Copenhagen")
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(Path(__file__).parent / "translations")
    babel.init_app(app, locale_selector=select_locale)

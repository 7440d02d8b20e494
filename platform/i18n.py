"""Danish first, English second."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Flask, has_request_context, request, session
from flask_babel import Babel, format_datetime, get_locale

LOCALES = ("da", "en")
# The municipalities' time zone: "today", "40 days ago" and quarters are Danish calendar days.
LOCAL_TZ = ZoneInfo("Europe/Copenhagen")
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


# The one way a date and time is written on the pages (the operator's and the
# municipality's): "1. dec. 2026 kl. 14.05", in Danish time.
DATETIME_FORMATS = {"da": "d. MMM y 'kl.' HH.mm", "en": "d MMM y, HH:mm"}


def format_when(value: datetime | None) -> str:
    """A date and time for people, in the one format of the pages (empty for None)."""
    if value is None:
        return ""
    locale = get_locale()
    language = locale.language if locale is not None else "da"
    return format_datetime(value, DATETIME_FORMATS.get(language, DATETIME_FORMATS["da"]))


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "da")
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", LOCAL_TZ.key)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(Path(__file__).parent / "translations")
    babel.init_app(app, locale_selector=select_locale)

"""Logs: one line per request, JSON in production, plain text for development.

`autoproces serve` and `autoproces worker` log JSON to standard output by default
(AUTOPROCES_LOG_FORMAT=json|text); the demo and the tests keep Flask's plain output. Every
line of a request carries its request id: an incoming X-Request-ID when it is sane (a proxy's
or the caller's), else a new one; it is echoed in the response's X-Request-ID header.

What a line never holds: the raw path or the query string (the route is the URL rule, e.g.
`/<tenant_slug>/processer/<uuid:process_id>`, so no id or `?token=` reaches the log), a request
body or form value (a password, a process's title), a header (Authorization, Cookie), or an
address. gunicorn's own access log would print the request line with its query string, so
`serve` turns it off; this line replaces it. As a net under all that, a message that looks
like it carries a credential is scrubbed (`scrub`).
"""

from __future__ import annotations

import json
import logging
import re
import time
import traceback
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, has_request_context, request, request_finished
from flask import request_started as flask_request_started

FORMATS = ("json", "text")
REQUEST_ID_HEADER = "X-Request-ID"
# Enough for a UUID or a proxy's trace id; nothing that could break a line or a JSON string.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{8,128}")
REQUEST_LOGGER = "autoproces.request"
# The fields a request line adds to a record (and only these).
REQUEST_FIELDS = ("method", "route", "endpoint", "status", "duration_ms", "tenant")

_SECRETS = re.compile(
    r"(?i)(bearer\s+|basic\s+|(?:password|passwd|token|secret|api[_-]?key|cookie|session)"
    r"[\"']?\s*[=:]\s*[\"']?)[^\s\"'&,;]+"
)


def scrub(message: str) -> str:
    """A credential-looking value in a message becomes `[redacted]`."""
    return _SECRETS.sub(r"\1[redacted]", message)


class RequestContext(logging.Filter):
    """Adds the request id (and tenant) to every record logged while a request is served."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            if not hasattr(record, "request_id"):
                record.request_id = g.get("request_id")
            if not hasattr(record, "tenant"):
                # Never the ORM row: after the commit, reading it would query the database.
                record.tenant = g.get("tenant_slug")
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the request's fields and,
    for an exception, its type and traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": scrub(record.getMessage()),
        }
        for key in ("request_id", *REQUEST_FIELDS):
            value = getattr(record, key, None)
            if value is not None:
                entry[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            entry["exc_type"] = record.exc_info[0].__name__
            entry["exc"] = scrub("".join(traceback.format_exception(*record.exc_info)))
        elif record.exc_text:
            entry["exc"] = scrub(record.exc_text)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """Plain lines for a developer's terminal, scrubbed like the JSON ones."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = scrub(super().format(record))
        request_id = getattr(record, "request_id", None)
        return f"{line} [{request_id}]" if request_id else line


class StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stdout is at the time (not the one at configuration)."""

    def __init__(self) -> None:
        super().__init__()

    @property  # type: ignore[override]
    def stream(self) -> Any:
        import sys

        return sys.stdout

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def logging_config(log_format: str) -> dict[str, Any]:
    """The `logging.config.dictConfig` for `serve` (given to gunicorn too, so its own
    messages come out the same way) and `worker`."""
    formatter = "json" if log_format == "json" else "text"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request": {"()": RequestContext}},
        "formatters": {
            "json": {"()": JsonFormatter},
            "text": {"()": TextFormatter},
        },
        "handlers": {
            "console": {
                "()": StdoutHandler,
                "formatter": formatter,
                "filters": ["request"],
            }
        },
        "root": {"level": "INFO", "handlers": ["console"]},
        "loggers": {
            # gunicorn's messages through the handler above; its access log stays off.
            "gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
            "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
        },
    }


def configure(log_format: str) -> Callable[[], None]:
    """Log to standard output as `log_format` (json or text) from now on. Returns what puts
    the root logger back as it was (a command run inside another process, e.g. a test)."""
    import logging.config

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    logging.config.dictConfig(logging_config(log_format))
    logging.captureWarnings(True)  # a library's warning is a line like any other

    def restore() -> None:
        logging.captureWarnings(False)
        for handler in root.handlers[:]:
            root.removeHandler(handler)
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(level)

    return restore


# --- One line per request ---------------------------------------------------------------------


def _request_id() -> str:
    given = request.headers.get(REQUEST_ID_HEADER, "")
    return given if SANE_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex


def _started(sender: Flask, **extra: Any) -> None:
    g.request_id = _request_id()
    g._log_started = time.perf_counter()


def _finished(sender: Flask, response: Response, **extra: Any) -> None:
    started = g.pop("_log_started", None)
    if started is None:
        return
    response.headers[REQUEST_ID_HEADER] = g.request_id
    duration_ms = round((time.perf_counter() - started) * 1000, 1)
    rule = request.url_rule
    route = rule.rule if rule is not None else None
    tenant = g.get("tenant_slug")  # not g.tenant: the commit has expired it
    status = response.status_code
    level = logging.ERROR if status >= 500 else logging.INFO
    logging.getLogger(REQUEST_LOGGER).log(
        level,
        "%s %s %s %.1f ms",
        request.method,
        route or "(no route)",
        status,
        duration_ms,
        extra={
            "method": request.method[:16],
            "route": route,
            "endpoint": rule.endpoint if rule is not None else None,
            "status": status,
            "duration_ms": duration_ms,
            "tenant": tenant,
        },
    )


def init_app(app: Flask) -> None:
    flask_request_started.connect(_started, app)
    request_finished.connect(_finished, app)

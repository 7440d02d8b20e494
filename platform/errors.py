"""Domain errors raised by services, and how they reach a user or an API client."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, current_app, g, jsonify, render_template, request
from flask_babel import gettext as _
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from .tenancy import TenantSuspended


class DomainError(Exception):
    status = 400

    def __init__(self, message: str = "", errors: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = dict(errors or {})


class NotFound(DomainError):
    """Does not exist, or the caller may not see it: both look the same from outside."""

    status = 404


class Forbidden(DomainError):
    status = 403


class Invalid(DomainError):
    """Input that fails a rule; `errors` maps each field to its messages."""

    status = 422


class Conflict(DomainError):
    status = 409


class Unavailable(DomainError):
    """Something the answer needs (the file storage) is away for now: try again later."""

    status = 503


class Gone(DomainError):
    """Existed, but is used up (a one-time download that was taken)."""

    status = 410


def normalise_messages(messages: Any) -> Any:
    """Field errors as {field: [str, ...]} all the way down.

    marshmallow leaves a lazily translated message as a bare string-like object
    rather than a list; clients and templates get the one shape.
    """
    if isinstance(messages, Mapping):
        return {key: normalise_messages(value) for key, value in messages.items()}
    if isinstance(messages, list | tuple):
        if all(not isinstance(m, Mapping | list | tuple) for m in messages):
            return [str(m) for m in messages]
        return [normalise_messages(m) for m in messages]
    return [str(messages)]


def wants_json() -> bool:
    return request.path.startswith("/api/")


def json_error(status: int, message: str, errors: Mapping[str, Any] | None = None) -> Any:
    """The one error shape of the API (the same keys flask-smorest uses)."""
    from werkzeug.http import HTTP_STATUS_CODES

    body: dict[str, Any] = {
        "code": status,
        "status": HTTP_STATUS_CODES.get(status, "Error"),
        "message": message,
    }
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    return response


ERROR_TITLES = {
    400: lambda: _("Forespørgslen kunne ikke forstås"),
    401: lambda: _("Du skal logge ind"),
    403: lambda: _("Du har ikke adgang"),
    404: lambda: _("Siden findes ikke"),
    405: lambda: _("Handlingen er ikke tilladt"),
    409: lambda: _("Der er sket en ændring i mellemtiden"),
    410: lambda: _("Findes ikke længere"),
    413: lambda: _("Filen er for stor"),
    422: lambda: _("Oplysningerne kunne ikke gemmes"),
    429: lambda: _("For mange forsøg"),
    503: lambda: _("Tjenesten er ikke tilgængelig lige nu"),
    500: lambda: _("Der skete en fejl"),
}


def api_message(e: HTTPException, data: Mapping[str, Any]) -> str:
    """The API's one rule for messages: the platform's own texts, translated like the pages
    (Danish, or English with Accept-Language: en), as the field messages are. A message our
    code gave is kept; Werkzeug's and the rate limiter's English defaults never reach a
    client."""
    if data.get("message"):
        return str(data["message"])
    given = e.description != type(e).description and e.code != 429
    if given and e.description:
        return str(e.description)
    return ERROR_TITLES.get(e.code or 500, ERROR_TITLES[500])()


def html_error(status: int, message: str = "", reasons: list[str] | None = None) -> Any:
    """The Danish error page; `reasons` are the rule's own words (a domain error's field
    messages), shown under the message."""
    title = ERROR_TITLES.get(status, ERROR_TITLES[500])()
    page = render_template(
        "errors/error.html", status=status, title=title, message=message, reasons=reasons or []
    )
    return page, status


def rollback_quietly() -> None:
    """Roll the request's transaction back; a connection already gone is no error (the pool
    replaces it)."""
    from .db import db

    try:
        db.session.rollback()
    except Exception:
        current_app.logger.debug("rollback failed", exc_info=True)


# The database cannot be reached (down, restarting, out of connections): a client should
# come back shortly, not file a bug.
DATABASE_UNAVAILABLE = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,
)
RETRY_AFTER_SECONDS = 30
# SQLSTATE classes of an outage: connection (08), resources (53), operator intervention such
# as a shutdown or a cancelled query (57), a rollback to retry (40). No code: no answer at all.
OUTAGE_SQLSTATE_CLASSES = ("08", "53", "57", "40")
# And a lock not had within the request's lock_timeout (db.py): busy, not broken.
OUTAGE_SQLSTATES = ("55P03",)


def is_outage(e: Exception) -> bool:
    """True when the database is away or overloaded; False for an error of ours that happens
    to be an OperationalError (it is answered 503 all the same, but logged as a bug)."""
    code = getattr(getattr(e, "orig", None), "pgcode", None)
    return code is None or str(code)[:2] in OUTAGE_SQLSTATE_CLASSES or code in OUTAGE_SQLSTATES


def database_unavailable(e: Exception) -> Any:
    """The answer while the database is away: the Danish 503 page, or JSON under /api/,
    with Retry-After. Also used when the request's commit fails (app.py)."""
    if is_outage(e):
        current_app.logger.warning("database unavailable: %s", e.__class__.__name__)
    else:
        current_app.logger.error("database error answered 503", exc_info=e)
    rollback_quietly()
    # The page must render without the database: no tenant or user left to load.
    g.tenant = None
    g._login_user = current_app.login_manager.anonymous_user()  # type: ignore[attr-defined]
    message = _("Databasen svarer ikke lige nu. Prøv igen om lidt.")
    if wants_json():
        response = json_error(503, message)
    else:
        body, _status = html_error(503, message)
        response = current_app.make_response((body, 503))
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def register_error_handlers(app: Flask) -> None:
    for exception in DATABASE_UNAVAILABLE:
        app.register_error_handler(exception, database_unavailable)

    @app.errorhandler(sa_exc.DataError)
    def _data_refused(e: sa_exc.DataError) -> Any:
        # The last net under the schemas' limits (a value too long for its column, a number
        # out of range): bad input, so a 422. A schema should have named the field first.
        current_app.logger.warning("input refused by the database: %s", e.orig)
        rollback_quietly()  # the page is rendered with the session usable again
        message = _("En af værdierne er for lang eller ugyldig.")
        if wants_json():
            return json_error(422, message)
        return html_error(422, message)

    @app.errorhandler(StaleDataError)
    def _changed_meanwhile(e: StaleDataError) -> Any:
        # A row changed or was deleted by another request between reading and writing it.
        rollback_quietly()
        message = _("Der er sket en ændring i mellemtiden. Hent siden igen.")
        if wants_json():
            return json_error(409, message)
        return html_error(409, message)

    @app.errorhandler(HTTPException)
    def _http(e: HTTPException) -> Any:
        status = e.code or 500
        if wants_json():
            data = getattr(e, "data", None) or {}
            # webargs puts field errors on the exception, keyed by location ("json", "query")
            errors = data.get("errors") or data.get("messages")
            errors = normalise_messages(errors) if errors else None
            response = json_error(status, api_message(e, data), errors)
            for key, value in (data.get("headers") or {}).items():
                response.headers[key] = value
            if status == 401:
                response.headers.setdefault("WWW-Authenticate", 'Bearer realm="autoproces"')
            return response
        return html_error(status)

    @app.errorhandler(DomainError)
    def _domain(e: DomainError) -> Any:
        if wants_json():
            return json_error(e.status, e.message, {"json": e.errors} if e.errors else None)
        messages = normalise_messages(e.errors) if e.errors else {}
        reasons = list(
            dict.fromkeys(
                str(m)
                for ms in messages.values()
                for m in (ms if isinstance(ms, list) else [ms])
                if isinstance(m, str) and str(m) != str(e.message)
            )
        )
        return html_error(e.status, e.message, reasons)

    @app.errorhandler(TenantSuspended)
    def _suspended(e: TenantSuspended) -> Any:
        if wants_json():
            return json_error(403, _("Kommunens adgang er suspenderet."))
        return (
            render_template("errors/suspended.html", suspended_tenant=e.tenant),
            403,
        )

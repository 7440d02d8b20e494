"""Prometheus metrics: `/metrics` of the web app and of `autoproces worker`.

Several gunicorn workers each count their own requests, so the web app uses prometheus_client's
multiprocess mode: `autoproces serve` points PROMETHEUS_MULTIPROC_DIR at a directory cleaned at
every start (a fresh temporary one unless given), each process writes its values there, and a
scrape, answered by any worker, adds them up. A worker that exits is marked dead (gunicorn's
`child_exit`), so its live gauges drop out while its counters stay counted.
prometheus_client picks its storage when first imported: this module is imported only after
`serve` has set the directory (observability.prepare_multiprocess_dir).

Labels are bounded: the Flask endpoint name (never the path, which carries ids), the method
(unknown ones as "other") and the status code. No tenant and no personal data in any label: the
request log line carries the tenant (logs.py).

Who may scrape (`refusal`): with AUTOPROCES_METRICS_TOKEN set, whoever sends it as a bearer
token; without it, only loopback and private addresses, and never a request that came
through a proxy (an ingress forwards with X-Forwarded-For from its own private address).
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, request, request_finished
from flask import request_started as flask_request_started
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import event, text

KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
FORWARDING_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-IP")

bp = Blueprint("metrics", __name__)


# As prometheus_client decided when it was imported (with this module): set later, the
# variable changes nothing.
MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


REQUESTS = Counter(
    "autoproces_http_requests",
    "HTTP requests answered, by Flask endpoint, method and status.",
    ["endpoint", "method", "status"],
)
LATENCY = Histogram(
    "autoproces_http_request_duration_seconds",
    "Time to answer an HTTP request, by Flask endpoint and method.",
    ["endpoint", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
# Per process; summed over the live ones (a dead worker's pool is gone with it).
POOL_CHECKED_OUT = Gauge(
    "autoproces_db_pool_checked_out",
    "Database connections in use, summed over the live processes.",
    multiprocess_mode="livesum",
)
POOL_SIZE = Gauge(
    "autoproces_db_pool_size",
    "Database pool capacity (without overflow), summed over the live processes.",
    multiprocess_mode="livesum",
)
WORKER_PASSES = Counter(
    "autoproces_worker_passes", "Passes of `autoproces worker` over the outbox and its jobs."
)
WORKER_SENT = Counter("autoproces_worker_messages_sent", "E-mails the mail server accepted.")
WORKER_FAILED = Counter(
    "autoproces_worker_messages_failed",
    "E-mails not sent on a try (retried later, or failed for good after the last try).",
)
WORKER_ERRORS = Counter(
    "autoproces_worker_pass_errors", "Worker passes cut short (the database was unreachable)."
)
WORKER_LAST_PASS = Gauge(
    "autoproces_worker_last_pass_timestamp_seconds",
    "When the worker last finished a pass (Unix time).",
    multiprocess_mode="max",
)


def record_worker_pass(sent: int = 0, failed: int = 0, error: bool = False) -> None:
    """One pass of `autoproces worker` (outbox/sender.py)."""
    WORKER_PASSES.inc()
    if error:
        WORKER_ERRORS.inc()
        return
    WORKER_SENT.inc(sent)
    WORKER_FAILED.inc(failed)
    WORKER_LAST_PASS.set(time.time())


def child_exit(server: Any, worker: Any) -> None:
    """gunicorn's `child_exit` hook: a worker's live gauges leave the sum with it."""
    multiprocess.mark_process_dead(worker.pid)


def forget_this_process() -> None:
    """The gunicorn master, once done with the database: its own pool is not serving."""
    if MULTIPROCESS:
        multiprocess.mark_process_dead(os.getpid())


# --- Who may scrape ---------------------------------------------------------------------------


def refusal(remote_addr: str | None, headers: Mapping[str, str], token: str) -> int | None:
    """The status to refuse a scrape with (401, 403), or None to answer it."""
    if token:
        given = headers.get("Authorization", "")
        scheme, _, value = given.partition(" ")
        ok = scheme.lower() == "bearer" and hmac.compare_digest(
            value.strip().encode(), token.encode()
        )
        return None if ok else 401
    if any(headers.get(h) for h in FORWARDING_HEADERS):
        return 403
    try:
        address = ipaddress.ip_address((remote_addr or "").split("%")[0])
    except ValueError:
        return 403
    mapped = getattr(address, "ipv4_mapped", None)
    address = mapped or address
    return None if address.is_loopback or address.is_private else 403


# --- The scrape -------------------------------------------------------------------------------


class OutboxCollector:
    """The outbox's length and the age of its oldest pending message, read at scrape time
    across tenants through `outbox_stats()` (migration 0024: counts only)."""

    def __init__(self, read: Callable[[], Any]) -> None:
        self.read = read

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily(
            "autoproces_outbox_stats_up", "Whether the outbox could be read for this scrape."
        )
        try:
            row = self.read()
        except Exception:  # the database is away: say so, and answer the rest
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        pending = GaugeMetricFamily(
            "autoproces_outbox_pending_messages", "E-mails waiting to be sent, all tenants."
        )
        pending.add_metric([], row.pending)
        yield pending
        age = GaugeMetricFamily(
            "autoproces_outbox_oldest_pending_age_seconds",
            "Age of the oldest e-mail waiting to be sent (0 when none).",
        )
        age.add_metric([], row.oldest_pending_seconds)
        yield age


def exposition(extra: Iterable[Any] = ()) -> bytes:
    """Every process's metrics (summed in multiprocess mode) and the `extra` collectors."""
    if MULTIPROCESS:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        body = generate_latest(registry)
    else:
        body = generate_latest(REGISTRY)
    live = CollectorRegistry()
    for collector in extra:
        live.register(collector)
    return body + generate_latest(live)


def _read_outbox() -> Any:
    from .db import db

    try:
        return db.session.execute(text("select * from outbox_stats()")).one()
    except Exception:
        db.session.rollback()
        raise


@bp.get("/metrics")
def metrics_view() -> Response:
    settings = current_app.config["AUTOPROCES_SETTINGS"]
    status = refusal(request.remote_addr, request.headers, settings.metrics_token)
    if status is not None:
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
        return Response("refused\n", status, headers, mimetype="text/plain")
    body = exposition([OutboxCollector(_read_outbox)])
    return Response(body, 200, {"Cache-Control": "no-store"}, content_type=CONTENT_TYPE_LATEST)


# --- Counting requests and the pool -----------------------------------------------------------


def _started(sender: Flask, **extra: Any) -> None:
    g._metrics_started = time.perf_counter()


def _finished(sender: Flask, response: Response, **extra: Any) -> None:
    started = g.pop("_metrics_started", None)
    if started is None:
        return
    rule = request.url_rule
    endpoint = rule.endpoint if rule is not None else "<unmatched>"
    method = request.method if request.method in KNOWN_METHODS else "other"
    REQUESTS.labels(endpoint, method, str(response.status_code)).inc()
    LATENCY.labels(endpoint, method).observe(time.perf_counter() - started)


def _watch_pool(engine: Any) -> None:
    def update(*args: Any) -> None:
        pool = engine.pool
        POOL_CHECKED_OUT.set(pool.checkedout())
        size = getattr(pool, "size", None)
        if callable(size):
            POOL_SIZE.set(size())

    # The listeners belong to the pool's dispatch, which a recreated pool (after a fork) keeps.
    for name in ("checkout", "checkin", "connect"):
        event.listen(engine, name, update)


def init_app(app: Flask) -> None:
    from .db import db

    app.register_blueprint(bp)
    flask_request_started.connect(_started, app)
    request_finished.connect(_finished, app)
    with app.app_context():
        for engine in db.engines.values():
            _watch_pool(engine)


# --- The worker's own endpoint ----------------------------------------------------------------


def worker_metrics_app(token: str) -> Callable[..., Any]:
    """A WSGI app for `autoproces worker --metrics-port`: the worker's counters (and, in
    multiprocess mode, everything else in the directory), refused as `/metrics` refuses."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        headers = {
            "Authorization": environ.get("HTTP_AUTHORIZATION", ""),
            **{
                h: environ.get("HTTP_" + h.upper().replace("-", "_"), "")
                for h in FORWARDING_HEADERS
            },
        }
        status = refusal(environ.get("REMOTE_ADDR"), headers, token)
        if environ.get("PATH_INFO") not in ("/", "/metrics"):
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found\n"]
        if status is not None:
            reason = "401 Unauthorized" if status == 401 else "403 Forbidden"
            extra = [("WWW-Authenticate", "Bearer")] if status == 401 else []
            start_response(reason, [("Content-Type", "text/plain"), *extra])
            return [b"refused\n"]
        start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST)])
        return [exposition()]

    return app


def serve_worker_metrics(host: str, port: int, token: str) -> Any:
    """Answer the worker's metrics on host:port in a daemon thread; returns the server."""
    import threading
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    from prometheus_client.exposition import ThreadingWSGIServer

    class Quiet(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass  # a scrape every few seconds is not news

    server = make_server(host, port, worker_metrics_app(token), ThreadingWSGIServer, Quiet)
    threading.Thread(target=server.serve_forever, daemon=True, name="metrics").start()
    return server

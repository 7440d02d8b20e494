"""Metrics and logs of `autoproces serve` as production runs it: several gunicorn workers.

Each worker counts in its own file (prometheus_client's multiprocess mode) and whichever
worker answers a scrape adds them all up: 40 requests spread over 3 workers are 40 in every
scrape. Every line the server writes is JSON, one per request with its request id, and no
password, token, cookie or process title is in any of them.
"""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import threading
import time
from collections import Counter
from io import StringIO

import pyotp
import pytest
import requests
from click.testing import CliRunner
from helpers import app_env, bearer
from prometheus_client.parser import text_string_to_metric_families
from test_serve import Server, _shared_limits

from autoproces.platform.cli import main

METRICS_TOKEN = "metrics-token-Qw7e9r"
REQUESTS_TOTAL = "autoproces_http_requests_total"


def _samples(body: str) -> list[tuple[str, dict[str, str], float]]:
    return [
        (s.name, s.labels, s.value)
        for family in text_string_to_metric_families(body)
        for s in family.samples
    ]


def _count(body: str, endpoint: str, status: str = "200") -> float:
    return sum(
        v
        for name, labels, v in _samples(body)
        if name == REQUESTS_TOTAL
        and labels.get("endpoint") == endpoint
        and labels.get("status") == status
    )


def _value(body: str, name: str) -> float:
    return sum(v for n, labels, v in _samples(body) if n == name and not labels)


def _scrape(base: str) -> str:
    r = requests.get(f"{base}/metrics", headers=bearer(METRICS_TOKEN), timeout=10)
    assert r.status_code == 200, r.text
    return r.text


@pytest.mark.slow
def test_metrics_add_up_over_three_workers(database, make, tmp_path):
    tokens = {}
    for slug in ("metrika", "metrikb"):
        user = make.user(make.tenant(slug), "automation")
        make.process(user, title=f"{slug} proces")
        tokens[slug] = make.token(user)
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    stale = metrics_dir / "counter_1.db"
    stale.write_bytes(b"left from an earlier start")
    server = Server(
        database,
        tmp_path,
        3,
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
        AUTOPROCES_METRICS_TOKEN=METRICS_TOKEN,
        **_shared_limits(),
    )
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    try:
        server.wait_ready()
        assert not stale.exists()  # cleaned at start: an earlier run's values are not counted
        base = server.base

        def client(n: int) -> None:
            slug = ("metrika", "metrikb")[n % 2]
            for _ in range(5):
                # A new connection each time: any of the three workers may take it.
                r = requests.get(f"{base}/api/v1/me", headers=bearer(tokens[slug]), timeout=30)
                with lock:
                    statuses[r.status_code] += 1

        threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert statuses == {200: 40}, statuses
        answered = {p.name for p in metrics_dir.glob("counter_*.db")}
        assert len(answered) >= 2, answered  # the requests were spread over several workers

        # The token is enforced, from loopback too.
        assert requests.get(f"{base}/metrics", timeout=10).status_code == 401
        wrong = requests.get(f"{base}/metrics", headers=bearer("nope"), timeout=10)
        assert wrong.status_code == 401

        # Every scrape, whichever worker answers it, has all 40.
        scrapes = [_scrape(base) for _ in range(6)]
        endpoint = next(
            labels["endpoint"]
            for name, labels, _ in _samples(scrapes[0])
            if name == REQUESTS_TOTAL
            and labels.get("status") == "200"
            and "me" in labels["endpoint"]
        )
        assert [_count(body, endpoint) for body in scrapes] == [40] * 6, endpoint
        body = scrapes[-1]
        histogram = [
            v
            for n, labels, v in _samples(body)
            if n == "autoproces_http_request_duration_seconds_count"
            and labels.get("endpoint") == endpoint
        ]
        assert sum(histogram) == 40
        assert 'le="0.1"' in body and "autoproces_http_request_duration_seconds_bucket" in body
        assert _value(body, "autoproces_outbox_stats_up") == 1
        assert _value(body, "autoproces_outbox_pending_messages") >= 0
        # Three workers' pools: each one's size, summed over the live processes (not the
        # master's, which only checked the database before forking).
        assert _value(body, "autoproces_db_pool_size") % 5 == 0
        assert 5 <= _value(body, "autoproces_db_pool_size") <= 15
        assert _value(body, "autoproces_db_pool_checked_out") >= 0
        assert not any(s in body for s in (*tokens.values(), "metrika", "metrikb", "/api/v1/me")), (
            "no token, tenant or path in a label"
        )

        # A worker that dies leaves the live sums; its counts stay counted.
        live = sorted(metrics_dir.glob("gauge_livesum_*.db"))
        assert live
        victim = int(live[0].stem.rsplit("_", 1)[1])
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 20
        while (metrics_dir / live[0].name).exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not (metrics_dir / live[0].name).exists(), "child_exit marked it dead"
        assert _count(_scrape(base), endpoint) == 40
    finally:
        output = server.stop()
    assert "Traceback" not in output, output[-3000:]


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, html[:500]
    return match.group(1)


def _cookie_header(response: requests.Response) -> str:
    # The cookies are Secure (production settings): sent back by hand over plain HTTP.
    return "; ".join(f"{c.name}={c.value}" for c in response.cookies)


@pytest.mark.slow
def test_every_line_is_json_with_the_request_and_no_secret(database, make, tmp_path):
    env = app_env(database)
    created = CliRunner().invoke(
        main, ["operators", "create", "logops@os2.dk", "--name", "Lone Log"], env=env
    )
    assert created.exit_code == 0, created.output
    password = re.search(r"^Password: (\S+)$", created.output, re.M).group(1)
    totp = re.search(r"^TOTP secret \(base32\): (\S+)$", created.output, re.M).group(1)
    user = make.user(make.tenant("logkommune"), "automation")
    api_token = make.token(user)
    title = "Xylofon-hemmeligheden om Zebrafinken 4711"
    query_secret = "qs-secret-Hh8Jj2Kk"

    server = Server(database, tmp_path, 2, **_shared_limits())
    secrets = [password, api_token, query_secret, title, "Zebrafinken"]
    ids = {}
    try:
        server.wait_ready()
        base = server.base
        page = requests.get(f"{base}/operator/login", timeout=10)
        cookie = _cookie_header(page)
        secrets += [c.value for c in page.cookies]
        login = requests.post(
            f"{base}/operator/login",
            data={
                "csrf_token": _csrf(page.text),
                "email": "logops@os2.dk",
                "password": password,
                "code": pyotp.TOTP(totp).now(),
            },
            headers={"Cookie": cookie},
            allow_redirects=False,
            timeout=10,
        )
        assert login.status_code == 302, login.text[:500]
        secrets += [c.value for c in login.cookies]
        console = requests.get(
            f"{base}/operator/", headers={"Cookie": _cookie_header(login)}, timeout=10
        )
        assert console.status_code == 200
        me = requests.get(
            f"{base}/api/v1/me",
            headers={**bearer(api_token), "X-Request-ID": "trace-0123456789abcdef"},
            timeout=10,
        )
        assert me.status_code == 200
        assert me.headers["X-Request-ID"] == "trace-0123456789abcdef"  # a sane id is kept
        listed = requests.get(
            f"{base}/api/v1/processes?token={query_secret}&per_page=5",
            headers={**bearer(api_token), "X-Request-ID": 'bad"id\\with{json}'},
            timeout=10,
        )
        assert listed.status_code == 200
        assert re.fullmatch(r"[0-9a-f]{32}", listed.headers["X-Request-ID"])  # a new one
        made = requests.post(
            f"{base}/api/v1/processes",
            json={"title": title, "summary": "Zebrafinken synger om natten."},
            headers=bearer(api_token),
            timeout=10,
        )
        assert made.status_code == 201, made.text
        process_id = made.json()["id"]
        shown = requests.get(
            f"{base}/api/v1/processes/{process_id}", headers=bearer(api_token), timeout=10
        )
        assert shown.status_code == 200
        ids = {
            "me": me.headers["X-Request-ID"],
            "listed": listed.headers["X-Request-ID"],
            "made": made.headers["X-Request-ID"],
        }
    finally:
        output = server.stop()

    lines = [line for line in output.splitlines() if line.strip()]
    entries = []
    for line in lines:
        try:
            entries.append(json.loads(line))
        except ValueError:
            pytest.fail(f"not a JSON line: {line!r}")
    for secret in secrets:
        assert secret not in output, f"{secret[:6]}… is in the log"
    assert "token=" not in output and "Bearer" not in output and "Cookie" not in output
    assert process_id not in output  # routes are URL rules: no ids of paths either
    assert any("Booting worker" in e["message"] for e in entries)  # gunicorn's, as JSON
    requests_logged = {
        e.get("request_id"): e for e in entries if e["logger"] == "autoproces.request"
    }
    for key in ("me", "listed", "made"):
        entry = requests_logged[ids[key]]
        assert {"ts", "level", "message", "method", "route", "status", "duration_ms"} <= set(entry)
        assert entry["tenant"] == "logkommune"
        assert entry["route"].startswith("/api/v1/")
        assert isinstance(entry["duration_ms"], float)
    assert requests_logged[ids["made"]]["method"] == "POST"
    assert requests_logged[ids["made"]]["status"] == 201
    shown_line = requests_logged[shown.headers["X-Request-ID"]]
    assert re.fullmatch(r"/api/v1/processes/<[a-z]+:\w+>", shown_line["route"]), shown_line
    operator_lines = [e for e in entries if (e.get("route") or "").startswith("/operator/login")]
    assert [e["method"] for e in operator_lines] == ["GET", "POST"]
    assert "tenant" not in operator_lines[1]
    # gunicorn's access log (with its query strings) is off: one line per request, ours.
    assert not any(e["logger"] == "gunicorn.access" for e in entries)


def test_an_error_is_logged_with_its_request_id_and_scrubbed(database):
    from autoproces.platform.app import create_app
    from autoproces.platform.logs import JsonFormatter, RequestContext

    app = create_app(app_env(database))

    @app.get("/boom-for-the-log-test")
    def boom():
        raise RuntimeError("failed with password=hunter2-Sekret and Bearer abcdef123456")

    out = StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestContext())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        r = app.test_client().get(
            "/boom-for-the-log-test", headers={"X-Request-ID": "boom-request-0001"}
        )
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    assert r.status_code == 500 and r.headers["X-Request-ID"] == "boom-request-0001"
    entries = [json.loads(line) for line in out.getvalue().splitlines()]
    error = next(e for e in entries if e.get("exc_type") == "RuntimeError")
    assert error["request_id"] == "boom-request-0001" and error["level"] == "error"
    line = next(e for e in entries if e["logger"] == "autoproces.request")
    assert (line["request_id"], line["status"], line["level"]) == (
        "boom-request-0001",
        500,
        "error",
    )
    assert "hunter2" not in out.getvalue() and "abcdef123456" not in out.getvalue()


def test_log_format_is_checked():
    from autoproces.platform.config import ConfigError, Settings

    assert Settings.from_env({"AUTOPROCES_LOG_FORMAT": "TEXT"}).log_format == "text"
    assert Settings.from_env({}).log_format is None
    with pytest.raises(ConfigError, match="AUTOPROCES_LOG_FORMAT"):
        Settings.from_env({"AUTOPROCES_LOG_FORMAT": "xml"})


def test_text_lines_for_development(app):
    from autoproces.platform.logs import RequestContext, TextFormatter, logging_config

    assert logging_config("text")["handlers"]["console"]["formatter"] == "text"
    out = StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(TextFormatter())
    handler.addFilter(RequestContext())
    logger = logging.getLogger("autoproces.request")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        r = app.test_client().get("/healthz?token=s3cr3t-in-the-query")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)
    line = out.getvalue().strip()
    request_id = r.headers["X-Request-ID"]
    assert re.fullmatch(
        rf"\S+ \S+ INFO autoproces\.request: GET /healthz 200 \d+\.\d ms \[{request_id}\]", line
    ), line
    assert "s3cr3t" not in line

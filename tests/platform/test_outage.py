"""The database goes away under load and comes back: `autoproces serve` with several gunicorn
workers answers every request with a success or a clean 503 (a Danish page, or JSON under
/api/) within a few seconds, /readyz says 503 while /healthz stays 200, service resumes by
itself, and every write that was acknowledged (a 2xx) is in the database afterwards.

The PostgreSQL cluster is the test's own (tests/own_postgres.py); it is restarted the way an
operator or a fail-over does it: `pg_ctl stop -m fast` (every session ended, open
transactions rolled back), a few seconds down, then started again. The figures (answers
during the outage, time to recover, writes acknowledged and found) are printed and written to
tests/benchmarks/results/outage.json for the note.
"""

from __future__ import annotations

import json
import signal
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from helpers import REPO_ROOT, UNIT_TEST_CONFIG, app_env, bearer
from own_postgres import HAS_PG_BIN, own_cluster, served_database
from sqlalchemy import create_engine, text
from test_serve import Server, _session_cookie

pytestmark = [
    pytest.mark.skipif(not HAS_PG_BIN, reason="needs PostgreSQL 15"),
    pytest.mark.slow,
]

WORKERS = 3
WRITERS_PER_TENANT = 2
MAX_LATENCY = 5.0  # seconds: no answer may take longer, outage or not
RESULTS = REPO_ROOT / "tests" / "benchmarks" / "results" / "outage.json"
PAGE_503 = "Tjenesten er ikke tilgængelig lige nu"
MESSAGE_503 = "Databasen svarer ikke lige nu. Prøv igen om lidt."


@dataclass
class Answer:
    kind: str  # write | page | readyz | healthz
    start: float
    end: float
    status: int | None  # None: no answer (refused, reset, timed out)
    body: str = ""
    title: str = ""

    @property
    def latency(self) -> float:
        return self.end - self.start


@dataclass
class Load:
    """Requests from threads until stopped; every answer kept."""

    base: str
    answers: list[Answer] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def call(self, session: requests.Session, kind: str, method: str, path: str, **kw) -> None:
        start = time.monotonic()
        try:
            r = session.request(method, self.base + path, timeout=MAX_LATENCY * 3, **kw)
            status, body = r.status_code, r.text
        except requests.RequestException as e:
            status, body = None, repr(e)
        title = (kw.get("json") or {}).get("title", "")
        with self.lock:
            self.answers.append(Answer(kind, start, time.monotonic(), status, body, title))

    def writer(self, slug: str, n: int, token: str, cookie: str) -> None:
        api = requests.Session()
        api.headers.update(bearer(token))
        pages = requests.Session()
        pages.headers["Cookie"] = f"session={cookie}"
        i = 0
        while not self.stop.is_set():
            i += 1
            if i % 4 == 0:
                self.call(pages, "page", "GET", f"/{slug}/processer")
            else:
                self.call(
                    api,
                    "write",
                    "POST",
                    "/api/v1/processes",
                    json={"title": f"{slug} udfald {n}-{i}", "summary": "Skrevet under udfald."},
                )

    def prober(self) -> None:
        session = requests.Session()
        while not self.stop.is_set():
            self.call(session, "readyz", "GET", "/readyz")
            self.call(session, "healthz", "GET", "/healthz")
            time.sleep(0.1)


def _message(body: str) -> str | None:
    try:
        return json.loads(body).get("message")
    except ValueError:
        return None


def _problem(a: Answer) -> str | None:
    """Why an answer is not acceptable at any time, if it is not."""
    if a.status is None:
        return f"{a.kind}: no answer: {a.body[:200]}"
    if a.latency > MAX_LATENCY:
        return f"{a.kind}: {a.status} after {a.latency:.1f} s"
    if a.kind == "healthz" and a.status != 200:
        return f"healthz {a.status}"
    if a.status == 503 and a.kind == "write" and _message(a.body) != MESSAGE_503:
        return f"write 503 without the message: {a.body[:300]}"
    if a.status == 503 and a.kind == "page" and PAGE_503 not in a.body:
        return f"page 503 is not the Danish page: {a.body[:300]}"
    if a.status not in (200, 201, 503):
        return f"{a.kind}: {a.status} {a.body[:300]}"
    return None


def test_a_database_restart_under_write_load_answers_503_recovers_and_loses_no_write(
    make, tmp_path
):
    from autoproces.platform.app import create_app

    with own_cluster() as cluster:
        urls = served_database(cluster)
        app = create_app(app_env(urls), **UNIT_TEST_CONFIG)
        make = type(make)(app)  # the tests' factory (conftest.py), on this cluster
        people = {}
        for slug in ("alpha", "beta"):
            user = make.user(make.tenant(slug), "automation")
            people[slug] = (make.token(user), _session_cookie(app, user))
        server = Server(urls, tmp_path, WORKERS, AUTOPROCES_ALLOW_PER_WORKER_RATE_LIMITS="1")
        load = Load(server.base)
        try:
            server.wait_ready()
            threads = [threading.Thread(target=load.prober)] + [
                threading.Thread(target=load.writer, args=(slug, n, *people[slug]))
                for slug in people
                for n in range(WRITERS_PER_TENANT)
            ]
            for t in threads:
                t.start()
            time.sleep(3)  # steady load first
            down = time.monotonic()
            cluster.stop("fast")
            time.sleep(3)  # down for a while: requests keep coming
            up_begin = time.monotonic()
            cluster.start()
            up = time.monotonic()
            time.sleep(6)  # and a while after it is back
            load.stop.set()
            for t in threads:
                t.join(timeout=30)
        finally:
            output = server.stop()
        su = create_engine(urls.su_url)
        with su.connect() as conn:
            stored = set(
                conn.scalars(text("select title from process where title like '% udfald %'"))
            )
        su.dispose()

    answers = sorted(load.answers, key=lambda a: a.start)
    problems = [p for p in map(_problem, answers) if p]
    writes = [a for a in answers if a.kind == "write"]
    acknowledged = {a.title for a in writes if a.status == 201}
    refused = {a.title for a in writes if a.status == 503}
    during = [a for a in answers if a.kind in ("write", "page") and a.end >= down]
    recovered = next((a.end for a in writes if a.start >= up and a.status == 201), float("inf"))
    ready = [a for a in answers if a.kind == "readyz"]
    figures = {
        "workers": WORKERS,
        "writers": 2 * WRITERS_PER_TENANT,
        "requests": len(answers),
        "statuses": dict(Counter(str(a.status) for a in answers if a.kind in ("write", "page"))),
        "outage_seconds": round(up - down, 2),
        "answers_from_outage_on": dict(Counter(str(a.status) for a in during)),
        "answers_503": sum(a.status == 503 for a in answers if a.kind in ("write", "page")),
        "answers_5xx_other": sum(
            a.status is not None and a.status >= 500 and a.status != 503 for a in answers
        ),
        "no_answer": sum(a.status is None for a in answers),
        "max_latency_seconds": round(max(a.latency for a in answers), 3),
        "recovery_seconds_after_database_up": round(recovered - up, 3),
        "writes_acknowledged": len(acknowledged),
        "writes_acknowledged_found": len(acknowledged & stored),
        "writes_503_found_anyway": len(refused & stored),  # committed, answer lost: allowed
        "readyz_503_while_down": sum(
            a.status == 503 for a in ready if down <= a.start and a.end <= up_begin
        ),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    print("database outage:", json.dumps(figures))

    assert not problems, "\n".join(problems[:20]) + "\n" + output[-3000:]
    assert figures["answers_503"] > 0, "the outage was never seen: the test proves nothing"
    assert acknowledged, "nothing was written"
    assert acknowledged <= stored, f"acknowledged writes lost: {sorted(acknowledged - stored)}"
    assert figures["readyz_503_while_down"] > 0
    assert ready[-1].status == 200, ready[-1]
    assert recovered - up < 5, figures
    # Once recovered, everything succeeds again (a second's grace for the other workers).
    late = [a for a in answers if a.start > recovered + 1 and a.kind != "readyz"]
    assert late and all(a.status in (200, 201) for a in late), Counter(a.status for a in late)
    # No worker died or was killed along the way.
    assert "Worker timeout" not in output and "exited" not in output, output[-3000:]
    assert "Traceback" not in output, output[output.index("Traceback") - 500 :][:5000]


def _waiting_on_a_lock(engine) -> int:
    """How many of the app's statements wait on a lock (asked afresh: the activity view is a
    snapshot for the length of a transaction)."""
    with engine.connect() as conn:
        return conn.scalar(
            text(
                "select count(*) from pg_stat_activity"
                " where wait_event_type = 'Lock' and usename = 'autoproces_app'"
            )
        )


def test_sigterm_finishes_the_requests_in_flight_and_refuses_new_ones(
    database, make, su_engine, tmp_path
):
    """`autoproces serve` stopped by SIGTERM (Kubernetes ending a pod): a request that is
    still running completes with its 200, and is committed; new connections are refused at
    once, so the load balancer sends them elsewhere. The slow request waits on a row lock
    the test holds, so it is in flight for as long as the test wants."""
    user = make.user(make.tenant("alpha"), "automation")
    token = make.token(user)
    process = make.process(user)
    server = Server(
        database,
        tmp_path,
        2,
        AUTOPROCES_ALLOW_PER_WORKER_RATE_LIMITS="1",
        AUTOPROCES_DB_LOCK_TIMEOUT="60",
    )
    answers: list = []

    def change() -> None:
        r = requests.patch(
            f"{server.base}/api/v1/processes/{process.id}",
            json={"title": "Ændret under nedlukning", "version": process.version},
            headers=bearer(token),
            timeout=60,
        )
        answers.append((r.status_code, r.text))

    slow = threading.Thread(target=change)
    try:
        server.wait_ready()
        with su_engine.connect() as conn:
            conn.execute(
                text("select 1 from process where id = :id for update"), {"id": process.id}
            )
            slow.start()
            deadline = time.monotonic() + 20
            while not _waiting_on_a_lock(su_engine):
                assert time.monotonic() < deadline and slow.is_alive(), answers
                time.sleep(0.05)
            server.proc.send_signal(signal.SIGTERM)
            time.sleep(1)
            host, port = "127.0.0.1", server.port
            with pytest.raises(ConnectionRefusedError):
                socket.create_connection((host, port), timeout=2).close()
            assert slow.is_alive() and server.proc.poll() is None  # still finishing
            conn.rollback()  # the lock goes: the slow request can finish
        slow.join(timeout=30)
        assert server.proc.wait(timeout=30) == 0, server.output()[-3000:]
    finally:
        if server.proc.poll() is None:
            server.proc.kill()
    assert [status for status, _ in answers] == [200], answers
    output = server.output()
    assert "Traceback" not in output and "Exception in worker" not in output, output[-3000:]
    with su_engine.connect() as conn:
        assert (
            conn.scalar(text("select title from process where id = :id"), {"id": process.id})
            == "Ændret under nedlukning"
        )


def _queue_mail(app, tenant, subjects: list[str]) -> None:
    from autoproces.platform.db import db, use_tenant
    from autoproces.platform.outbox.services import queue_mail

    with app.app_context():
        use_tenant(tenant.id)
        for subject in subjects:
            queue_mail(tenant.id, f"person@{tenant.slug}.dk", subject, "Hej.", "comment_added")
        db.session.commit()


def test_the_worker_survives_a_database_restart(make, tmp_path):
    """`autoproces worker` keeps running while the database restarts: it logs that the
    database is away, tries again after its interval, and sends what is queued once it is
    back."""
    import os
    import subprocess
    import sys

    from helpers import SmtpServer

    from autoproces.platform.app import create_app

    smtp = SmtpServer()
    smtp.start()
    with own_cluster() as cluster:
        urls = served_database(cluster)
        app = create_app(app_env(urls), **UNIT_TEST_CONFIG)
        tenant = type(make)(app).tenant("alpha")  # the tests' factory, on this cluster
        _queue_mail(app, tenant, ["Før 1", "Før 2"])
        log = tmp_path / "worker.log"
        env = {
            **os.environ,
            **app_env(urls, SMTP_HOST="127.0.0.1", SMTP_PORT=str(smtp.port)),
        }
        with log.open("w") as out:
            worker = subprocess.Popen(
                [str(Path(sys.executable).parent / "autoproces"), "worker", "--interval", "0.3"],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

        def wait_for(n: int) -> None:
            deadline = time.monotonic() + 30
            while len(smtp.messages) < n:
                assert worker.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)

        try:
            wait_for(2)
            cluster.stop("fast")
            time.sleep(2)  # several of the worker's passes meet no database
            cluster.start()
            _queue_mail(app, tenant, ["Efter 1", "Efter 2"])
            wait_for(4)
            assert worker.poll() is None, log.read_text()
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(timeout=20) == 0, log.read_text()
        finally:
            if worker.poll() is None:
                worker.kill()
            smtp.stop()
    output = log.read_text()
    assert sorted(m["Subject"] for m in smtp.messages) == ["Efter 1", "Efter 2", "Før 1", "Før 2"]
    assert "database unavailable" in output, output
    assert "Traceback" not in output, output

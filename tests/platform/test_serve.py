"""`autoproces serve` as production runs it: several gunicorn workers, hit concurrently by two
municipalities from the first second. A connection opened in the master and inherited by the
forked workers makes them talk through one PostgreSQL session (RLS's tenant setting included):
this passes every single-process test and fails here. Rate limits are counted once for all
workers, in Redis, or the server refuses to start with several.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import requests
from helpers import app_env, bearer

WORKERS = 4
CLIENTS = 8
REQUESTS_PER_CLIENT = 120


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _redis_url() -> str | None:
    """A Redis database for this run's counters (one of 1-15), if a server answers."""
    import random

    import redis

    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_timeout=1).ping()
    except redis.RedisError:
        return None
    return f"redis://127.0.0.1:6379/{random.randint(1, 15)}"


class Server:
    """`autoproces serve` in a subprocess, its output in a file."""

    def __init__(self, database, tmp_path, workers: int, **env: str) -> None:
        self.port = _free_port()
        self.log = tmp_path / "serve.log"
        full_env = {**os.environ, **app_env(database), **env}
        full_env.pop("AUTOPROCES_DEMO", None)
        with self.log.open("w") as out:
            self.proc = subprocess.Popen(
                [
                    str(Path(sys.executable).parent / "autoproces"),
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--workers",
                    str(workers),
                ],
                env=full_env,
                cwd=tmp_path,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.base = f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if requests.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            assert self.proc.poll() is None, self.output()
            assert time.monotonic() < deadline, self.output()
            time.sleep(0.1)

    def stop(self) -> str:
        self.proc.terminate()
        self.proc.wait(timeout=30)
        return self.output()

    def output(self) -> str:
        return self.log.read_text()


def _shared_limits() -> dict[str, str]:
    url = _redis_url()
    if url is None:  # no Redis here: accept per-worker counters for the load test only
        return {"AUTOPROCES_ALLOW_PER_WORKER_RATE_LIMITS": "1"}
    return {"RATELIMIT_STORAGE_URI": url}


@pytest.mark.slow
def test_four_workers_serve_two_municipalities_concurrently_from_the_first_second(
    database, make, tmp_path
):
    tenants = {}
    for slug in ("alpha", "beta"):
        tenant = make.tenant(slug)
        user = make.user(tenant, "automation")
        for i in range(5):
            make.process(user, title=f"{slug}-proces {i}")
        tenants[slug] = make.token(user)

    server = Server(database, tmp_path, WORKERS, **_shared_limits())
    base = server.base
    statuses: Counter[int] = Counter()
    problems: list[str] = []
    lock = threading.Lock()

    def client(n: int) -> None:
        slug = ("alpha", "beta")[n % 2]
        other = "beta" if slug == "alpha" else "alpha"
        session = requests.Session()
        session.headers.update(bearer(tenants[slug]))
        done = 0
        deadline = time.monotonic() + 60
        while done < REQUESTS_PER_CLIENT:
            kind = done % 3
            try:
                if kind == 0:
                    r = session.get(f"{base}/api/v1/processes?per_page=50", timeout=30)
                elif kind == 1:
                    r = session.get(f"{base}/api/v1/me", timeout=30)
                else:
                    r = session.post(
                        f"{base}/api/v1/processes",
                        json={"title": f"{slug}-ny {n}-{done}", "summary": "Under belastning."},
                        timeout=30,
                    )
            except requests.ConnectionError:
                # Not yet listening: start-up, not an answer. Anything later is a failure.
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)
                continue
            done += 1
            body = r.text
            with lock:
                statuses[r.status_code] += 1
                if r.status_code not in (200, 201):
                    problems.append(f"{slug} {r.request.method} {r.url}: {r.status_code} {body}")
                elif other in body:
                    problems.append(f"{slug} got {other}'s data: {body[:300]}")
                elif kind == 1 and r.json()["tenant"]["slug"] != slug:
                    problems.append(f"{slug} /me answered {body[:300]}")
                elif kind == 0 and not all(
                    item["title"].startswith(slug) for item in r.json()["items"]
                ):
                    problems.append(f"{slug} list has foreign rows: {body[:300]}")

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=180)
    finally:
        output = server.stop()
    total = sum(statuses.values())
    print(f"serve load: {total} requests, {dict(statuses)}")  # the figure for the note
    assert total == CLIENTS * REQUESTS_PER_CLIENT
    assert not problems, "\n".join(problems[:20])
    # Every worker booted once and none died (SIGSEGV, a timeout, an exit) along the way.
    assert len(re.findall(r"Booting worker", output)) == WORKERS, output[-3000:]
    assert not re.search(r"was sent|exited|Worker timeout|Traceback", output), output[-3000:]


@pytest.mark.slow
def test_several_workers_count_rate_limits_together(database, make, tmp_path):
    url = _redis_url()
    if url is None:
        pytest.skip("needs Redis at 127.0.0.1:6379")
    make.tenant("alpha")
    server = Server(database, tmp_path, WORKERS, RATELIMIT_STORAGE_URI=url)
    try:
        server.wait_ready()
        # The sign-in callback allows 30 a minute per address; 4 workers counting apart
        # would let all 60 through.
        codes = Counter(
            requests.get(f"{server.base}/alpha/auth/callback", timeout=10).status_code
            for _ in range(60)
        )
    finally:
        output = server.stop()
    assert codes[429] >= 30, (codes, output[-2000:])
    assert sum(n for code, n in codes.items() if code != 429) <= 30, codes


def _session_cookie(app, user) -> str:
    """A signed-in session for `user`, as the sign-in would set it (the server shares the
    test app's SECRET_KEY)."""
    serializer = app.session_interface.get_signing_serializer(app)
    return serializer.dumps(
        {"_user_id": user.get_id(), "_fresh": True, "signed_in_at": int(time.time())}
    )


CATALOGUE_CLIENTS = 6
CATALOGUE_REQUESTS_PER_CLIENT = 40


@pytest.mark.slow
def test_the_catalogue_under_load_from_two_municipalities_from_the_first_second(
    app, database, make, tmp_path, su_engine
):
    """The catalogue's search page and API (words and facets), an entry page, and copies and
    interest from two municipalities at once: no 5xx, each copy in its own register."""
    from sqlalchemy import text

    gamma = make.tenant("gamma", "Gamma Kommune")
    publisher = make.user(gamma, "automation")
    process = make.process(
        publisher,
        title="Kontrol af leverandørfakturaer",
        summary="Fakturaer kontrolleres automatisk mod ordren.",
        technologies=["RPA"],
    )
    c = app.test_client()
    token = make.token(publisher)
    preview = c.post(
        f"/api/v1/processes/{process.id}/publish/preview", json={}, headers=bearer(token)
    ).get_json()
    published = c.post(
        f"/api/v1/processes/{process.id}/publish",
        json={"fingerprint": preview["fingerprint"], "size_band": "small"},
        headers=bearer(token),
    )
    assert published.status_code == 201, published.get_json()
    entry = published.get_json()["id"]
    people = {}
    for slug in ("alpha", "beta"):
        tenant = make.tenant(slug)
        user = make.user(tenant, "automation")
        people[slug] = (make.token(user), _session_cookie(app, user))

    server = Server(database, tmp_path, WORKERS, **_shared_limits())
    base = server.base
    statuses: Counter[int] = Counter()
    copies: Counter[str] = Counter()
    copied_ids: dict[str, list[str]] = {"alpha": [], "beta": []}
    problems: list[str] = []
    lock = threading.Lock()

    def client(n: int) -> None:
        slug = ("alpha", "beta")[n % 2]
        other = "beta" if slug == "alpha" else "alpha"
        token, cookie = people[slug]
        api = requests.Session()
        api.headers.update(bearer(token))
        pages = requests.Session()
        pages.headers["Cookie"] = f"session={cookie}"
        done = 0
        deadline = time.monotonic() + 60
        while done < CATALOGUE_REQUESTS_PER_CLIENT:
            kind = done % 6
            try:
                if kind == 0:
                    r = pages.get(
                        f"{base}/{slug}/katalog?q=faktura&technology=RPA&phase=idea", timeout=30
                    )
                elif kind == 1:
                    r = api.get(
                        f"{base}/api/v1/catalogue?q=leverand%C3%B8r&size_band=small&sort=newest",
                        timeout=30,
                    )
                elif kind == 2:
                    r = pages.get(f"{base}/{slug}/katalog/{entry}", timeout=30)
                elif kind == 3:
                    r = api.post(f"{base}/api/v1/catalogue/{entry}/copy", timeout=30)
                elif kind == 4:
                    r = api.post(
                        f"{base}/api/v1/catalogue/{entry}/interest",
                        json={"wants_to_help": n % 4 == 0},
                        timeout=30,
                    )
                else:
                    r = api.get(f"{base}/api/v1/catalogue?kle=02&benefit=1&page=3", timeout=30)
            except requests.ConnectionError:
                if time.monotonic() > deadline:  # start-up only; later it is a failure
                    raise
                time.sleep(0.02)
                continue
            done += 1
            body = r.text
            with lock:
                statuses[r.status_code] += 1
                if r.status_code not in (200, 201):
                    problems.append(f"{slug} {r.request.method} {r.url}: {r.status_code} {body}")
                elif kind in (0, 2) and (f"/{other}/" in body or f"/{slug}/" not in body):
                    problems.append(f"{slug} page {r.url} is not {slug}'s: {body[:300]}")
                elif kind == 0 and entry not in body:
                    problems.append(f"{slug} search page did not find the entry")
                elif kind == 1 and [i["id"] for i in r.json()["items"]] != [entry]:
                    problems.append(f"{slug} API search: {body[:300]}")
                elif kind == 3:
                    copies[slug] += 1
                    copied_ids[slug].append(r.json()["id"])

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CATALOGUE_CLIENTS)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=180)
    finally:
        output = server.stop()
    total = sum(statuses.values())
    print(f"catalogue serve load: {total} requests, {dict(statuses)}")
    assert total == CATALOGUE_CLIENTS * CATALOGUE_REQUESTS_PER_CLIENT
    assert not problems, "\n".join(problems[:20])
    assert not re.search(r"was sent|exited|Worker timeout|Traceback", output), output[-3000:]
    # Each municipality's copies are in its own register, all of them, and nowhere else.
    with su_engine.connect() as conn:
        landed = {
            slug: sorted(
                str(i)
                for i in conn.scalars(
                    text(
                        "select p.id from process p join tenant t on t.id = p.tenant_id"
                        " join catalogue_copy c on c.tenant_id = p.tenant_id"
                        " and c.process_id = p.id"
                        " where t.slug = :s and p.copied_from_entry_id = :e"
                    ),
                    {"s": slug, "e": entry},
                )
            )
            for slug in ("alpha", "beta")
        }
        counts = conn.execute(
            text("select reuse_count, interest_count from catalogue_entry where id = :e"),
            {"e": entry},
        ).one()
    assert landed == {slug: sorted(ids) for slug, ids in copied_ids.items()}
    assert copies["alpha"] > 0 and copies["beta"] > 0
    assert tuple(counts) == (2, 2)  # one copy and one interest counted per municipality

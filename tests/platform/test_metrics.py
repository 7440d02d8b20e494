"""`/metrics` in one process: who may scrape it, what it counts, the outbox read across tenants
through a function that returns counts only. The several-worker case is test_observability_serve.py."""

from __future__ import annotations

import time

import pytest
from helpers import app_env, bearer
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from autoproces.platform.metrics import refusal


def samples(body: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(body)
        for s in family.samples
    }


def value(body: str, name: str, **labels: str) -> float:
    return samples(body).get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.mark.parametrize(
    ("address", "headers", "token", "expected"),
    [
        ("127.0.0.1", {}, "", None),
        ("::1", {}, "", None),
        ("10.1.2.3", {}, "", None),  # a Prometheus in the cluster
        ("192.168.0.9", {}, "", None),
        ("::ffff:10.0.0.1", {}, "", None),
        ("8.8.8.8", {}, "", 403),
        ("2001:4860::1", {}, "", 403),
        (None, {}, "", 403),
        ("not an address", {}, "", 403),
        # Through an ingress: its own address is private, the client is not.
        ("10.0.0.5", {"X-Forwarded-For": "8.8.8.8"}, "", 403),
        ("10.0.0.5", {"Forwarded": "for=8.8.8.8"}, "", 403),
        # With a token, the token decides, from anywhere.
        ("8.8.8.8", {"Authorization": "Bearer s3cret-metrics"}, "s3cret-metrics", None),
        ("127.0.0.1", {}, "s3cret-metrics", 401),
        ("127.0.0.1", {"Authorization": "Bearer wrong"}, "s3cret-metrics", 401),
        ("127.0.0.1", {"Authorization": "Basic s3cret-metrics"}, "s3cret-metrics", 401),
    ],
)
def test_who_may_scrape(address, headers, token, expected):
    assert refusal(address, headers, token) == expected


def test_metrics_counts_requests_by_endpoint_never_by_path(app, make):
    tenant = make.tenant("metrica")
    user = make.user(tenant, "automation")
    process = make.process(user, title="Måling af en proces")
    token = make.token(user)
    c = app.test_client()
    before = c.get("/metrics").get_data(as_text=True)
    for _ in range(3):
        assert c.get(f"/api/v1/processes/{process.id}", headers=bearer(token)).status_code == 200
    assert c.get("/api/v1/processes/not-a-uuid", headers=bearer(token)).status_code == 404
    assert c.get("/no/such/page/at/all").status_code == 404
    r = c.get("/metrics")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/plain; version=")  # Prometheus text
    body = r.get_data(as_text=True)
    counts: dict[tuple[str, str], float] = {}
    for (name, labels), n in samples(body).items():
        if name == "autoproces_http_requests_total":
            d = dict(labels)
            assert set(d) == {"endpoint", "method", "status"}  # no tenant, no path
            key = (d["endpoint"], d["status"])
            counts[key] = counts.get(key, 0) + n - value(before, name, **d)
    # The endpoint is the Flask endpoint's name: the ids in paths never become labels.
    assert str(process.id) not in body and "not-a-uuid" not in body and "/no/such" not in body
    read = [k for k, n in counts.items() if k[1] == "200" and n == 3]
    assert len(read) == 1 and "process" in read[0][0].lower(), counts
    assert counts.get(("<unmatched>", "404"), 0) >= 1
    histogram = "autoproces_http_request_duration_seconds_count"
    assert value(body, histogram, endpoint=read[0][0], method="GET") >= 3
    assert value(body, "autoproces_db_pool_size") >= 1


def test_metrics_token_and_addresses(database):
    from autoproces.platform.app import create_app

    app = create_app(app_env(database, AUTOPROCES_METRICS_TOKEN="m-token-123"), TESTING=True)
    c = app.test_client()
    assert c.get("/metrics").status_code == 401
    assert c.get("/metrics").headers["WWW-Authenticate"] == "Bearer"
    assert c.get("/metrics", headers=bearer("wrong")).status_code == 401
    r = c.get("/metrics", headers=bearer("m-token-123"), environ_base={"REMOTE_ADDR": "8.8.8.8"})
    assert r.status_code == 200 and b"autoproces_http_requests" in r.data

    open_app = create_app(app_env(database), TESTING=True)
    c = open_app.test_client()
    assert c.get("/metrics").status_code == 200  # the test client is 127.0.0.1
    assert c.get("/metrics", environ_base={"REMOTE_ADDR": "8.8.8.8"}).status_code == 403
    assert c.get("/metrics", headers={"X-Forwarded-For": "8.8.8.8"}).status_code == 403, (
        "a request through a proxy is not the cluster's"
    )


def test_outbox_length_and_age_across_tenants_through_a_narrow_function(
    app, make, app_engine, su_engine
):
    from autoproces.platform.outbox.services import queue_mail
    from autoproces.platform.tenancy import activate_tenant

    with su_engine.begin() as conn:
        conn.execute(text("update outbox_message set status = 'sent' where status = 'pending'"))
    c = app.test_client()
    body = c.get("/metrics").get_data(as_text=True)
    assert value(body, "autoproces_outbox_stats_up") == 1
    assert value(body, "autoproces_outbox_pending_messages") == 0
    assert value(body, "autoproces_outbox_oldest_pending_age_seconds") == 0

    from autoproces.platform.db import db

    for slug, n in (("outboxa", 2), ("outboxb", 3)):
        tenant = make.tenant(slug)
        with app.app_context():
            activate_tenant(tenant)
            for i in range(n):
                queue_mail(tenant.id, f"person{i}@{slug}.dk", "Emne", "Tekst", "test")
            db.session.commit()
    with su_engine.begin() as conn:
        conn.execute(
            text(
                "update outbox_message set created_at = now() - interval '90 seconds'"
                " where to_address like 'person0@outboxa.dk'"
            )
        )
    time.sleep(0.01)
    body = c.get("/metrics").get_data(as_text=True)
    assert value(body, "autoproces_outbox_pending_messages") == 5
    assert 90 <= value(body, "autoproces_outbox_oldest_pending_age_seconds") < 600

    # The function returns counts only, runs as its owner, and only the app role may call it.
    with app_engine.connect() as conn:
        assert conn.scalar(text("select count(*) from outbox_message")) == 0  # RLS, no tenant
        result = conn.execute(text("select * from outbox_stats()"))
        assert list(result.keys()) == ["pending", "oldest_pending_seconds"]
        granted = conn.execute(
            text(
                "select p.prosecdef, has_function_privilege('public', p.oid, 'execute')"
                " from pg_proc p where p.proname = 'outbox_stats'"
            )
        ).one()
    assert tuple(granted) == (True, False)


def test_the_request_log_line_reads_nothing_after_the_commit(app, client, make):
    """The commit expires every loaded row: the log line must take the municipality's slug
    from what was noted before, or it would query (and fail while the database is away)."""
    import logging

    from helpers import login
    from sqlalchemy import event

    from autoproces.platform.db import db

    tenant = make.tenant("logbyen")
    login(client, make.user(tenant, "employee"))
    after_commit: list[str] = []
    committed = False

    def note_commit(session):
        nonlocal committed
        committed = True

    def statement(conn, cursor, sql, *args):
        if committed:
            after_commit.append(sql)

    with app.app_context():
        engine = db.engine
    class Keep(logging.Handler):
        records: list[logging.LogRecord] = []

        def emit(self, record: logging.LogRecord) -> None:
            self.records.append(record)

    keep = Keep()
    request_log = logging.getLogger("autoproces.request")
    level = request_log.level
    request_log.addHandler(keep)
    request_log.setLevel(logging.INFO)
    event.listen(db.session, "after_commit", note_commit)
    event.listen(engine, "before_cursor_execute", statement)
    try:
        assert client.get("/logbyen/processer").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(db.session, "after_commit", note_commit)
        request_log.removeHandler(keep)
        request_log.setLevel(level)
    assert committed
    assert after_commit == []
    [line] = keep.records
    assert line.tenant == "logbyen" and line.status == 200

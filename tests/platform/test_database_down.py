"""While the database is down, pages answer a Danish 503 page and the API a JSON 503, both
with Retry-After, and /readyz says unavailable; nothing is a 500.

The database really goes away: the test starts a PostgreSQL cluster of its own (initdb into
a temporary folder), migrates it, serves from it, then stops it with pg_ctl. A second case
points an app at a port where nothing listens.
"""

from __future__ import annotations

import uuid

import pytest
from helpers import APP_ROLE, UNIT_TEST_CONFIG, app_env, bearer, login
from own_postgres import HAS_PG_BIN, free_port, own_cluster, served_database
from sqlalchemy import text

pytestmark = pytest.mark.skipif(not HAS_PG_BIN, reason="needs PostgreSQL 15")


@pytest.fixture
def cluster():
    with own_cluster() as cluster:
        yield cluster


def make_app(urls) -> object:
    from autoproces.platform.app import create_app

    return create_app(app_env(urls), TESTING=True)


def assert_unavailable(client) -> None:
    page = client.get("/")
    assert page.status_code == 503
    assert page.headers["Retry-After"].isdigit()
    html = page.get_data(as_text=True)
    assert "Tjenesten er ikke tilgængelig lige nu" in html
    assert "Databasen svarer ikke lige nu" in html
    tenant_page = client.get("/alpha/processer")
    assert tenant_page.status_code == 503, tenant_page.status_code
    api = client.get("/api/v1/me", headers=bearer("ap_anything"))
    assert api.status_code == 503
    assert api.headers["Retry-After"].isdigit()
    assert api.get_json()["message"] == "Databasen svarer ikke lige nu. Prøv igen om lidt."
    post = client.post("/api/v1/processes", json={"title": "t"}, headers=bearer("ap_x"))
    assert post.status_code == 503
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.headers["Retry-After"].isdigit()
    assert ready.get_json()["database"] == "unreachable"


def test_a_stopped_database_gives_503_with_retry_after_and_recovery(cluster):
    app = make_app(served_database(cluster))
    client = app.test_client()
    assert client.get("/").status_code == 200  # the pool now holds a live connection
    assert client.get("/readyz").status_code == 200
    cluster.stop()
    assert_unavailable(client)
    cluster.start()
    assert client.get("/").status_code == 200  # back without a restart of the app
    assert client.get("/readyz").status_code == 200


def test_an_unreachable_database_gives_503():
    class Closed:
        app_url = f"postgresql+psycopg2://{APP_ROLE}@127.0.0.1:{free_port()}/nowhere"
        owner_url = app_url

    assert_unavailable(make_app(Closed).test_client())


def test_an_outage_is_told_from_an_error_of_ours():
    """Both are answered 503, but only an outage is a mere warning: an OperationalError with
    another SQLSTATE (e.g. a wrong configuration parameter, 42704) is logged as a bug."""
    from sqlalchemy.exc import OperationalError

    from autoproces.platform.errors import is_outage

    class Orig(Exception):
        def __init__(self, pgcode):
            self.pgcode = pgcode

    def error(code):
        return OperationalError("select 1", {}, Orig(code))

    assert is_outage(error(None))  # no answer from the server at all
    for code in ("08006", "53300", "57P01", "57014", "40001", "55P03"):
        assert is_outage(error(code)), code
    assert not is_outage(error("42704"))


def test_a_connection_lost_before_the_commit_is_a_503_and_the_write_is_not_kept(
    database, make, su_engine
):
    """The request's transaction is committed after the view (app.py, `_finish`): a database
    gone between the two must be the same 503 as anywhere else, never an acknowledged
    write. The test ends the request's PostgreSQL session just before that commit, as a
    restart or a fail-over does."""
    from autoproces.platform.app import create_app
    from autoproces.platform.db import db

    user = make.user(make.tenant("alpha"), "automation")
    token = make.token(user)
    app = create_app(app_env(database), **UNIT_TEST_CONFIG)

    @app.after_request  # runs before the app's own, which commits
    def _end_session(response):
        pid = db.session.connection().connection.dbapi_connection.get_backend_pid()
        with su_engine.connect() as conn:
            conn.execute(text("select pg_terminate_backend(:pid, 5000)"), {"pid": pid})
        return response

    client = app.test_client()
    title = f"Aldrig gemt {uuid.uuid4().hex[:6]}"
    # A refusal is rolled back rather than committed: that meets the lost session too.
    refused = client.post("/api/v1/processes", json={"title": ""}, headers=bearer(token))
    assert refused.status_code == 422, refused.get_data(as_text=True)
    r = client.post(
        "/api/v1/processes", json={"title": title, "summary": "Mistet."}, headers=bearer(token)
    )
    assert r.status_code == 503, r.get_data(as_text=True)
    assert r.get_json()["message"] == "Databasen svarer ikke lige nu. Prøv igen om lidt."
    assert r.headers["Retry-After"].isdigit()
    with su_engine.connect() as conn:
        assert not conn.scalar(text("select count(*) from process where title = :t"), {"t": title})
    login(client, user)
    page = client.get("/alpha/processer")
    assert page.status_code == 503
    assert "Tjenesten er ikke tilgængelig lige nu" in page.get_data(as_text=True)


def _within(seconds: float, call):
    """`call()`'s result, failing (not hanging) when it takes longer than `seconds`."""
    import threading
    import time

    result: list = []
    start = time.monotonic()
    thread = threading.Thread(target=lambda: result.append(call()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert result, f"no answer within {seconds} s"
    return result[0], time.monotonic() - start


def test_a_database_that_never_answers_gives_503_within_the_connect_timeout():
    """A server that takes the TCP connection and then says nothing (a hung host, a
    half-open fail-over address) costs a request the connect timeout, not a hung worker."""
    import socket

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)  # the kernel completes the handshakes; nobody ever answers

        class Silent:
            app_url = f"postgresql+psycopg2://{APP_ROLE}@127.0.0.1:{silent.getsockname()[1]}/x"
            owner_url = app_url

        from autoproces.platform.app import create_app

        app = create_app(app_env(Silent, AUTOPROCES_DB_CONNECT_TIMEOUT="2"), TESTING=True)
        client = app.test_client()
        ready, seconds = _within(10, lambda: client.get("/readyz"))
        assert ready.status_code == 503 and seconds < 5, (ready.status_code, seconds)
        api, seconds = _within(10, lambda: client.get("/api/v1/me", headers=bearer("ap_x")))
        assert api.status_code == 503 and seconds < 5, (api.status_code, seconds)
        assert client.get("/healthz").status_code == 200


def test_a_request_waiting_on_a_lock_gives_up_with_503(database, make, su_engine):
    """A row locked elsewhere (a long migration, an operator's session) holds a request for
    the lock timeout at most: a 503 to retry, logged as a warning; free again, it succeeds."""
    from autoproces.platform.app import create_app

    user = make.user(make.tenant("alpha"), "automation")
    token = make.token(user)
    process = make.process(user)
    app = create_app(app_env(database, AUTOPROCES_DB_LOCK_TIMEOUT="1"), **UNIT_TEST_CONFIG)
    client = app.test_client()

    def change():
        return client.patch(
            f"/api/v1/processes/{process.id}",
            json={"title": "Ændret", "version": process.version},
            headers=bearer(token),
        )

    with su_engine.connect() as conn:
        conn.execute(text("select 1 from process where id = :id for update"), {"id": process.id})
        r, seconds = _within(10, change)
        conn.rollback()
    assert r.status_code == 503 and seconds < 4, (r.status_code, seconds)
    assert r.get_json()["message"] == "Databasen svarer ikke lige nu. Prøv igen om lidt."
    assert change().status_code == 200


def test_a_web_requests_transaction_has_the_time_limits_and_a_command_has_none(database):
    from autoproces.platform.app import create_app
    from autoproces.platform.config import ConfigError
    from autoproces.platform.db import db

    env = app_env(database, AUTOPROCES_DB_STATEMENT_TIMEOUT="7", AUTOPROCES_DB_LOCK_TIMEOUT="3")
    app = create_app(env, **UNIT_TEST_CONFIG)
    limits = text("select current_setting('statement_timeout'), current_setting('lock_timeout')")
    with app.test_request_context("/"):
        assert tuple(db.session.execute(limits).one()) == ("7s", "3s")
        db.session.rollback()
    with app.app_context():  # the worker's and the commands' long jobs
        assert tuple(db.session.execute(limits).one()) == ("0", "0")
        db.session.rollback()
    with pytest.raises(ConfigError, match="AUTOPROCES_DB_"):
        create_app({**env, "AUTOPROCES_DB_LOCK_TIMEOUT": "soon"})

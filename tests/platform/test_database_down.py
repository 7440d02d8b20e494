"""While the database is down, pages answer a Danish 503 page and the API a JSON 503, both
with Retry-After, and /readyz says unavailable; nothing is a 500.

The database really goes away: the test starts a PostgreSQL cluster of its own (initdb into
a temporary folder), migrates it, serves from it, then stops it with pg_ctl. A second case
points an app at a port where nothing listens.
"""

from __future__ import annotations

import pytest
from helpers import APP_ROLE, app_env, bearer
from own_postgres import HAS_PG_BIN, free_port, own_cluster, served_database

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
    for code in ("08006", "53300", "57P01", "57014", "40001"):
        assert is_outage(error(code)), code
    assert not is_outage(error("42704"))

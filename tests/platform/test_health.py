"""Liveness and readiness."""

from __future__ import annotations

from sqlalchemy import text


def test_healthz(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.get_json() == {"status": "ok"}


def test_readyz_when_migrated(client):
    r = client.get("/readyz")
    assert r.status_code == 200
    body = r.get_json()
    assert body["database"] == "ok" and body["migrations"] == "ok"
    assert body["revision"] == body["head"]


def test_readyz_reports_pending_migrations(client, su_engine):
    with su_engine.begin() as conn:
        head = conn.scalar(text("select version_num from alembic_version"))
        conn.execute(text("update alembic_version set version_num = 'older'"))
    try:
        r = client.get("/readyz")
        assert r.status_code == 503 and r.get_json()["migrations"] == "pending"
    finally:
        with su_engine.begin() as conn:
            conn.execute(text("update alembic_version set version_num = :h"), {"h": head})


def test_readyz_when_the_database_is_unreachable(tmp_path):
    from autoproces.platform.app import create_app

    app = create_app(
        {
            "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
            "SECRET_KEY": "x",
            "AUTOPROCES_BASE_URL": "http://localhost",
            "AUTOPROCES_INSTANCE_PATH": str(tmp_path),
        }
    )
    r = app.test_client().get("/readyz")
    assert r.status_code == 503 and r.get_json()["database"] == "unreachable"
    assert app.test_client().get("/healthz").status_code == 200

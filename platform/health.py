"""Liveness and readiness for the orchestrator."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from .db import db
from .errors import RETRY_AFTER_SECONDS
from .migrate import head_revision

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Any:
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> Any:
    checks: dict[str, Any] = {}
    try:
        current = db.session.execute(text("select version_num from alembic_version")).scalar()
        checks["database"] = "ok"
    except Exception as e:  # any failure to reach the database means not ready
        db.session.rollback()
        current_app.logger.warning("readyz: database not reachable: %s", e.__class__.__name__)
        return (
            jsonify(status="unavailable", database="unreachable"),
            503,
            {"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    head = head_revision()
    checks["migrations"] = "ok" if current == head else "pending"
    checks["revision"] = current
    checks["head"] = head
    ready = checks["migrations"] == "ok"
    return jsonify(status="ok" if ready else "unavailable", **checks), 200 if ready else 503

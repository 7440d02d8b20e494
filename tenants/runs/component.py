"""Registers realised runs and the lessons reminder with the platform
(entry point `autoproces.components`)."""

from __future__ import annotations

from typing import Any

from flask import Flask

from autoproces.platform.components import Component


def init_app(app: Flask, api: Any) -> None:
    from . import api as runs_api
    from . import (
        receivers,  # noqa: F401  (attaches realised hours to the register's processes)
        views,
    )

    app.register_blueprint(views.bp)
    api.register_blueprint(runs_api.bp)


def send_lessons_reminders(tenant: Any, day: Any) -> int:
    from .services import send_lessons_reminders as send

    return send(tenant.slug, day)


def export(tenant: Any, archive: Any) -> None:
    from sqlalchemy import select

    from autoproces.platform.db import db

    from .models import ProcessRun

    rows = db.session.scalars(select(ProcessRun).where(ProcessRun.tenant_id == tenant.id))
    archive.add_rows("process_runs", "Realiserede kørsler pr. proces og måned", rows)


component = Component(
    name="runs",
    init_app=init_app,
    export=export,
    daily=(("runs.lessons", send_lessons_reminders),),
    panels=(("process", "runs/_process_panel.html"),),
)

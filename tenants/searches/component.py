"""Registers saved searches with the platform (entry point `autoproces.components`)."""

from __future__ import annotations

from typing import Any

from flask import Flask

from autoproces.platform.components import Component

from .digest import JOB, send_digests


def init_app(app: Flask, api: Any) -> None:
    from . import api as searches_api
    from . import views

    app.register_blueprint(views.bp)
    api.register_blueprint(searches_api.bp)


def export(tenant: Any, archive: Any) -> None:
    from sqlalchemy import select

    from autoproces.platform.db import db

    from .models import SavedSearch

    rows = db.session.scalars(select(SavedSearch).where(SavedSearch.tenant_id == tenant.id))
    archive.add_rows("saved_searches", "Brugernes gemte søgninger", rows)


component = Component(
    name="searches",
    init_app=init_app,
    export=export,
    panels=(
        ("list_actions", "searches/_list_panel.html"),
        ("user", "searches/_user_panel.html"),
    ),
    daily=((JOB, send_digests),),
)

"""Registers the dashboard ("Overblik") with the platform (entry point `autoproces.components`)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l

from autoproces.platform.components import Component
from autoproces.platform.permissions import Action


def init_app(app: Flask, api: Any) -> None:
    from . import api as dashboard_api
    from . import views

    app.register_blueprint(views.bp)
    app.register_blueprint(views.assets)
    api.register_blueprint(dashboard_api.bp)


component = Component(
    name="dashboard",
    init_app=init_app,
    # For those who read everything (managers and the automation team).
    nav_items=(("dashboard.index", _l("Overblik"), Action.READ_ALL),),
)

"""Registers the steering group's backlog and matrix with the platform
(entry point `autoproces.components`)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l

from autoproces.platform.components import Component
from autoproces.platform.permissions import Action


def init_app(app: Flask, api: Any) -> None:
    from . import api as steering_api
    from . import views

    app.register_blueprint(views.bp)
    app.register_blueprint(views.static_bp)
    api.register_blueprint(steering_api.bp)


component = Component(
    name="steering",
    init_app=init_app,
    nav_items=(("steering.backlog", _l("Prioritering"), Action.ASSESS),),
)

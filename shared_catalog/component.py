"""Registers the shared catalogue with the platform (entry point `autoproces.components`)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l

from autoproces.platform.components import Component


def init_app(app: Flask, api: Any) -> None:
    from . import api as catalogue_api
    from . import views

    app.register_blueprint(views.publish_bp)
    app.register_blueprint(views.bp)
    api.register_blueprint(catalogue_api.publish_bp)
    api.register_blueprint(catalogue_api.bp)


component = Component(
    name="shared_catalog",
    init_app=init_app,
    nav_items=(("catalogue.list_entries", _l("Kataloget")),),
    panels=(
        ("process", "catalogue/_process_panel.html"),
        ("similar", "catalogue/_similar_panel.html"),
        ("estimates", "catalogue/_estimates_panel.html"),
    ),
)

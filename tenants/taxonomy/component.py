"""Registers the taxonomies (KLE, FORM) with the platform (entry point `autoproces.components`)."""

from __future__ import annotations

from typing import Any

from flask import Flask

from autoproces.platform.components import Component

from .cli import taxonomy


def init_app(app: Flask, api: Any) -> None:
    from . import api as taxonomy_api
    from . import views

    app.register_blueprint(views.bp)
    api.register_blueprint(taxonomy_api.bp)


def seed_reference() -> None:
    from .services import seed_reference_data

    seed_reference_data()


component = Component(
    name="taxonomy", init_app=init_app, cli=taxonomy, seed_reference=seed_reference
)

"""Registers the shared catalogue with the platform (entry point `autoproces.components`)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l

from autoproces.platform.components import Component

from .cli import catalogue as catalogue_cli


def init_app(app: Flask, api: Any) -> None:
    from . import api as catalogue_api
    from . import feed_views, operator_views, reuse_api, reuse_views, views

    app.register_blueprint(views.publish_bp)
    app.register_blueprint(views.bp)
    app.register_blueprint(feed_views.bp)
    app.register_blueprint(operator_views.bp)
    api.register_blueprint(catalogue_api.publish_bp)
    api.register_blueprint(catalogue_api.bp)
    app.config.setdefault("CATALOGUE_CONTACT_RATE_LIMIT", "10/hour")
    app.register_blueprint(reuse_views.bp)
    api.register_blueprint(reuse_api.bp)


def seed_demo(tenant: Any, users: dict[str, Any], rng: Any) -> None:
    from .demo import seed

    seed(tenant, users, rng)


def export(tenant: Any, archive: Any) -> None:
    from .archive import export as run

    run(tenant, archive)


def offboard(tenant: Any, choices: dict[str, str]) -> None:
    from .archive import offboard as run

    run(tenant, choices)


component = Component(
    name="shared_catalog",
    init_app=init_app,
    export=export,
    offboard=offboard,
    nav_items=(("catalogue.list_entries", _l("Kataloget")),),
    panels=(
        ("process", "catalogue/_process_panel.html"),
        ("process", "catalogue/reuse_notice.html"),
        ("similar", "catalogue/_similar_panel.html"),
        ("estimates", "catalogue/_estimates_panel.html"),
    ),
    operator_pages=(("catalogue_operator.entries", _l("Kataloget")),),
    cli=catalogue_cli,
    seed_demo=seed_demo,
    audit_labels=(
        ("catalogue.published", _l("Delt i kataloget")),
        ("catalogue.withdrawn", _l("Trukket tilbage fra kataloget")),
        ("catalogue.copied", _l("Kopieret fra kataloget")),
        ("catalogue.hide", _l("Katalogpost skjult")),
        ("catalogue.unhide", _l("Katalogpost vist igen")),
        ("catalogue.hidden", _l("Katalogpost skjult af OS2")),
        ("catalogue.unhidden", _l("Katalogpost vist igen af OS2")),
        ("entry", _l("Katalogpost")),
        ("version", _l("Version")),
        ("process", _l("Proces")),
        ("title", _l("Titel")),
    ),
)

"""Registers comments, following and favourites with the platform
(entry point `autoproces.components`)."""

from __future__ import annotations

from typing import Any

from flask import Flask

from autoproces.platform.components import Component


def init_app(app: Flask, api: Any) -> None:
    from . import api as engagement_api
    from . import (
        receivers,  # noqa: F401  (connects following and e-mail to the register)
        views,
    )

    app.register_blueprint(views.bp)
    api.register_blueprint(engagement_api.bp)
    api.register_blueprint(engagement_api.me_bp)


def export(tenant: Any, archive: Any) -> None:
    from .archive import export as run

    run(tenant, archive)


component = Component(
    name="engagement",
    init_app=init_app,
    export=export,
    panels=(("process", "engagement/_process_section.html"),),
)

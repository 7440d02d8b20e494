"""Registers the process register with the platform (entry point `autoproces.components`)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l

from autoproces.platform.components import Component


def init_app(app: Flask, api: Any) -> None:
    from . import api as process_api
    from . import operator_views, settings_views, views
    from .attachments import api as attachments_api
    from .attachments import services as attachments  # noqa: F401  (connects its clean-up)
    from .attachments import views as attachment_views

    app.register_blueprint(views.bp)
    app.register_blueprint(operator_views.bp)
    app.register_blueprint(settings_views.bp)
    app.register_blueprint(attachment_views.bp)
    api.register_blueprint(attachments_api.bp)
    api.register_blueprint(process_api.bp)
    api.register_blueprint(process_api.domains_bp)
    api.register_blueprint(process_api.settings_bp)
    api.register_blueprint(process_api.overview_bp)


def init_tenant(tenant: Any) -> None:
    from .services import init_tenant as init

    init(tenant)


def send_reminders(tenant: Any, day: Any) -> int:
    from .reminders import send_reminders as send

    return send(tenant, day)


def seed_demo(tenant: Any, users: dict[str, Any], rng: Any) -> None:
    from .demo import seed

    seed(tenant, users, rng)


def export(tenant: Any, archive: Any) -> None:
    from .archive import export as run

    run(tenant, archive)


component = Component(
    name="processes",
    init_app=init_app,
    export=export,
    seed_demo=seed_demo,
    init_tenant=init_tenant,
    nav_items=(
        ("processes.list_processes", _l("Processer")),
        ("processes.new_process", _l("Indberet en idé")),
    ),
    home="processes.home",
    admin_links=(
        (
            "register_settings.show",
            _l("Indstillinger for registeret"),
            _l("fagområder, prioritetens vægte, timer pr. årsværk og timepris"),
        ),
        (
            "processes.intake_links",
            _l("Links til indberetning"),
            _l("ét link pr. fagområde, der åbner formularen med fagområdet valgt"),
        ),
    ),
    operator_pages=(("processes_operator.phases", _l("Processer pr. fase")),),
    usage=(("processes", _l("Processer"), "operator_process_counts"),),
    daily=(("processes.reminders", send_reminders),),
    audit_labels=(
        ("hours_per_fte", _l("Timer pr. årsværk")),
        ("cost_per_hour_dkk", _l("Timepris (kr.)")),
        ("weight_benefit", _l("Vægt: Gevinst")),
        ("weight_suitability", _l("Vægt: Egnethed")),
        ("weight_ease", _l("Vægt: Lethed")),
        ("weight_strategic", _l("Vægt: Strategisk match")),
        ("domain", _l("Fagområde")),
        ("domain_added", _l("Tilføjet")),
        ("domain_renamed", _l("Omdøbt")),
        ("domain_moved", _l("Flyttet")),
        ("domain_activated", _l("Aktiveret")),
        ("domain_deactivated", _l("Deaktiveret")),
        ("domain_deleted", _l("Slettet")),
        ("position", _l("Ny plads")),
    ),
)

"""`autoproces runs remind`: the owners' three-month lessons reminder, for every municipality
(run it daily from cron or beside `autoproces worker`, which then sends the e-mails)."""

from __future__ import annotations

from datetime import date

import click


@click.group("runs", help="Realised runs and the lessons reminder.")
def runs_cli() -> None:
    pass


@runs_cli.command(
    "remind",
    help="Queue the e-mail asking each owner for lessons learned three months into operation"
    " (once per process).",
)
@click.option("--today", default=None, help="The date to act as of (YYYY-MM-DD); default today.")
def remind(today: str | None) -> None:
    from autoproces.platform.cli import _build_app
    from autoproces.platform.db import db
    from autoproces.platform.tenancy import activate_tenant, list_active_tenants

    from .services import send_lessons_reminders

    try:
        day = date.fromisoformat(today) if today else None
    except ValueError:
        raise click.BadParameter("YYYY-MM-DD", param_hint="--today") from None
    app = _build_app()
    total = 0
    with app.app_context():
        for tenant in list_active_tenants():
            db.session.commit()  # each municipality in its own transaction
            activate_tenant(tenant)
            total += send_lessons_reminders(tenant.slug, day)
            db.session.commit()
    click.echo(f"Queued {total} reminder(s).")

"""Daily jobs: the components' once-a-day work (reminders, digests) for every municipality.

A component names its jobs in `Component.daily`; `autoproces worker` runs the ones due each
time the date changes (and at start), `autoproces daily` runs them from a shell or cron.

Each (municipality, job, day) is claimed by a row in `daily_run`, inserted in the same
transaction as the job's own writes: a job that fails leaves no claim and is tried again on
the next pass, and a second worker running at the same time waits for the first's row and
then skips. The jobs themselves still send each reminder once per period by their own keys,
so running a day twice (e.g. `--force`) sends nothing twice.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from flask import current_app
from sqlalchemy import Date, DateTime, Integer, String, func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Mapped, mapped_column

from .db import db

log = logging.getLogger(__name__)

# A job: (municipality, the day to act as of) -> how many things it did (e.g. e-mails queued),
# run with the municipality active, inside its transaction.
DailyJob = Callable[[Any, date], int]


class DailyRun(db.Model):
    """A daily job ran for a municipality on a day (its claim: at most once per day)."""

    __tablename__ = "daily_run"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(60), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    done: Mapped[int] = mapped_column(Integer)
    ran_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


@dataclass
class DailyReport:
    day: date
    done: dict[str, int] = field(default_factory=dict)  # job -> total across municipalities
    skipped: int = 0  # (municipality, job) pairs already run that day
    failed: int = 0

    @property
    def total(self) -> int:
        return sum(self.done.values())


def today() -> date:
    return datetime.now(UTC).date()


def _platform_jobs() -> list[tuple[str, DailyJob]]:
    from .identity.services import refresh_saml_metadata

    return [("identity.saml_metadata", refresh_saml_metadata)]


def daily_jobs() -> list[tuple[str, DailyJob]]:
    """The platform's own daily jobs, then every component's, in component order (the
    running app's components)."""
    components = current_app.extensions.get("autoproces.components", [])
    return _platform_jobs() + [(name, job) for c in components for name, job in c.daily]


def run_daily(
    day: date | None = None, *, only: str | None = None, force: bool = False
) -> DailyReport:
    """Run the daily jobs due for `day` (default today) in every active municipality, each
    (municipality, job) in its own transaction. With `force`, jobs already run that day run
    again. A job that raises is logged and rolled back; the others go on."""
    from .tenancy import activate_tenant, list_active_tenants

    day = day or today()
    report = DailyReport(day)
    jobs = [(n, j) for n, j in daily_jobs() if only is None or n == only]
    if not jobs:
        return report
    db.session.commit()
    tenants = list_active_tenants()
    db.session.commit()
    for tenant in tenants:
        for name, job in jobs:
            try:
                activate_tenant(tenant)
                claimed = db.session.execute(
                    insert(DailyRun)
                    .values(tenant_id=tenant.id, job=name, day=day, done=0)
                    .on_conflict_do_nothing()
                    .returning(DailyRun.job)
                ).first()
                if claimed is None and not force:
                    report.skipped += 1
                    db.session.rollback()
                    continue
                done = job(tenant, day)
                db.session.execute(
                    db.update(DailyRun)
                    .where(
                        DailyRun.tenant_id == tenant.id,
                        DailyRun.job == name,
                        DailyRun.day == day,
                    )
                    .values(done=DailyRun.done + done)
                )
                db.session.commit()
                report.done[name] = report.done.get(name, 0) + done
            except Exception:
                db.session.rollback()
                report.failed += 1
                log.exception("daily job %s failed for %s on %s", name, tenant.slug, day)
    return report


class DailySchedule:
    """The worker's clock: runs the day's jobs when it first sees a new date (and retries a
    day with failures on later looks)."""

    def __init__(self, clock: Callable[[], date] = today) -> None:
        self.clock = clock
        self.finished: date | None = None

    def tick(self) -> DailyReport | None:
        day = self.clock()
        if self.finished == day:
            return None
        report = run_daily(day)
        if not report.failed:
            self.finished = day
        if report.total or report.failed:
            log.info(
                "daily jobs for %s: %s; %d failed", day, report.done or "nothing", report.failed
            )
        return report


def _daily_command() -> Any:
    import click

    @click.command(
        "daily",
        help="Run the daily jobs (reminders, digests) for every municipality now, each once a"
        " day; `autoproces worker` does this by itself when the date changes.",
    )
    @click.option("--today", default=None, help="The date to act as of (YYYY-MM-DD).")
    @click.option("--job", default=None, help="Only this job (see --list).")
    @click.option("--force", is_flag=True, help="Run jobs already run that day again.")
    @click.option("--list", "list_jobs", is_flag=True, help="List the jobs and exit.")
    def daily(today: str | None, job: str | None, force: bool, list_jobs: bool) -> None:
        from .cli import _build_app

        try:
            day = date.fromisoformat(today) if today else None
        except ValueError:
            raise click.BadParameter("YYYY-MM-DD", param_hint="--today") from None
        app = _build_app()
        with app.app_context():
            names = [n for n, _job in daily_jobs()]
            if list_jobs:
                click.echo("\n".join(names))
                return
            if job is not None and job not in names:
                raise click.BadParameter(f"not one of {', '.join(names)}", param_hint="--job")
            report = run_daily(day, only=job, force=force)
        for name in names:
            if job is None or name == job:
                click.echo(f"{name}: {report.done.get(name, 0)}")
        if report.skipped:
            click.echo(f"Already run on {report.day}: {report.skipped} (use --force).")
        if report.failed:
            raise click.ClickException(f"{report.failed} job(s) failed; see the log.")

    return daily


daily_command = _daily_command()

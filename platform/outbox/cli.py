"""`autoproces worker`: sends the e-mail outbox of every municipality."""

from __future__ import annotations

import signal
import threading
from typing import Any

import click


@click.group(
    "worker",
    invoke_without_command=True,
    help=(
        "Send queued e-mails of every municipality through SMTP_HOST, retrying with backoff"
        " while the mail server is away, and run the daily jobs (reminders, digests) when the"
        " date changes; makes the export archives asked for and deletes the municipalities"
        " whose offboarding is due. Runs until stopped; --once only does what is due and"
        " exits (cron runs `autoproces daily` before it)."
    ),
)
@click.option("--once", is_flag=True, help="Send the messages due now, then exit.")
@click.option("--batch", default=50, show_default=True, help="Messages claimed at a time.")
@click.option(
    "--interval", default=10.0, show_default=True, help="Seconds between looks at the outbox."
)
@click.option(
    "--no-daily",
    is_flag=True,
    help="Do not run the daily jobs (when `autoproces daily` runs from cron instead).",
)
@click.option(
    "--metrics-port",
    type=int,
    default=None,
    envvar="AUTOPROCES_WORKER_METRICS_PORT",
    help="Answer Prometheus scrapes of the worker's counters on this port (`/metrics`,"
    " protected like the web app's).",
)
@click.option("--metrics-host", default="0.0.0.0", show_default=True)
def worker(
    once: bool,
    batch: int,
    interval: float,
    no_daily: bool,
    metrics_port: int | None,
    metrics_host: str,
) -> None:
    from ..cli import _build_app
    from ..config import ConfigError, Settings
    from ..daily import DailySchedule
    from ..export.services import run_due as run_exports
    from ..logs import configure
    from ..offboarding.services import run_due as run_offboardings
    from .sender import SmtpConfig, run_worker

    try:
        log_format = Settings.from_env().log_format
    except ConfigError as e:
        raise click.ClickException(str(e)) from None
    # JSON by default, as in production; put back when the command ends (e.g. in a test).
    click.get_current_context().call_on_close(configure(log_format or "json"))
    app = _build_app()
    settings = app.config["AUTOPROCES_SETTINGS"]
    if not settings.smtp_host:
        raise click.ClickException("Set SMTP_HOST (and SMTP_PORT, SMTP_FROM) to send e-mail.")
    metrics_server = None
    if metrics_port is not None:
        from ..metrics import serve_worker_metrics

        try:
            metrics_server = serve_worker_metrics(
                metrics_host, metrics_port, settings.metrics_token
            )
        except OSError as e:
            raise click.ClickException(
                f"Cannot answer metrics on port {metrics_port}: {e}"
            ) from None
    stop = threading.Event()
    if not once:

        def _stop(signum: int, frame: Any) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
    with app.app_context():
        sent = run_worker(
            SmtpConfig.from_settings(settings),
            once=once,
            batch=max(1, batch),
            interval=max(0.1, interval),
            stop=stop,
            schedule=None if no_daily or once else DailySchedule(),
            tasks=(run_exports, run_offboardings),
        )
    if metrics_server is not None:
        metrics_server.shutdown()
    click.echo(f"Sent {sent} e-mail(s).")

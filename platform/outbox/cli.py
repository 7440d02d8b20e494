"""`autoproces worker`: sends the e-mail outbox of every municipality."""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

import click


@click.group(
    "worker",
    invoke_without_command=True,
    help=(
        "Send queued e-mails of every municipality through SMTP_HOST, retrying with backoff"
        " while the mail server is away. Runs until stopped; --once sends what is due and"
        " exits (tests, cron)."
    ),
)
@click.option("--once", is_flag=True, help="Send the messages due now, then exit.")
@click.option("--batch", default=50, show_default=True, help="Messages claimed at a time.")
@click.option(
    "--interval", default=10.0, show_default=True, help="Seconds between looks at the outbox."
)
def worker(once: bool, batch: int, interval: float) -> None:
    from ..cli import _build_app
    from .sender import SmtpConfig, run_worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    app = _build_app()
    settings = app.config["AUTOPROCES_SETTINGS"]
    if not settings.smtp_host:
        raise click.ClickException("Set SMTP_HOST (and SMTP_PORT, SMTP_FROM) to send e-mail.")
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
        )
    click.echo(f"Sent {sent} e-mail(s).")

"""Sending the outbox: claim due messages of every tenant, send them over SMTP, mark them.

The app role sees one tenant per transaction, so the worker goes through narrow
SECURITY DEFINER functions (migrations 0005 and 0009): `outbox_claim` leases due messages with
FOR UPDATE SKIP LOCKED (two workers never hold the same message) and `outbox_mark`
marks one sent or schedules another try (1, 2, 4 … minutes, at most an hour; failed
after ten attempts). Each claim and each mark is committed at once, so a message the
SMTP server accepted is not sent again, and nothing is lost while the server is down.

A mail server that cannot be reached (or drops the connection) is not the messages' fault:
`outbox_release` (migration 0009) hands them back still due and uncounted, and the worker
looks again after its interval, so mail goes out promptly once the server answers.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

from sqlalchemy import text

from .. import metrics
from ..db import db
from ..errors import DATABASE_UNAVAILABLE, rollback_quietly

log = logging.getLogger(__name__)

DEFAULT_BATCH = 50
DEFAULT_LOCK_SECONDS = 300  # longer than any one send can take (timeout below)


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 25
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    sender: str = "autoproces@localhost"
    timeout: float = 30.0

    @classmethod
    def from_settings(cls, settings: Any) -> SmtpConfig:
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password,
            starttls=settings.smtp_starttls,
            sender=settings.smtp_from,
        )


@dataclass
class DeliveryReport:
    claimed: int = 0
    sent: int = 0
    retried: int = 0  # failed this time: another try is scheduled (or given up after ten)
    server_down: bool = False  # the mail server could not be reached: all handed back, due


def release(row: Any, error: str) -> None:
    """Hand a claimed message back untried: still due, the claim not counted as an attempt."""
    db.session.execute(
        text("select outbox_release(:tenant, :id, :error)"),
        {"tenant": row.tenant_id, "id": row.id, "error": error},
    )
    db.session.commit()


def claim(limit: int = DEFAULT_BATCH, lock_seconds: int = DEFAULT_LOCK_SECONDS) -> list[Any]:
    """Lease up to `limit` due messages of any tenant, and commit the lease."""
    rows = db.session.execute(
        text("select * from outbox_claim(:limit, :lock)"), {"limit": limit, "lock": lock_seconds}
    ).all()
    db.session.commit()
    return list(rows)


def mark(row: Any, ok: bool, error: str | None = None) -> None:
    db.session.execute(
        text("select outbox_mark(:tenant, :id, :ok, :error)"),
        {"tenant": row.tenant_id, "id": row.id, "ok": ok, "error": error},
    )
    db.session.commit()


def build_message(row: Any, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = row.to_address
    message["Subject"] = row.subject
    message["Date"] = formatdate(localtime=True)
    # Stable per outbox row: a receiving system can spot a repeat.
    domain = sender.rpartition("@")[2] or "autoproces"
    message["Message-ID"] = f"<{row.id}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(row.body_text)
    if row.body_html:
        message.add_alternative(row.body_html, subtype="html")
    return message


def _connect(smtp: SmtpConfig) -> smtplib.SMTP:
    connection = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
    try:
        if smtp.starttls:
            connection.starttls(context=ssl.create_default_context())
        if smtp.username:
            connection.login(smtp.username, smtp.password or "")
    except BaseException:
        connection.close()
        raise
    return connection


def deliver_due(
    smtp: SmtpConfig, limit: int = DEFAULT_BATCH, lock_seconds: int = DEFAULT_LOCK_SECONDS
) -> DeliveryReport:
    """Send one batch of due messages. Needs an app context."""
    rows = claim(limit, lock_seconds)
    report = DeliveryReport(claimed=len(rows))
    if not rows:
        return report
    try:
        connection = _connect(smtp)
    except (OSError, smtplib.SMTPException) as e:
        log.warning("mail server %s:%s unreachable: %s", smtp.host, smtp.port, e)
        for row in rows:
            release(row, f"connect: {e}")
        report.retried, report.server_down = len(rows), True
        return report

    def server_gone(index: int, e: Exception) -> None:
        # The connection is gone. The message in flight counts as an attempt (it may be what
        # the server chokes on, and must not be retried forever); the rest go back, due.
        mark(rows[index], False, f"send: {e}")
        for rest in rows[index + 1 :]:
            release(rest, f"send: {e}")
        report.retried += len(rows) - index
        report.server_down = True

    try:
        for index, row in enumerate(rows):
            try:
                message = build_message(row, smtp.sender)
                connection.send_message(message)
            except (smtplib.SMTPServerDisconnected, ConnectionError, TimeoutError) as e:
                server_gone(index, e)
                break
            except (smtplib.SMTPException, ValueError, TypeError) as e:
                # This message only (a refused recipient, a malformed header). SMTPException
                # is an OSError, so this comes before the general OSError below.
                mark(row, False, f"send: {e}")
                report.retried += 1
            except OSError as e:
                server_gone(index, e)
                break
            else:
                mark(row, True)
                report.sent += 1
    finally:
        try:
            connection.quit()
        except (OSError, smtplib.SMTPException):
            connection.close()
    if report.retried:
        log.warning("%d of %d e-mails will be retried", report.retried, report.claimed)
    return report


def run_worker(
    smtp: SmtpConfig,
    *,
    once: bool = False,
    batch: int = DEFAULT_BATCH,
    lock_seconds: int = DEFAULT_LOCK_SECONDS,
    interval: float = 10.0,
    stop: threading.Event | None = None,
    schedule: Any = None,
    tasks: tuple[Callable[[], Any], ...] = (),
) -> int:
    """Deliver due messages until `stop` is set (or, with `once`, until none is due).
    With a `schedule` (daily.DailySchedule), the day's jobs run first whenever the date
    changes, so the reminders they queue go out in the same pass; `tasks` (the exports,
    the due offboardings) run first on every pass.
    Returns the number sent. Needs an app context."""
    stop = stop or threading.Event()
    sent = 0
    while not stop.is_set():
        try:
            if schedule is not None:
                schedule.tick()
            for task in tasks:
                task()
            report = deliver_due(smtp, batch, lock_seconds)
        except DATABASE_UNAVAILABLE as e:  # the database is away: try again later
            rollback_quietly()
            metrics.record_worker_pass(error=True)
            if once:
                raise
            log.warning("outbox: database unavailable: %s", e)
            stop.wait(interval)
            continue
        sent += report.sent
        metrics.record_worker_pass(report.sent, report.retried)
        if report.claimed >= batch and not report.server_down:
            continue  # more may be due right now
        if once:
            break
        stop.wait(interval)
    return sent

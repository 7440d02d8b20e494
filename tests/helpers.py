"""Small helpers the tests share."""

from __future__ import annotations

import email
import email.message
import socket
import tempfile
import threading
import time
from email import policy
from pathlib import Path


def login(client, user) -> None:
    """Log `user` in on `client` (a Flask-Login session for the user's tenant)."""
    with client.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
        sess["_fresh"] = True
        sess["signed_in_at"] = int(time.time())


def operator_login(client, operator) -> None:
    """Sign `operator` in to the console on `client` (its own session, not Flask-Login's)."""
    with client.session_transaction() as sess:
        sess["operator_id"] = str(operator.id)
        sess["operator_epoch"] = operator.session_epoch or 0
        sess["signed_in_at"] = int(time.time())


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


REPO_ROOT = Path(__file__).resolve().parent.parent
APP_ROLE = "autoproces_app"
# The owner is a plain role, as in production: FORCE'd row-level security applies to it too.
OWNER_ROLE = "autoproces_test_owner"
TEST_ENCRYPTION_KEY = "l0wRpiSE3VUv3n8sHwWx1MH5oXOeRgq0uC6LZL6yUhs="  # a Fernet key, tests only


def app_env(database, **extra: str) -> dict[str, str]:
    env = {
        "DATABASE_URL": database.app_url,
        "MIGRATION_DATABASE_URL": database.owner_url,
        "SECRET_KEY": "test-secret-key",
        "AUTOPROCES_BASE_URL": "http://localhost",  # Flask's test client's own address
        "AUTOPROCES_ENCRYPTION_KEY": TEST_ENCRYPTION_KEY,
        "AUTOPROCES_INSTANCE_PATH": tempfile.mkdtemp(prefix="autoproces-instance-"),
    }
    env.update(extra)
    return env


# The unit tests' app settings (CSRF and rate limits have their own tests).
UNIT_TEST_CONFIG = {
    "TESTING": True,
    "WTF_CSRF_ENABLED": False,
    "LOGIN_RATE_LIMIT": "10000/minute",
    "TOKEN_RATE_LIMIT": "10000/minute",
    "UPLOAD_RATE_LIMIT": "10000/minute",
}


def add_kle_topic(su_engine) -> str:
    """A KLE topic (level 3) under its group and main group, as the taxonomy's import would
    store them; returns its code."""
    from sqlalchemy import text

    with su_engine.begin() as conn:
        conn.execute(
            text(
                "insert into kle_entry values ('32', 'Social', 1, null),"
                " ('32.18', 'Sygedagpenge', 2, '32'),"
                " ('32.18.08', 'Opfølgning', 3, '32.18')"
            )
        )
    return "32.18.08"


# Three processes whose priority scores test_figures.py works out by hand (weights 1, cost
# 450): A 76.2 (100 h/year, the largest; effort 10 h), B 42.6 (50 h/year; effort 100 h × 450,
# the largest; no assessment, no fit), C 66.7 (only the strategic fit).
SCORED_PROCESSES = {
    "A": {
        "occurrences_per_year": 1000,
        "minutes_per_occurrence": 6,
        "automation_share_pct": 100,
        "structured_input": "very_high",
        "uniformity": "high",
        "expected_dev_hours": 10,
        "expected_cost_dkk": 0,
        "strategic_fit": 3,
    },
    "B": {
        "occurrences_per_year": 500,
        "minutes_per_occurrence": 12,
        "automation_share_pct": 50,
        "expected_dev_hours": 100,
    },
    "C": {"strategic_fit": 2},
}


def make_scored(make, user) -> dict:
    """SCORED_PROCESSES made by `user`, by title."""
    return {
        title: make.process(user, title=title, **data) for title, data in SCORED_PROCESSES.items()
    }


# --- A real SMTP server on loopback (aiosmtpd) ---------------------------------------


class Collector:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if address.startswith("refuse"):
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        message = email.message_from_bytes(envelope.original_content, policy=policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.collector = Collector()
        self.controller = None

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self.controller = Controller(self.collector, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self):
        return self.collector.messages

    def config(self):
        from autoproces.platform.outbox.sender import SmtpConfig

        return SmtpConfig(
            host="127.0.0.1", port=self.port, sender="autoproces@kommune.example", timeout=5
        )

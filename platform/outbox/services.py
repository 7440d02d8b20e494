"""Queueing e-mail: in the caller's transaction, so a message exists exactly when the change
it reports was committed. `autoproces worker` sends it later (sender.py)."""

from __future__ import annotations

import uuid

from sqlalchemy import text

from ..db import db
from .models import OutboxMessage

SUBJECT_MAX = 300
# RFC 2606 reserves .invalid: such an address (a service account's) can never be delivered.
UNDELIVERABLE_SUFFIX = ".invalid"


def deliverable(address: str) -> bool:
    return not address.strip().lower().rstrip(".").endswith(UNDELIVERABLE_SUFFIX)


def _one_line(subject: str) -> str:
    # A subject becomes a mail header: one line, bounded.
    return " ".join(subject.split())[:SUBJECT_MAX]


def queue_mail(
    tenant_id: uuid.UUID,
    to_address: str,
    subject: str,
    body_text: str,
    kind: str,
    body_html: str | None = None,
) -> OutboxMessage | None:
    """Queue one e-mail to a person of the current municipality (None: the address can never
    be delivered, so nothing is queued)."""
    if not deliverable(to_address):
        return None
    message = OutboxMessage(
        tenant_id=tenant_id,
        to_address=to_address,
        subject=_one_line(subject),
        body_text=body_text,
        body_html=body_html,
        kind=kind,
    )
    db.session.add(message)
    return message


def queue_for_team(
    tenant_id: uuid.UUID, subject: str, body_text: str, kind: str, role: str = "automation"
) -> int:
    """Queue an e-mail to every active user with `role` in another municipality (e.g. the
    publisher's automation team, for the catalogue's contact form).

    The caller never learns who they are or their addresses: the narrow SECURITY DEFINER
    function `outbox_queue_for_team` (migration 0009) writes the rows. Returns how many
    messages were queued (0 for an unknown or suspended municipality).
    """
    return db.session.execute(
        text("select outbox_queue_for_team(:tenant, :role, :subject, :body, :kind)"),
        {
            "tenant": tenant_id,
            "role": role,
            "subject": _one_line(subject),
            "body": body_text,
            "kind": kind,
        },
    ).scalar_one()

"""Engagement follows what happens in the register through its signals (connected at
import; `component.init_app` imports this module, so every app process has them)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, select

from autoproces.platform.identity.models import User
from autoproces.tenants.processes import signals
from autoproces.tenants.processes.models import Process

from . import services
from .models import Follower


@signals.process_created.connect
def _reporter_follows(process: Process, *, user: User, **_: Any) -> None:
    services.follow(user, process)  # the reporter follows their own idea


@signals.process_changed.connect
def _tell_followers(process: Process, *, user: User, changes: Mapping[str, Any], **_: Any) -> None:
    # Followers hear of a new phase or status by e-mail (queued in the write's transaction).
    services.notify_followers(process, user, changes)


@signals.idea_submitted.connect
def _receipt(process: Process, *, user: User, **_: Any) -> None:
    services.send_receipt(process, user)


def _followed_by(user: User) -> ColumnElement[bool]:
    return (
        select(Follower.user_id)
        .where(
            Follower.tenant_id == Process.tenant_id,
            Follower.process_id == Process.id,
            Follower.user_id == user.id,
        )
        .exists()
    )


signals.list_filters["following"] = _followed_by  # the list's "Jeg følger"

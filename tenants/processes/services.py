"""Domain operations on processes: the only code that writes them."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, func, or_, select, true

from autoproces.platform.db import db
from autoproces.platform.errors import Invalid, NotFound
from autoproces.platform.identity.auth import require
from autoproces.platform.identity.models import User
from autoproces.platform.permissions import Action

from .models import Process, Visibility

# Fields an employee reporting an idea may not set: they belong to the automation team.
TEAM_FIELDS = ("phase", "status", "internal_notes")


@dataclass(frozen=True)
class Page:
    items: list[Process]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def visible_to(user: User) -> ColumnElement[bool]:
    """The processes `user` may see: private ones only for their reporter and the team."""
    if user.can(Action.READ_ALL):
        return true()
    return or_(Process.visibility == Visibility.MUNICIPALITY.value, Process.reporter_id == user.id)


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def list_processes(
    user: User,
    *,
    q: str | None = None,
    phase: str | None = None,
    status: str | None = None,
    page: int = 1,
    per_page: int = 25,
) -> Page:
    require(user, Action.READ)
    conditions = [Process.tenant_id == user.tenant_id, visible_to(user)]
    if q and q.strip():
        pattern = f"%{_escape_like(q.strip())}%"
        conditions.append(
            or_(
                Process.title.ilike(pattern, escape="\\"),
                Process.summary.ilike(pattern, escape="\\"),
            )
        )
    if phase:
        conditions.append(Process.phase == phase)
    if status:
        conditions.append(Process.status == status)
    total = db.session.scalar(select(func.count()).select_from(Process).where(*conditions)) or 0
    items = db.session.scalars(
        select(Process)
        .where(*conditions)
        .order_by(Process.updated_at.desc(), Process.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return Page(items=list(items), total=total, page=page, per_page=per_page)


def get_process(user: User, process_id: uuid.UUID) -> Process:
    """The process, or NotFound: a process the caller may not see does not exist for them."""
    require(user, Action.READ)
    process = db.session.scalar(
        select(Process).where(
            Process.tenant_id == user.tenant_id, Process.id == process_id, visible_to(user)
        )
    )
    if process is None:
        raise NotFound(_("Processen findes ikke."))
    return process


def create_process(user: User, data: dict[str, Any]) -> Process:
    """Report a process. `data` is already validated by ProcessInSchema."""
    require(user, Action.REPORT)
    if not user.can(Action.EDIT):
        refused = {
            f: [_("Kun automatiseringsteamet kan sætte dette felt.")]
            for f in TEAM_FIELDS
            if f in data
        }
        if refused:
            raise Invalid(_("Oplysningerne kunne ikke gemmes."), refused)
    process = Process(tenant_id=user.tenant_id, reporter_id=user.id, **data)
    db.session.add(process)
    db.session.flush()
    return process

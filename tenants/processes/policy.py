"""Who may see, edit and delete a process: the register's one policy (issue 8, D21).

`can_see` and its SQL twin `visible_to` must agree (tests/tenants/processes/test_policy.py
runs both over every kind of user and process); views ask the policy which buttons to show.
A request loads its process once, checked for what it needs (`get_process(user, id,
need=…)`), and hands that process on; the services check it again (`check`) before they
write or read more."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, false, or_, select, true

from autoproces.platform.db import db
from autoproces.platform.errors import Forbidden, NotFound
from autoproces.platform.identity.auth import require
from autoproces.platform.identity.models import User
from autoproces.platform.permissions import Action

from .fields import REPORTER_FIELDS
from .models import Phase, Process, Status, Visibility


def can_see(user: User, process: Process) -> bool:
    """Private processes only for their reporter and the roles that read everything."""
    if not user.can(Action.READ) or process.tenant_id != user.tenant_id:
        return False
    return (
        user.can(Action.READ_ALL)
        or process.visibility == Visibility.MUNICIPALITY
        or process.reporter_id == user.id
    )


def visible_to(user: User) -> ColumnElement[bool]:
    """can_see as a condition on Process (the tenant is the caller's own condition)."""
    if not user.can(Action.READ):
        return false()
    if user.can(Action.READ_ALL):
        return true()
    return or_(Process.visibility == Visibility.MUNICIPALITY.value, Process.reporter_id == user.id)


def _own_idea(user: User, process: Process) -> bool:
    return (
        user.active
        and process.reporter_id == user.id
        and process.phase == Phase.IDEA
        and user.can(Action.REPORT)
    )


def can_edit(user: User, process: Process, fields: Iterable[str] | None = None) -> bool:
    """The team edits everything; the reporter may still improve their own idea (the
    reporter's fields only) before the team takes it up. `fields=None`: any edit at all."""
    if not can_see(user, process):
        return False
    if user.can(Action.EDIT):
        return True
    return _own_idea(user, process) and (fields is None or set(fields) <= REPORTER_FIELDS)


def can_delete(user: User, process: Process) -> bool:
    """The team may delete any process; a reporter their own idea until it is assessed."""
    if not can_see(user, process):
        return False
    return user.can(Action.EDIT) or (
        _own_idea(user, process) and process.status == Status.NOT_ASSESSED
    )


def check(
    user: User, process: Process, need: str = "read", fields: Iterable[str] | None = None
) -> None:
    """Raise unless `user` may do what they `need` ("read", "edit" with `fields`, or
    "delete") to `process`: NotFound when they may not see it (it does not exist for
    them), Forbidden when they see it but may not do what they need."""
    if not can_see(user, process):
        raise NotFound(_("Processen findes ikke."))
    if need == "edit" and not can_edit(user, process, fields):
        raise Forbidden(_("Du må ikke ændre denne proces."))
    if need == "delete" and not can_delete(user, process):
        raise Forbidden(_("Du må ikke slette denne proces."))


def get_process(user: User, process_id: uuid.UUID, need: str = "read") -> Process:
    """The process, loaded once and checked for what the caller needs (see `check`), with
    the tenant's settings attached for its figures."""
    # queries reads through this policy (visible_to), so it is imported here, not above.
    from .queries import present

    require(user, Action.READ)
    process = db.session.scalar(
        select(Process).where(
            Process.tenant_id == user.tenant_id, Process.id == process_id, visible_to(user)
        )
    )
    if process is None:
        raise NotFound(_("Processen findes ikke."))
    check(user, process, need)
    return present(process, user.tenant_id)

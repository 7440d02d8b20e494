"""Who may see, edit and delete a process: the register's one policy (issue 8, D21).

`can_see` and its SQL twin `visible_to` must agree (tests/test_policy.py runs both over every
kind of user and process); views ask the policy which buttons to show, and the services
enforce it (services.get_process with need="edit" / "delete")."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, false, or_, true

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

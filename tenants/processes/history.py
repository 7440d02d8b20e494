"""The process's history: the snapshot a save is compared with, and the recorded changes as
the API and the process page read them (the services write them)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from autoproces.platform.db import db
from autoproces.platform.identity.models import User

from . import fields as registry
from . import policy
from .models import Process, ProcessChange

# Columns the history never records: keys, the lock's counter, the times, the generated ones.
_UNRECORDED = (
    "tenant_id",
    "id",
    "version",
    "created_at",
    "updated_at",
    "search_vector",
    "suitability_points",
)


def snapshot(process: Process) -> dict[str, Any]:
    """The process as JSON-able values, for the history."""
    values: dict[str, Any] = {}
    for column in Process.__table__.columns:
        if column.key not in _UNRECORDED:
            values[column.key] = json_value(getattr(process, column.key))
    values["domain_ids"] = sorted(d.name for d in process.domains)
    values["associated_user_ids"] = sorted(u.name for u in process.associated_users)
    for key in ("owner_id", "contact_id", "reporter_id"):
        person = getattr(process, key.removesuffix("_id"))
        values[key] = {"id": str(person.id), "name": person.name} if person else None
    return values


def json_value(value: Any) -> Any:
    """A column's value as the history stores it (JSON)."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def requests_change(process: Process, data: dict[str, Any], before: dict[str, Any]) -> bool:
    """Whether `data` would change `process` (`before` is its `snapshot`)."""
    for key, value in data.items():
        if key == "domain_ids":
            if {str(v) for v in value} != {str(d.id) for d in process.domains}:
                return True
        elif key == "associated_user_ids":
            if {str(v) for v in value} != {str(u.id) for u in process.associated_users}:
                return True
        elif key in ("owner_id", "contact_id"):
            current = before[key]["id"] if before[key] else None
            if (str(value) if value else None) != current:
                return True
        elif json_value(value) != before.get(key):
            return True
    return False


def history_name(key: str) -> str:
    """The name the history records the field `key` under."""
    return registry.HISTORY_NAMES.get(key, key)


def last_editor(process: Process) -> str | None:
    """The name of whoever saved the process last (None before the first change)."""
    return db.session.scalar(
        select(User.name)
        .join(
            ProcessChange,
            (ProcessChange.tenant_id == User.tenant_id) & (ProcessChange.user_id == User.id),
        )
        .where(ProcessChange.tenant_id == process.tenant_id, ProcessChange.process_id == process.id)
        .order_by(ProcessChange.id.desc())
        .limit(1)
    )


def history(user: User, process: Process) -> list[dict[str, Any]]:
    """Every recorded change of `process` (from policy.get_process), newest first."""
    policy.check(user, process)
    rows = db.session.execute(
        select(ProcessChange, User)
        .outerjoin(
            User, (User.tenant_id == ProcessChange.tenant_id) & (User.id == ProcessChange.user_id)
        )
        .where(ProcessChange.tenant_id == process.tenant_id, ProcessChange.process_id == process.id)
        .order_by(ProcessChange.id.desc())
    ).all()
    return [
        {
            "id": c.id,
            "changed_at": c.changed_at,
            "user": u,
            "field": c.field,
            "old_value": c.old_value,
            "new_value": c.new_value,
        }
        for c, u in rows
    ]


def history_entries(user: User, process: Process) -> list[dict[str, Any]]:
    """The history as people read it: one entry per save (who, when), newest first, with
    the fields that save changed in the form's order."""
    entries: list[dict[str, Any]] = []
    for change in history(user, process):
        last = entries[-1] if entries else None
        if (
            last is None
            or last["changed_at"] != change["changed_at"]
            or getattr(last["user"], "id", None) != getattr(change["user"], "id", None)
        ):
            last = {"changed_at": change["changed_at"], "user": change["user"], "changes": []}
            entries.append(last)
        last["changes"].append(change)
    order = registry.FORM_ORDER
    history_names = {alias: name for name, alias in registry.HISTORY_NAMES.items()}
    for entry in entries:
        entry["changes"].sort(
            key=lambda c: order.get(history_names.get(c["field"], c["field"]), len(order))
        )
    return entries

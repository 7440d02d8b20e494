"""Domain operations on processes: the only code that writes them. The writers take the
process the request loaded and checked once (policy.get_process) and check it again for
what they do; the reading queries are in queries.py, the history in history.py."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm.exc import StaleDataError

from autoproces.platform.db import db
from autoproces.platform.errors import Conflict, Invalid
from autoproces.platform.identity.auth import require
from autoproces.platform.identity.models import User
from autoproces.platform.permissions import Action

from . import fields as registry
from . import phases, policy
from .history import history_name, last_editor, requests_change, snapshot
from .models import (
    STANDARD_DOMAINS,
    Domain,
    Phase,
    Process,
    ProcessAssociatedUser,
    ProcessChange,
    ProcessDomain,
    ProcessNumberCounter,
    TenantSettings,
)
from .queries import list_domains, present
from .signals import process_changed, process_created, process_deleting

# Written through their own tables, not as columns of the process.
RELATION_FIELDS = ("domain_ids", "associated_user_ids")


def init_tenant(tenant: Any) -> None:
    """A new municipality's settings and its fagområder, seeded from the standard list."""
    db.session.add(TenantSettings(tenant_id=tenant.id))
    for position, name in enumerate(STANDARD_DOMAINS):
        db.session.add(Domain(tenant_id=tenant.id, name=name, position=position))
    db.session.flush()


def next_process_number(tenant_id: uuid.UUID) -> int:
    """The municipality's next process number. The counter's row stays locked until the
    transaction ends, so concurrent creates in one municipality wait rather than collide;
    a create that is rolled back gives its number back."""
    table = ProcessNumberCounter.__table__
    statement = (
        pg_insert(table)
        .values(tenant_id=tenant_id, last_number=1)
        .on_conflict_do_update(
            index_elements=[table.c.tenant_id], set_={"last_number": table.c.last_number + 1}
        )
        .returning(table.c.last_number)
    )
    return db.session.execute(statement).scalar_one()


def create_process(user: User, data: dict[str, Any]) -> Process:
    """Report a process. `data` is already validated by ProcessInSchema."""
    require(user, Action.REPORT)
    if not user.can(Action.EDIT):
        refused = {
            f: [_("Kun automatiseringsteamet kan sætte dette felt.")]
            for f in sorted(set(data) - registry.REPORTER_FIELDS)
        }
        if refused:
            raise Invalid(_("Oplysningerne kunne ikke gemmes."), refused)
    errors = check_references(user, data)
    if errors:
        raise Invalid(_("Oplysningerne kunne ikke gemmes."), errors)
    fields = {k: v for k, v in data.items() if k not in RELATION_FIELDS}
    process = Process(
        tenant_id=user.tenant_id,
        reporter_id=user.id,
        number=next_process_number(user.tenant_id),
        **fields,
    )
    db.session.add(process)
    db.session.flush()
    _set_relations(process, data)
    problems = phases.problems(process, Phase.IDEA.value)
    if problems:
        raise Invalid(_("Oplysningerne kunne ikke gemmes."), problems)
    process_created.send(process, user=user)  # e.g. the reporter follows their own idea
    return present(process, user.tenant_id)


def check_references(user: User, data: dict[str, Any]) -> dict[str, list[str]]:
    """Ids must name this municipality's users and fagområder; KLE codes must exist."""
    errors: dict[str, list[str]] = {}
    user_ids = {data[k] for k in ("owner_id", "contact_id") if data.get(k)}
    user_ids |= set(data.get("associated_user_ids") or [])
    if user_ids:
        found = set(
            db.session.scalars(
                select(User.id).where(User.tenant_id == user.tenant_id, User.id.in_(user_ids))
            )
        )
        for key in ("owner_id", "contact_id"):
            if data.get(key) and data[key] not in found:
                errors[key] = [_("Ukendt bruger.")]
        if set(data.get("associated_user_ids") or []) - found:
            errors["associated_user_ids"] = [_("Ukendt bruger.")]
    if data.get("domain_ids"):
        known = {d.id for d in list_domains(user.tenant_id, active_only=False)}
        if set(data["domain_ids"]) - known:
            errors["domain_ids"] = [_("Ukendt fagområde.")]
    if data.get("kle_code"):
        from autoproces.tenants.taxonomy.models import KleEntry

        entry = db.session.get(KleEntry, data["kle_code"])
        if entry is None or entry.level != 3:
            errors["kle_code"] = [_("KLE-emnet findes ikke.")]
    return errors


def _set_relations(process: Process, data: dict[str, Any]) -> None:
    if "domain_ids" in data:
        db.session.execute(
            delete(ProcessDomain).where(
                ProcessDomain.tenant_id == process.tenant_id, ProcessDomain.process_id == process.id
            )
        )
        for domain_id in dict.fromkeys(data["domain_ids"]):
            db.session.add(
                ProcessDomain(
                    tenant_id=process.tenant_id, process_id=process.id, domain_id=domain_id
                )
            )
    if "associated_user_ids" in data:
        db.session.execute(
            delete(ProcessAssociatedUser).where(
                ProcessAssociatedUser.tenant_id == process.tenant_id,
                ProcessAssociatedUser.process_id == process.id,
            )
        )
        for user_id in dict.fromkeys(data["associated_user_ids"]):
            db.session.add(
                ProcessAssociatedUser(
                    tenant_id=process.tenant_id, process_id=process.id, user_id=user_id
                )
            )
    db.session.flush()
    # The people and lists are read-only relationships: reload what this change touched.
    stale = [
        name
        for key, name in (
            ("domain_ids", "domains"),
            ("associated_user_ids", "associated_users"),
            ("owner_id", "owner"),
            ("contact_id", "contact"),
        )
        if key in data
    ]
    if stale:
        db.session.expire(process, stale)


def update_process(user: User, process: Process, data: dict[str, Any]) -> Process:
    """Apply a validated change (ProcessPatchSchema) made against `data['version']` to
    `process` (from policy.get_process for `user`).

    409 when someone else changed the process since; every changed field is recorded.
    """
    data = dict(data)
    version = data.pop("version")
    policy.check(user, process, "edit", data)
    if process.version != version:
        raise Conflict(
            _(
                "%(name)s har ændret processen, mens du redigerede. Se ændringen, og prøv igen.",
                name=last_editor(process) or _("En anden"),
            ),
            {"version": [_("Processen er i version %(v)d.", v=process.version)]},
        )
    errors = check_references(user, data)
    if errors:
        raise Invalid(_("Oplysningerne kunne ikke gemmes."), errors)
    before = snapshot(process)
    if not requests_change(process, data, before):
        return present(process, user.tenant_id)  # nothing to do: no write, same version
    old_phase = process.phase
    # A refused change leaves the process as it was stored, also in this session (a page
    # that shows the form again shows the stored phase, not the one that was refused).
    savepoint = db.session.begin_nested()
    try:
        for key, value in data.items():
            if key not in RELATION_FIELDS:
                setattr(process, key, value)
        if registry.LESSON_FIELDS & set(data):
            process.lessons_updated_at = datetime.now(UTC)
        # Set before the one flush, so the version goes up by exactly one (optimistic lock).
        process.updated_at = datetime.now(UTC)
        try:
            _set_relations(process, data)
        except StaleDataError:
            raise Conflict(
                _("Processen blev ændret samtidig. Hent den igen, og prøv igen.")
            ) from None
        errors = phases.problems(process, old_phase)
        if errors:
            raise Invalid(_("Oplysningerne kunne ikke gemmes."), errors)
    except (Invalid, Conflict):
        savepoint.rollback()
        raise
    savepoint.commit()
    after = snapshot(process)
    for key in sorted(k for k in after if after[k] != before.get(k) and k != "lessons_updated_at"):
        db.session.add(
            ProcessChange(
                tenant_id=process.tenant_id,
                process_id=process.id,
                user_id=user.id,
                field=history_name(key),
                old_value=before.get(key),
                new_value=after[key],
            )
        )
    db.session.flush()
    # Listeners (e.g. the followers' e-mail) run in this transaction.
    process_changed.send(
        process,
        user=user,
        changes={k: (before.get(k), after[k]) for k in after if after[k] != before.get(k)},
    )
    return present(process, user.tenant_id)


def delete_process(user: User, process: Process) -> None:
    """Delete `process` (from policy.get_process for `user`) with everything of it."""
    policy.check(user, process, "delete")
    process_deleting.send(process, user=user)  # e.g. attachments schedule their files' removal
    db.session.delete(process)
    db.session.flush()


def set_priority_ranks(user: User, ranks: dict[Process, int | None]) -> list[Process]:
    """Set the steering group's order (`priority_rank`) of several processes in one go, by
    those who prioritise (Action.ASSESS; managers do not edit processes otherwise). Each
    process whose rank changes gets one history entry and a new version, so a form opened
    before the reorder is told of the change (409). The caller serialises concurrent
    reorders (tenants/steering takes the municipality's lock) and checked visibility."""
    require(user, Action.ASSESS)
    changed: list[tuple[Process, int | None]] = []
    now = datetime.now(UTC)
    for process, rank in ranks.items():
        policy.check(user, process)
        if process.tenant_id != user.tenant_id:
            raise Invalid(_("Oplysningerne kunne ikke gemmes."))
        if process.priority_rank == rank:
            continue
        old = process.priority_rank
        process.priority_rank = rank
        process.updated_at = now
        db.session.add(
            ProcessChange(
                tenant_id=process.tenant_id,
                process_id=process.id,
                user_id=user.id,
                field=history_name("priority_rank"),
                old_value=old,
                new_value=rank,
            )
        )
        changed.append((process, old))
    try:
        db.session.flush()
    except StaleDataError:
        raise Conflict(_("Processen blev ændret samtidig. Hent den igen, og prøv igen.")) from None
    for process, old in changed:
        process_changed.send(
            process, user=user, changes={"priority_rank": (old, process.priority_rank)}
        )
    return [p for p, _old in changed]

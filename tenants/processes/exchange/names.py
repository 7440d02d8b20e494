"""Names for ids and ids for names: what an export shows for the fagområder and people a
process refers to, and what an import finds for the names a sheet gives."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Row, select

from autoproces.platform.db import db
from autoproces.platform.identity.models import User

from .. import queries
from ..models import Domain, ProcessAssociatedUser, ProcessDomain
from .converters import LIST_SEPARATOR, CellError, norm


class Names:
    """The names an export shows for ids (fagområder, people), looked up once per batch
    of rows: three queries per 500 processes instead of relationships per process."""

    def __init__(self, tenant_id: uuid.UUID) -> None:
        self.tenant_id = tenant_id
        self.people: dict[uuid.UUID, str] = {}  # kept across batches: the same few people
        # Refilled per batch (the same objects, so a converter may hold their `get`).
        self.domains_of: dict[uuid.UUID, str] = {}
        self.associated_of: dict[uuid.UUID, str] = {}
        # The row's columns that hold a user id (the person converters add theirs).
        self.user_columns: set[str] = set()

    def load(self, batch: Sequence[Row[Any]], index: dict[str, int]) -> None:
        ids = [row[index["id"]] for row in batch]
        self._refill(
            self.domains_of, ids, ProcessDomain.domain_id, Domain, Domain.position, Domain.name
        )
        self._refill(self.associated_of, ids, ProcessAssociatedUser.user_id, User, User.name)
        people_at = [index[key] for key in self.user_columns]
        wanted = {row[at] for row in batch for at in people_at} - {None} - self.people.keys()
        if wanted:
            found = db.session.execute(
                select(User.id, User.name).where(
                    User.tenant_id == self.tenant_id, User.id.in_(wanted)
                )
            )
            self.people.update({user_id: name for user_id, name in found})

    def _refill(
        self,
        target: dict[uuid.UUID, str],
        ids: list[uuid.UUID],
        link_to: Any,
        named: Any,
        *order: Any,
    ) -> None:
        """`target` as the `;`-separated names, in `order`, of the `named` rows that the link
        column `link_to` (its table's other column is the process) gives each of `ids`."""
        link = link_to.class_
        pairs = db.session.execute(
            select(link.process_id, named.name)
            .join(named, (named.tenant_id == link.tenant_id) & (named.id == link_to))
            .where(link.tenant_id == self.tenant_id, link.process_id.in_(ids))
            .order_by(*order)
        )
        found: dict[uuid.UUID, list[str]] = defaultdict(list)
        for process_id, name in pairs:
            found[process_id].append(name)
        target.clear()
        target.update({process_id: LIST_SEPARATOR.join(n) for process_id, n in found.items()})


class Lookup:
    """The tenant's fagområder and users by name, for an import, loaded once."""

    def __init__(self, user: User) -> None:
        self.domains = {
            norm(d.name): d.id for d in queries.list_domains(user.tenant_id, active_only=False)
        }
        self.users: dict[str, list[uuid.UUID]] = {}
        for uid, name, email in db.session.execute(
            select(User.id, User.name, User.email).where(User.tenant_id == user.tenant_id)
        ):
            for key in {norm(name), norm(email or "")} - {""}:
                self.users.setdefault(key, []).append(uid)

    def person(self, text: str) -> uuid.UUID:
        found = self.users.get(norm(text), [])
        if not found:
            raise CellError(_("Ukendt bruger: %(name)s.", name=text))
        if len(found) > 1:
            raise CellError(
                _("Flere brugere hedder %(name)s. Skriv e-mailadressen i stedet.", name=text)
            )
        return found[0]

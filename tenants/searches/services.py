"""Saved searches: the only code that writes them, and what runs them.

A saved search keeps the register list's query arguments as the URL carries them
({"phase": "operation", "q": "faktura"}), the keys and checks being the register's own
(`ProcessQuerySchema`, less `page` and `per_page`): they are checked when saved and again
when run, since the register's filters may change under a stored search. Running one is the
register's `filtered_query` for the user, so a search never shows a process its owner may
not read.

Saved searches are personal: every look-up is by the user's own id, so another user of the
municipality gets a 404, like a process they may not see.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, ValidationError
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from autoproces.platform.db import db
from autoproces.platform.errors import Conflict, Invalid, NotFound, normalise_messages
from autoproces.platform.identity.auth import require
from autoproces.platform.identity.models import User
from autoproces.platform.permissions import Action
from autoproces.platform.search import folded
from autoproces.platform.textinput import INVALID_CHARACTER, clean, is_malformed
from autoproces.tenants.processes import queries, reminders
from autoproces.tenants.processes.models import PHASE_LABELS, STATUS_LABELS, Process
from autoproces.tenants.processes.schemas import ProcessQuerySchema
from autoproces.tenants.processes.views import SORT_LABELS

from .models import MAX_PER_USER, NAME_MAX, SavedSearch

# The list's paging is not part of a search.
NOT_SAVED = ("page", "per_page")
# A key of a stored query as named back in an error (an unknown key may be anything).
KEY_SHOWN = 40

NOT_SAVED_MESSAGE = _l("Søgningen kunne ikke gemmes.")
UNUSABLE_MESSAGE = _l(
    "Den gemte søgnings filtre kan ikke længere bruges. Ret filtrene, eller slet søgningen."
)
DUPLICATE = _l("Du har allerede en gemt søgning med det navn. Vælg et andet navn.")

# How the filters read in a description ("Fase: I drift · Søgning: faktura").
FILTER_LABELS = {
    "q": _l("Søgning"),
    "domain": _l("Fagområde"),
    "phase": _l("Fase"),
    "status": _l("Status"),
    "kle": _l("KLE-nummer"),
    "technology": _l("Teknologi"),
    "vendor": _l("Leverandør"),
    "created_before": _l("Indberettet før"),
    "attention": _l("Kræver opmærksomhed"),
    "sort": _l("Sortering"),
}
# Yes/no filters read as their own words.
FLAG_LABELS = {"mine": _l("Kun mine"), "following": _l("Jeg følger")}


def _query_schema() -> ProcessQuerySchema:
    return ProcessQuerySchema()


def query_keys() -> list[str]:
    """The keys a saved search may hold: the register list's filters and order."""
    return [name for name in _query_schema().fields if name not in NOT_SAVED]


# --- The stored query ---------------------------------------------------------------------


def _given(raw: Any) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The raw query's values as the list's URL would carry them, and the problems."""
    if not isinstance(raw, Mapping):
        return {}, {"_schema": [_("Skal være et objekt med listens filtre.")]}
    keys = query_keys()
    given: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    for key, value in raw.items():
        shown = str(key)[:KEY_SHOWN]
        if key not in keys:
            errors[shown] = [_("Ukendt filter. Tilladt: %(keys)s.", keys=", ".join(keys))]
        elif isinstance(value, bool):
            given[key] = "true" if value else "false"
        elif not isinstance(value, str):
            errors[key] = [_("Skal være tekst.")]
        elif is_malformed(value):
            errors[key] = [str(INVALID_CHARACTER)]
        elif clean(value).strip():
            given[key] = clean(value).strip()
    return given, errors


def load_query(raw: Any, stored: bool = False) -> dict[str, Any]:
    """The list's arguments (ProcessQuerySchema's loaded values, `sort` among them) of a
    query to save (or, with `stored`, of a saved one); raises Invalid naming each bad key
    under "query"."""
    given, errors = _given(raw)
    try:
        loaded = _query_schema().load(given, unknown=EXCLUDE)
    except ValidationError as e:
        errors.update(normalise_messages(e.messages))
        loaded = {}
    if errors:
        message = UNUSABLE_MESSAGE if stored else NOT_SAVED_MESSAGE
        raise Invalid(str(message), {"query": errors})
    return {k: v for k, v in loaded.items() if k not in NOT_SAVED}


def stored_query(raw: Any) -> dict[str, str]:
    """What a search keeps of a query: the checked filters as the list's URL carries them,
    in the schema's order, without what says nothing (an empty field, "no", the default
    order)."""
    loaded = load_query(raw)
    fields = _query_schema().fields
    stored: dict[str, str] = {}
    for key in query_keys():
        value = loaded.get(key)
        if value is None or value is False or value == fields[key].load_default:
            continue
        if value is True:
            stored[key] = "true"
        elif isinstance(value, date):
            stored[key] = value.isoformat()
        else:
            stored[key] = str(value)
    return stored


def filters_of(search: SavedSearch) -> dict[str, Any]:
    """The register's filters of a stored search (raises Invalid when they no longer pass
    the register's checks)."""
    args = load_query(search.query, stored=True)
    args.pop("sort", None)
    return args


def describe(query: Mapping[str, Any], names: Mapping[str, str] | None = None) -> str:
    """The filters in words, e.g. "Fase: I drift · Søgning: faktura"; `names`: the
    fagområder's names by id (`domain_names()`, looked up when not given)."""
    names = names if names is not None else domain_names()
    parts = []
    for key, value in query.items():
        value = str(value)
        if key in FLAG_LABELS:
            if value.lower() in ("true", "1", "on", "yes"):
                parts.append(str(FLAG_LABELS[key]))
            continue
        if key == "sort" and value == "relevance":
            continue
        shown = {
            "phase": lambda v: PHASE_LABELS.get(v, v),
            "status": lambda v: STATUS_LABELS.get(v, v),
            "sort": lambda v: SORT_LABELS.get(v, v),
            "domain": lambda v: names.get(v, _("(fjernet fagområde)")),
            "created_before": _date_text,
            "attention": lambda v: reminders.RULES[v].label if v in reminders.RULES else v,
        }.get(key, lambda v: v)(value)
        parts.append(f"{FILTER_LABELS.get(key, key)}: {shown}")
    return " · ".join(parts) if parts else _("Alle processer")


def _date_text(value: str) -> str:
    try:
        return format_date(date.fromisoformat(value))
    except ValueError:
        return value


def domain_names() -> dict[str, str]:
    """The current municipality's fagområder by id, the inactive ones too."""
    from autoproces.platform.tenancy import current_tenant

    tenant = current_tenant()
    if tenant is None:
        return {}
    return {str(d.id): d.name for d in queries.list_domains(tenant.id, active_only=False)}


# --- Reading ------------------------------------------------------------------------------


def list_searches(user: User) -> list[SavedSearch]:
    """The user's own saved searches, by name."""
    require(user, Action.READ)
    return list(
        db.session.scalars(
            select(SavedSearch)
            .where(SavedSearch.tenant_id == user.tenant_id, SavedSearch.user_id == user.id)
            .order_by(folded(SavedSearch.name), SavedSearch.created_at)
        )
    )


def get_search(user: User, search_id: uuid.UUID) -> SavedSearch:
    """One of the user's own saved searches, or NotFound (also for another user's)."""
    require(user, Action.READ)
    found = db.session.scalar(
        select(SavedSearch).where(
            SavedSearch.tenant_id == user.tenant_id,
            SavedSearch.id == search_id,
            SavedSearch.user_id == user.id,
        )
    )
    if found is None:
        raise NotFound(_("Den gemte søgning findes ikke."))
    return found


def count_matches(user: User, search: SavedSearch) -> int:
    """How many processes the search finds for its user now."""
    conditions = queries.filtered_query(user, **filters_of(search))
    return db.session.scalar(select(func.count()).select_from(Process).where(*conditions)) or 0


def run_search(user: User, search: SavedSearch, page: int = 1, per_page: int | None = None) -> Any:
    """A page of the processes the search finds, as the API's list gives them."""
    args = load_query(search.query, stored=True)
    if per_page is not None:
        args["per_page"] = per_page
    return queries.list_processes(user, page=page, **args)


@dataclass(frozen=True)
class SearchRow:
    """A saved search as Min side shows it."""

    search: SavedSearch
    description: str
    matches: int | None  # None: the stored filters no longer pass the register's checks


def overview(user: User) -> list[SearchRow]:
    names = domain_names()
    rows = []
    for search in list_searches(user):
        try:
            matches: int | None = count_matches(user, search)
        except Invalid:
            matches = None
        rows.append(SearchRow(search, describe(search.query, names), matches))
    return rows


# --- Writing ------------------------------------------------------------------------------


def _hold(user: User) -> None:
    """Serialise a user's saves until the transaction ends, so two at once can neither
    exceed the cap nor both take a name."""
    db.session.execute(
        text("select pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"saved_search:{user.tenant_id}:{user.id}"},
    )


def _check_name(user: User, name: str, exclude: uuid.UUID | None = None) -> str:
    name = clean(name).strip()
    if not name:
        raise Invalid(str(NOT_SAVED_MESSAGE), {"name": [_("Feltet skal udfyldes.")]})
    if len(name) > NAME_MAX:
        raise Invalid(str(NOT_SAVED_MESSAGE), {"name": [_("Højst %(max)d tegn.", max=NAME_MAX)]})
    taken = select(SavedSearch.id).where(
        SavedSearch.tenant_id == user.tenant_id,
        SavedSearch.user_id == user.id,
        folded(SavedSearch.name) == name.lower(),
    )
    if exclude is not None:
        taken = taken.where(SavedSearch.id != exclude)
    if db.session.scalar(select(taken.exists())):
        raise Conflict(str(DUPLICATE), {"name": [str(DUPLICATE)]})
    return name


def _flush() -> None:
    """Write, a unique name being the database's last word (a savepoint keeps the
    session usable for the error page)."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise Conflict(str(DUPLICATE), {"name": [str(DUPLICATE)]}) from None


def create_search(user: User, name: str, query: Any, notify: bool = False) -> SavedSearch:
    """Save the list's filters under a name for the user (409 for a name the user already
    has, in any case, or past the cap; 422 naming a bad filter)."""
    require(user, Action.READ)
    stored = stored_query(query)
    _hold(user)
    name = _check_name(user, name)
    count = db.session.scalar(
        select(func.count())
        .select_from(SavedSearch)
        .where(SavedSearch.tenant_id == user.tenant_id, SavedSearch.user_id == user.id)
    )
    if (count or 0) >= MAX_PER_USER:
        message = _(
            "Du kan højst gemme %(max)d søgninger. Slet en af dem på Min side, før du gemmer"
            " en ny.",
            max=MAX_PER_USER,
        )
        raise Conflict(message, {"name": [message]})
    search = SavedSearch(
        tenant_id=user.tenant_id, user_id=user.id, name=name, query=stored, notify=notify
    )
    db.session.add(search)
    _flush()
    return search


def update_search(
    user: User,
    search: SavedSearch,
    *,
    name: str | None = None,
    query: Any = None,
    notify: bool | None = None,
) -> SavedSearch:
    """Rename, replace the filters or turn the daily e-mail on or off (None: unchanged)."""
    search = get_search(user, search.id)  # the caller's own, checked again
    if query is not None:
        search.query = stored_query(query)
    if name is not None:
        _hold(user)
        search.name = _check_name(user, name, exclude=search.id)
    if notify is not None and notify != search.notify:
        search.notify = notify
        if notify:
            # The first digest lists what is new from now on, not since the search was saved.
            search.notified_until = func.now()
    _flush()
    db.session.refresh(search)
    return search


def delete_search(user: User, search: SavedSearch) -> None:
    search = get_search(user, search.id)
    db.session.delete(search)
    db.session.flush()

"""Components plug into the platform through the `autoproces.components` entry points.

The platform never imports `tenants` or `shared_catalog`; they register
themselves here, so dependencies keep pointing one way.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

import click
from flask import Flask

ENTRY_POINT_GROUP = "autoproces.components"

# A usage figure's SQL function is named in a statement: a plain identifier only.
SQL_FUNCTION = re.compile(r"[a-z_][a-z0-9_]{0,62}")


@dataclass(frozen=True)
class Component:
    name: str
    # Registers the component's page and API blueprints.
    init_app: Callable[[Flask, Any], None]
    # Fills a demo tenant with content: (tenant, users by role name, random source).
    seed_demo: Callable[[Any, dict[str, Any], random.Random], None] | None = None
    # Sets up a new tenant's component data (default settings, lists), in its transaction.
    init_tenant: Callable[[Any], None] | None = None
    # Main navigation inside a tenant: (endpoint, label) pairs, in order; a third element,
    # an Action, shows the item only to those who may do it.
    nav_items: tuple[tuple[Any, ...], ...] = ()
    # A Click group added to the `autoproces` command line (e.g. `autoproces taxonomy …`).
    cli: click.Group | None = None
    # Loads platform-wide reference data (e.g. KLE) when missing; the demo calls it first.
    seed_reference: Callable[[], None] | None = None
    # The tenant's start page endpoint (takes `tenant_slug`); the first component with one wins.
    home: str | None = None
    # Links on the municipality's Administration page: (endpoint, label, hint), in order.
    admin_links: tuple[tuple[str, Any, Any], ...] = ()
    # Panels other pages render without naming the component: (slot, template), in order.
    # Slot "process": included at the end of a process's page, with `process` in its context.
    # Slot "similar": beside the register's own similar processes, on the intake form (with
    # the typed `title`) and on a process's page (with `process`).
    # Slot "estimates": beside the time estimates of the edit form, with `process`.
    # Slot "list_actions": inside the register list's results, with the filters in view as
    # `query_args` (the list's query arguments but the page).
    # Slot "user": on the signed-in user's own page, Min side (platform/identity/account.py).
    panels: tuple[tuple[str, str], ...] = ()
    # Pages in the operator console: (endpoint, label) entries in its menu. The endpoints
    # belong to a blueprint made with `operator.views.operator_blueprint` (behind the
    # operator's sign-in), which `init_app` registers.
    operator_pages: tuple[tuple[str, Any], ...] = ()
    # Usage figures on the operator's list and page of tenants: (key, label, SQL function).
    # The function is a narrow SECURITY DEFINER one returning (tenant_id, count) rows and
    # nothing else: the operator sees counts, never the component's rows.
    usage: tuple[tuple[str, Any, str], ...] = ()
    # Labels of the component's audit actions and detail keys: (code, label) pairs, shown in
    # the municipality's log and the operator's (which the platform cannot label itself).
    audit_labels: tuple[tuple[str, Any], ...] = ()
    # Once-a-day work (reminders, digests): (job name, function) pairs; the function takes
    # (tenant, day), runs with the tenant active and returns how many things it did. The
    # worker runs each once per municipality and day (platform/daily.py).
    daily: tuple[tuple[str, Callable[[Any, Any], int]], ...] = ()
    # Adds the component's data to a municipality's export archive: (tenant, archive), run
    # by the worker with the tenant active (platform/export/archive.py: `add_rows`,
    # `add_json`, `add_sheet`, `add_file`).
    export: Callable[[Any, Any], None] | None = None
    # Runs when a municipality is deleted after offboarding, with the tenant active, before
    # its rows go: (tenant, choices), `choices` the operator's (e.g. {"catalogue": "withdraw"}).
    # The rows themselves are deleted by the platform (every table with a tenant_id).
    offboard: Callable[[Any, dict[str, str]], None] | None = None

    def __post_init__(self) -> None:
        for _key, _label, function in self.usage:
            if not SQL_FUNCTION.fullmatch(function):
                raise ValueError(f"{self.name}: {function!r} is not an SQL function name")


def panels_for(components: list[Component], slot: str) -> list[str]:
    """The templates contributed to `slot`, in component order."""
    return [template for c in components for s, template in c.panels if s == slot]


def audit_labels() -> dict[str, Any]:
    """Every component's audit labels, by code (the running app's components)."""
    from flask import current_app

    return {
        code: label
        for c in current_app.extensions.get("autoproces.components", [])
        for code, label in c.audit_labels
    }


def home_endpoint(components: list[Component]) -> str | None:
    """The endpoint of a tenant's start page, from the first component that has one."""
    return next((c.home for c in components if c.home), None)


def load_components() -> list[Component]:
    found = [ep.load() for ep in entry_points(group=ENTRY_POINT_GROUP)]
    return sorted(found, key=lambda c: c.name)


def home_url(**values: Any) -> str:
    """The URL of the current app's tenant start page (the front page when no component has
    one); `values` as for `url_for` (e.g. `tenant_slug`)."""
    from flask import current_app, url_for

    endpoint = home_endpoint(current_app.extensions["autoproces.components"])
    if endpoint is None:
        return url_for("platform.index")
    return url_for(endpoint, **values)

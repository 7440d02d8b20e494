"""Components plug into the platform through the `autoproces.components` entry points.

The platform never imports `tenants` or `shared_catalog`; they register
themselves here, so dependencies keep pointing one way.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

import click
from flask import Flask

ENTRY_POINT_GROUP = "autoproces.components"


@dataclass(frozen=True)
class Component:
    name: str
    # Registers the component's page and API blueprints.
    init_app: Callable[[Flask, Any], None]
    # Fills a demo tenant with content: (tenant, users by role name, random source).
    seed_demo: Callable[[Any, dict[str, Any], random.Random], None] | None = None
    # Sets up a new tenant's component data (default settings, lists), in its transaction.
    init_tenant: Callable[[Any], None] | None = None
    # Main navigation inside a tenant: (endpoint, label) pairs, in order.
    nav_items: tuple[tuple[str, Any], ...] = ()
    # A Click group added to the `autoproces` command line (e.g. `autoproces taxonomy …`).
    cli: click.Group | None = None
    # Loads platform-wide reference data (e.g. KLE) when missing; the demo calls it first.
    seed_reference: Callable[[], None] | None = None


def load_components() -> list[Component]:
    found = [ep.load() for ep in entry_points(group=ENTRY_POINT_GROUP)]
    return sorted(found, key=lambda c: c.name)

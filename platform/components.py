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

from flask import Flask

ENTRY_POINT_GROUP = "autoproces.components"


@dataclass(frozen=True)
class Component:
    name: str
    # Registers the component's page and API blueprints.
    init_app: Callable[[Flask, Any], None]
    # Fills a demo tenant with content: (tenant, users by role name, random source).
    seed_demo: Callable[[Any, dict[str, Any], random.Random], None] | None = None
    # Main navigation inside a tenant: (endpoint, label) pairs, in order.
    nav_items: tuple[tuple[str, Any], ...] = ()


def load_components() -> list[Component]:
    found = [ep.load() for ep in entry_points(group=ENTRY_POINT_GROUP)]
    return sorted(found, key=lambda c: c.name)

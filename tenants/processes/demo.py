"""Demo processes for a demo municipality (data in demo_data.py)."""

from __future__ import annotations

import random
from typing import Any

from autoproces.platform.db import db

from .models import Process


def seed(tenant: Any, users: dict[str, Any], rng: random.Random) -> int:
    from .demo_data import DEMO_PROCESSES

    columns = set(Process.__table__.columns.keys())
    count = 0
    for item in DEMO_PROCESSES:
        if item["municipality"] != tenant.slug:
            continue
        role = item.get("reporter_role", "employee")
        reporter = rng.choice(users.get(f"{role}s") or users["employees"])
        fields = {k: v for k, v in item.items() if k in columns}
        db.session.add(Process(tenant_id=tenant.id, reporter_id=reporter.id, **fields))
        count += 1
    db.session.flush()
    return count

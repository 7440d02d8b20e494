"""Demo entries in the catalogue: each demo municipality shares a couple of its processes in
operation, through the real publishing service (so they are anonymised like any other),
one of them as "en kommune"."""

from __future__ import annotations

import random
from typing import Any

from sqlalchemy import select

from autoproces.platform.db import db
from autoproces.tenants.processes.models import Phase, Process

from . import services

PER_MUNICIPALITY = 2
SHARED_PHASES = (Phase.OPERATION, Phase.IMPLEMENTATION, Phase.DEVELOPMENT)


def seed(tenant: Any, users: dict[str, Any], rng: random.Random) -> int:
    team = users.get("automation")
    if team is None:
        return 0
    candidates = list(
        db.session.scalars(
            select(Process)
            .where(Process.tenant_id == tenant.id, Process.phase.in_(SHARED_PHASES))
            # In operation first: those have lessons learned to share.
            .order_by(Process.phase != Phase.OPERATION, Process.number)
        )
    )
    published = 0
    for i, process in enumerate(candidates[:PER_MUNICIPALITY]):
        preview = services.build_preview(team, process)
        services.publish(
            team,
            process,
            services.Choices(),
            services.Publication(
                fingerprint=preview.fingerprint,
                note="Spørg os gerne, hvis I vil i gang med det samme.",
                anonymous=i == 1,
                size_band=rng.choice(list(services.SIZE_BANDS)),
                attachment_ids={a.id for a in preview.attachments},
            ),
        )
        published += 1
    db.session.flush()
    return published

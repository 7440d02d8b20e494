"""Demo processes for a demo municipality (data in demo_data.py)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

from autoproces.platform.db import db

from .models import Phase, Process, ProcessDomain
from .phases import reached
from .queries import list_domains
from .services import next_process_number


def seed(tenant: Any, users: dict[str, Any], rng: random.Random) -> int:
    from .demo_data import DEMO_PROCESSES

    columns = set(Process.__table__.columns.keys())
    domains = {d.name: d for d in list_domains(tenant.id)}
    count = 0
    for item in DEMO_PROCESSES:
        if item["municipality"] != tenant.slug:
            continue
        role = item.get("reporter_role", "employee")
        reporter = rng.choice(users.get(f"{role}s") or users["employees"])
        fields = {k: v for k, v in item.items() if k in columns}
        fields.update(item.get("lessons", {}))
        process = Process(
            tenant_id=tenant.id,
            reporter_id=reporter.id,
            number=next_process_number(tenant.id),
            **fields,
        )
        phase = process.phase
        if reached(phase, Phase.PREANALYSIS):
            _assess(process)
        if reached(phase, Phase.SPECIFICATION):
            process.owner_id = rng.choice(users["employees"]).id
        if reached(phase, Phase.DEVELOPMENT):
            process.contact_id = rng.choice(users["automations"]).id
            start_offset = rng.randrange(300)
            process.planned_start = date(2026, 1, 1) + timedelta(days=start_offset)
        if reached(phase, Phase.OPERATION):
            # In operation since 2025, so started in 2024: never in drift before its start.
            process.planned_start = date(2024, 1, 1) + timedelta(days=start_offset)
            process.put_into_operation_at = date(2025, 1, 1) + timedelta(days=rng.randrange(300))
            process.run_schedule = rng.choice(["daily", "weekly", "monthly"])
            process.lessons_updated_at = datetime.now(UTC)
        if process.phase == Phase.DECOMMISSIONED:
            process.decommissioned_at = date(2026, 6, 30)
        db.session.add(process)
        db.session.flush()
        if item.get("domain") in domains:
            db.session.add(
                ProcessDomain(
                    tenant_id=tenant.id, process_id=process.id, domain_id=domains[item["domain"]].id
                )
            )
        if reached(phase, Phase.DEVELOPMENT):
            _attach_description(process, rng.choice(users["automations"]))
        count += 1
    db.session.flush()
    return count


ASSESSED = ("structured_input", "uniformity", "digital_input", "speed_gain", "routine_reduction")


def _assess(process: Process) -> None:
    """What the team has assessed once past the idea (unless the demo data says), so the
    priority score has its factors. Drawn from the title, not the shared random source: the
    rest of the demo stays as it was."""
    own = random.Random(process.title)
    for name in ASSESSED:
        if getattr(process, name) in (None, "unset"):
            setattr(process, name, own.choice(["very_high", "high", "high", "low"]))
    if process.expected_dev_hours is None:
        process.expected_dev_hours = own.choice([20, 40, 80, 150, 300])
    if process.expected_cost_dkk is None:
        process.expected_cost_dkk = own.choice([0, 10000, 25000, 60000])
    if process.strategic_fit is None:
        process.strategic_fit = own.randrange(4)


def _attach_description(process: Process, author: Any) -> None:
    """A process description as a shareable Markdown attachment, as a team would write it."""
    from .attachments.services import Upload, add_attachments

    text = "\n\n".join(
        part
        for part in (
            f"# {process.title}",
            process.summary,
            "## Sådan foregår det i dag",
            process.current_process or process.description,
            "## Udfordringer",
            process.challenges,
        )
        if part
    )
    upload = Upload(f"Procesbeskrivelse - {process.title[:80]}.md", text.encode())
    add_attachments(author, process, [upload], shareable=True, description="Procesbeskrivelse")

"""Runs attach their realised hours to every process the register presents (one query for
the whole list, through the SQL twin), so the API's representation carries them without the
register knowing this component. Connected at import; `component.init_app` imports this."""

from __future__ import annotations

from typing import Any

from autoproces.platform.db import db
from autoproces.tenants.processes import signals

from .figures import realised_hours_sql


@signals.processes_presented.connect
def _attach_realised_hours(processes: list[Any], **_: Any) -> None:
    ids = [p.id for p in processes if getattr(p, "id", None) is not None]
    hours = {}
    if ids:
        query = realised_hours_sql(ids)
        hours = {row.process_id: row.hours_per_year for row in db.session.execute(query)}
    for process in processes:
        process.realised_hours_from_runs = hours.get(getattr(process, "id", None))

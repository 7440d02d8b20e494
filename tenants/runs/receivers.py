"""Runs offer their realised hours for every process the register presents, computed lazily
for the whole list at once (the SQL twin, one query, only when a representation is dumped),
so the API's representation carries them without the register knowing this component.
Connected at import; `component.init_app` imports this."""

from __future__ import annotations

import uuid
from decimal import Decimal
from functools import partial
from typing import Any

from autoproces.platform.db import db
from autoproces.tenants.processes import signals

from .figures import realised_hours_sql


class _Batch:
    def __init__(self, ids: list[uuid.UUID]) -> None:
        self.ids = ids
        self.hours: dict[uuid.UUID, Decimal] | None = None

    def of(self, process_id: uuid.UUID) -> Decimal | None:
        if self.hours is None:
            rows = db.session.execute(realised_hours_sql(self.ids))
            self.hours = {row.process_id: row.hours_per_year for row in rows}
        return self.hours.get(process_id)


@signals.processes_presented.connect
def _offer_realised_hours(processes: list[Any], **_: Any) -> None:
    batch = _Batch([p.id for p in processes if getattr(p, "id", None) is not None])
    for process in processes:
        figures = dict(getattr(process, "contributed_figures", {}))
        figures["realised_hours_from_runs"] = partial(batch.of, process.id)
        process.contributed_figures = figures

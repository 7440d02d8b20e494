"""What the register announces after a write to a process (blinker signals, which Flask ships).

The register sends them and knows no listener; other components (engagement's following and
e-mail) and the register's own attachment clean-up connect to them. Receivers run inside the
write's transaction: what they write (a follow, a queued e-mail) commits or rolls back with it.
Connect receivers at import of the listening module, and import that module from the
component's `init_app`, so they are connected in every process that builds the app (web,
CLI, worker, tests).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from blinker import Namespace
from sqlalchemy import ColumnElement

_signals = Namespace()

# sender: the new Process; kwargs: user (the reporter).
process_created = _signals.signal("process-created")
# sender: the Process after the change; kwargs: user, changes (field -> (old, new)).
process_changed = _signals.signal("process-changed")
# sender: the Process whose rows are about to go (same transaction); kwargs: user.
process_deleting = _signals.signal("process-deleting")
# sender: a Process just reported on the intake form, its files attached; kwargs: user.
idea_submitted = _signals.signal("idea-submitted")
# sender: the list of Processes about to be shown or returned (queries.present); receivers
# attach the figures they own in one query for the whole list (runs' realised hours).
processes_presented = _signals.signal("processes-presented")

# Conditions other components contribute to the process list by name, e.g. "following" ("Jeg
# følger", engagement's): name -> (user -> SQL condition on Process). A filter nobody
# contributes matches nothing.
list_filters: dict[str, Callable[[Any], ColumnElement[bool]]] = {}

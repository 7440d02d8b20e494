"""Recording realised runs (CSV or API) and the owner's lessons reminder: the only code that
writes them.

An upload is all or nothing, like the register's Excel import: every row is checked first
(the process reference, the period, the figures, overlaps within the upload and with what is
stored); one bad row and nothing is stored, each error named with its line and field.

A period already stored for the same process with exactly the same start and end is
*replaced* (an RPA tool's corrected figures for a month); a period that overlaps a stored one
in any other way is refused, since the hours would be counted twice.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import uuid
from calendar import monthrange
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select, type_coerce
from sqlalchemy.dialects.postgresql import JSONB, insert

from autoproces.platform.db import db
from autoproces.platform.identity.auth import require
from autoproces.platform.identity.models import User
from autoproces.platform.outbox.services import queue_mail
from autoproces.platform.permissions import Action
from autoproces.platform.urls import external_url
from autoproces.tenants.processes.models import Phase, Process, ProcessChange

from .figures import MAX_PERIOD_DAYS, realised_hours_per_year
from .models import LessonsReminder, ProcessRun

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5_000
MAX_RUNS = 100_000_000
MAX_MINUTES_PER_RUN = 100_000
MAX_HOURS = Decimal("1000000000")
_CENT = Decimal("0.01")
# The columns, by their Danish header and the English the API uses (case is ignored).
COLUMNS: dict[str, tuple[str, ...]] = {
    "process": ("nummer", "number", "proces", "process", "reference"),
    "start": ("fra", "from", "start"),
    "end": ("til", "to", "end"),
    "month": ("måned", "maaned", "month"),
    "runs": ("kørsler", "koersler", "runs"),
    "minutes_per_run": ("minutter pr. kørsel", "minutter", "minutes_per_run"),
    "hours": ("timer", "hours"),
}
FIELD_LABELS = {
    "process": _l("Nummer"),
    "start": _l("Fra"),
    "end": _l("Til"),
    "month": _l("Måned"),
    "runs": _l("Kørsler"),
    "minutes_per_run": _l("Minutter pr. kørsel"),
    "hours": _l("Timer"),
}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MONTH = re.compile(r"(\d{4})-(\d{1,2})")
_DANISH_DATE = re.compile(r"(\d{1,2})[-./](\d{1,2})[-./](\d{4})")
# The owner is asked once, three months into operation; not for processes that went into
# operation long before this feature (a year or more ago).
REMINDER_AFTER_MONTHS = 3
REMINDER_UNTIL_MONTHS = 12
MAIL_LOCALE = "da"


@dataclass(frozen=True)
class RowError:
    row: int | None  # the CSV's line (the header is line 1) or the API list's position (1…)
    column: str | None  # the field's label
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass(frozen=True)
class PlannedRun:
    row: int
    process: Process
    start: date
    end: date
    runs: int
    hours: Decimal


@dataclass
class RunImportResult:
    created: int = 0
    replaced: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


# --- Reading a CSV --------------------------------------------------------------------------


def read_csv(data: bytes) -> tuple[list[tuple[int, dict[str, str]]], list[RowError]]:
    """The rows of a CSV as (line, {field: text}), or the file's problems. UTF-8 with or
    without the BOM Danish Excel writes; `;` or `,` between the columns."""
    if len(data) > MAX_BYTES:
        return [], [
            RowError(None, None, _("Filen er større end %(mb)d MB.", mb=MAX_BYTES // 2**20))
        ]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [
            RowError(None, None, _("Filen er ikke gemt som UTF-8 (vælg “CSV UTF-8” i Excel)."))
        ]
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        return [], [RowError(None, None, _("Filen er tom."))]
    header_line = lines[0]
    separator = ";" if header_line.count(";") >= header_line.count(",") else ","
    try:
        table = list(csv.reader(io.StringIO(text, newline=""), delimiter=separator, strict=True))
    except csv.Error:
        return [], [RowError(None, None, _("Filen kan ikke læses som CSV (tjek anførselstegn)."))]
    header = [unicodedata.normalize("NFC", h).strip().lower() for h in table[0]]
    fields: list[str | None] = []
    errors: list[RowError] = []
    for name in header:
        found = next((f for f, names in COLUMNS.items() if name in names), None)
        if found is None and name:
            errors.append(
                RowError(1, name[:60], _("Ukendt kolonne. Brug %(names)s.", names=_column_names()))
            )
        if found is not None and found in fields:
            errors.append(RowError(1, name[:60], _("Kolonnen står der to gange.")))
        fields.append(found)
    if not any(fields):  # nothing recognised: most likely another separator
        errors = []
    if "process" not in fields and not errors:
        errors.append(
            RowError(
                1,
                None,
                _("Der mangler en kolonne “Nummer” (eller adskil kolonnerne med ; eller ,)."),
            )
        )
    if errors:
        return [], errors
    body = [
        (number, cells)
        for number, cells in enumerate(table[1:], 2)
        if any(c.strip() for c in cells)
    ]
    if len(body) > MAX_ROWS:
        return [], [RowError(None, None, _("Filen har over %(max)d rækker.", max=MAX_ROWS))]
    rows = []
    for number, cells in body:
        if len(cells) > len(fields):
            errors.append(RowError(number, None, _("Rækken har flere kolonner end overskriften.")))
            continue
        rows.append((number, {f: c.strip() for f, c in zip(fields, cells, strict=False) if f}))
    return rows, errors


def _column_names() -> str:
    return ", ".join(names[0] for names in COLUMNS.values())


# --- Checking rows (CSV and API alike) -----------------------------------------------------


def _number(value: Any, label: str, integer: bool) -> Decimal | None:
    """A number from the CSV's text (Danish decimal comma allowed) or the API's JSON."""
    if isinstance(value, bool):
        raise ValueError(_("Skal være et tal."))
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        text = repr(value)
    elif isinstance(value, str):
        text = value.replace(" ", "").replace("\u00a0", "")
        text = text.replace(",", ".") if text.count(",") == 1 and "." not in text else text
    else:
        raise ValueError(_("Skal være et tal."))
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(_("Skal være et tal.")) from None
    if not number.is_finite():
        raise ValueError(_("Skal være et tal."))
    if number < 0:
        raise ValueError(_("Må ikke være negativ."))
    if integer and number != number.to_integral_value():
        raise ValueError(_("Skal være et helt tal."))
    return number


def _date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(_("Skal være en dato (ÅÅÅÅ-MM-DD eller DD-MM-ÅÅÅÅ)."))
    try:
        if m := _DANISH_DATE.fullmatch(value):
            return date(int(m[3]), int(m[2]), int(m[1]))
        return date.fromisoformat(value) if len(value) == 10 else _bad_date()
    except ValueError:
        raise ValueError(_("Skal være en dato (ÅÅÅÅ-MM-DD eller DD-MM-ÅÅÅÅ).")) from None


def _bad_date() -> date:
    raise ValueError


def _month(value: Any) -> tuple[date, date] | None:
    if value is None or value == "":
        return None
    m = _MONTH.fullmatch(value) if isinstance(value, str) else None
    if m is None or not 1 <= int(m[2]) <= 12 or int(m[1]) < 1900:
        raise ValueError(_("Skal være en måned (ÅÅÅÅ-MM)."))
    year, month = int(m[1]), int(m[2])
    return date(year, month, 1), date(year, month, monthrange(year, month)[1])


def _check_row(
    row: int, values: dict[str, Any], processes: dict[int, Process], today: date
) -> tuple[PlannedRun | None, list[RowError]]:
    errors: list[RowError] = []

    def fail(name: str | None, message: str) -> None:
        errors.append(RowError(row, str(FIELD_LABELS[name]) if name else None, message))

    for name, value in values.items():
        if isinstance(value, str) and (_CONTROL.search(value) or _has_surrogate(value)):
            fail(name, _("Indeholder tegn, der ikke er tilladt."))
            return None, errors
    parsed: dict[str, Any] = {}
    for name, parse in (
        ("process", lambda v: _number(v, "process", True)),
        ("start", _date),
        ("end", _date),
        ("month", _month),
        ("runs", lambda v: _number(v, "runs", True)),
        ("minutes_per_run", lambda v: _number(v, "minutes_per_run", False)),
        ("hours", lambda v: _number(v, "hours", False)),
    ):
        try:
            parsed[name] = parse(values.get(name))
        except ValueError as e:
            fail(name, str(e))
    if errors:
        return None, errors
    process = None
    if parsed["process"] is None:
        fail("process", _("Feltet skal udfyldes."))
    else:
        process = processes.get(int(parsed["process"])) if parsed["process"] < 2**31 else None
        if process is None:
            fail("process", _("Ukendt procesnummer %(number)s.", number=values.get("process")))
    start, end = parsed["start"], parsed["end"]
    if parsed["month"] is not None:
        if start is not None or end is not None:
            fail("month", _("Angiv enten en måned eller fra- og til-dato, ikke begge."))
        start, end = parsed["month"]
    elif start is None or end is None:
        fail("start" if start is None else "end", _("Angiv en måned eller både fra- og til-dato."))
    if start is not None and end is not None:
        if end < start:
            fail("end", _("Til-datoen ligger før fra-datoen."))
        elif (end - start).days + 1 > MAX_PERIOD_DAYS:
            fail("end", _("En periode er højst %(days)d dage.", days=MAX_PERIOD_DAYS))
        elif end > today:
            fail("end", _("Perioden slutter i fremtiden."))
    runs = parsed["runs"]
    if runs is None:
        fail("runs", _("Feltet skal udfyldes."))
    elif runs > MAX_RUNS:
        fail("runs", _("Højst %(max)d.", max=MAX_RUNS))
    minutes, hours = parsed["minutes_per_run"], parsed["hours"]
    if (minutes is None) == (hours is None):
        fail("hours", _("Angiv enten minutter pr. kørsel eller timer i alt."))
    elif minutes is not None and minutes > MAX_MINUTES_PER_RUN:
        fail("minutes_per_run", _("Højst %(max)d.", max=MAX_MINUTES_PER_RUN))
    elif runs is not None and runs <= MAX_RUNS:
        hours = hours if hours is not None else runs * minutes / 60
        if hours >= MAX_HOURS:  # before rounding: a huge exponent cannot be quantised
            fail("hours", _("Urealistisk mange timer."))
        else:
            hours = hours.quantize(_CENT, rounding=ROUND_HALF_UP)
    if errors:
        return None, errors
    return PlannedRun(row, process, start, end, int(runs), hours), []


def _has_surrogate(text: str) -> bool:
    return any("\ud800" <= ch <= "\udfff" for ch in text)


def _overlaps(a: PlannedRun, b: PlannedRun) -> bool:
    return a.start <= b.end and b.start <= a.end


# --- Recording ------------------------------------------------------------------------------


def import_csv(user: User, data: bytes, today: date | None = None) -> RunImportResult:
    """Record the runs of a CSV upload, all rows or none (see the module)."""
    require(user, Action.EDIT)
    rows, errors = read_csv(data)
    if errors:
        return RunImportResult(errors=errors)
    return _record(user, rows, "csv", today)


def record_runs(user: User, entries: Any, today: date | None = None) -> RunImportResult:
    """Record the runs of the API's JSON list, all or none; positions count from 1."""
    require(user, Action.EDIT)
    if not isinstance(entries, list) or not entries:
        return RunImportResult(
            errors=[RowError(None, None, _("Angiv en ikke-tom liste af perioder."))]
        )
    if len(entries) > MAX_ROWS:
        return RunImportResult(
            errors=[RowError(None, None, _("Højst %(max)d perioder ad gangen.", max=MAX_ROWS))]
        )
    rows = []
    errors = []
    for position, entry in enumerate(entries, 1):
        if not isinstance(entry, dict):
            errors.append(RowError(position, None, _("Skal være et objekt.")))
            continue
        unknown = [k for k in entry if k not in COLUMNS]
        if unknown:
            errors.append(
                RowError(
                    position,
                    None,
                    _(
                        "Ukendte felter: %(names)s.",
                        names=", ".join(
                            repr(k.encode("utf-8", "replace").decode())[:40] for k in unknown[:5]
                        ),
                    ),
                )
            )
            continue
        rows.append((position, entry))
    if errors:
        return RunImportResult(errors=errors)
    return _record(user, rows, "api", today)


def _record(
    user: User, rows: list[tuple[int, dict[str, Any]]], source: str, today: date | None
) -> RunImportResult:
    today = today or datetime.now(UTC).date()
    result = RunImportResult()
    processes = _processes_by_number(user)
    planned: list[PlannedRun] = []
    by_process: dict[uuid.UUID, list[PlannedRun]] = {}
    for row, values in rows:
        run, errors = _check_row(row, values, processes, today)
        result.errors += errors
        if run is not None:
            same_process = by_process.setdefault(run.process.id, [])
            earlier = next((p for p in same_process if _overlaps(p, run)), None)
            if earlier is not None:
                result.errors.append(
                    RowError(
                        row,
                        str(FIELD_LABELS["start"]),
                        _(
                            "Perioden overlapper perioden i linje %(row)d for samme proces.",
                            row=earlier.row,
                        ),
                    )
                )
            planned.append(run)
            same_process.append(run)
    if result.errors:
        return result
    # Hold the processes until the transaction ends: two uploads for one process wait for
    # each other rather than both pass the overlap check.
    ids = sorted({p.process.id for p in planned})
    held = set(
        db.session.scalars(
            select(Process.id)
            .where(Process.tenant_id == user.tenant_id, Process.id.in_(ids))
            .order_by(Process.id)
            .with_for_update(of=Process)
        )
    )
    for run in planned:  # deleted meanwhile: an unknown reference, not a foreign-key 500
        if run.process.id not in held:
            result.errors.append(
                RowError(
                    run.row,
                    str(FIELD_LABELS["process"]),
                    _("Ukendt procesnummer %(number)s.", number=run.process.number),
                )
            )
    if result.errors:
        return result
    stored = _stored_overlapping(user.tenant_id, planned)
    replace: list[ProcessRun] = []
    for run in planned:
        for old in stored.get(run.process.id, []):
            if not (old.period_start <= run.end and run.start <= old.period_end):
                continue
            if (old.period_start, old.period_end) == (run.start, run.end):
                replace.append(old)
            else:
                result.errors.append(
                    RowError(
                        run.row,
                        str(FIELD_LABELS["start"]),
                        _(
                            "Perioden overlapper en tidligere indlæst periode (%(start)s–%(end)s)."
                            " Indlæs den samme periode igen for at erstatte den.",
                            start=old.period_start.isoformat(),
                            end=old.period_end.isoformat(),
                        ),
                    )
                )
    if result.errors:
        return result
    for old in replace:
        db.session.delete(old)
    db.session.flush()
    for run in planned:
        db.session.add(
            ProcessRun(
                tenant_id=user.tenant_id,
                process_id=run.process.id,
                period_start=run.start,
                period_end=run.end,
                runs=run.runs,
                hours_saved=run.hours,
                source=source,
                uploaded_by=user.id,
            )
        )
    db.session.flush()
    result.replaced = len(replace)
    result.created = len(planned) - len(replace)
    return result


def _processes_by_number(user: User) -> dict[int, Process]:
    # The automation team reads everything in the municipality (EDIT implies READ_ALL).
    return {
        p.number: p
        for p in db.session.scalars(select(Process).where(Process.tenant_id == user.tenant_id))
    }


def _stored_overlapping(
    tenant_id: uuid.UUID, planned: list[PlannedRun]
) -> dict[uuid.UUID, list[ProcessRun]]:
    conditions = [
        and_(
            ProcessRun.process_id == p.process.id,
            ProcessRun.period_start <= p.end,
            ProcessRun.period_end >= p.start,
        )
        for p in planned
    ]
    found: dict[uuid.UUID, list[ProcessRun]] = {}
    for chunk in range(0, len(conditions), 500):
        for old in db.session.scalars(
            select(ProcessRun).where(
                ProcessRun.tenant_id == tenant_id, or_(*conditions[chunk : chunk + 500])
            )
        ):
            found.setdefault(old.process_id, []).append(old)
    return found


# --- Reading --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RealisedBenefit:
    runs: list[ProcessRun]
    hours_per_year: Decimal | None
    last_upload: datetime | None


def runs_of(process: Process) -> list[ProcessRun]:
    """The runs of a process the caller may already see, newest period first."""
    return list(
        db.session.scalars(
            select(ProcessRun)
            .where(ProcessRun.tenant_id == process.tenant_id, ProcessRun.process_id == process.id)
            .order_by(ProcessRun.period_start.desc())
        )
    )


def benefit_of(process: Process) -> RealisedBenefit:
    runs = runs_of(process)
    return RealisedBenefit(
        runs=runs,
        hours_per_year=realised_hours_per_year(
            (r.period_start, r.period_end, r.hours_saved) for r in runs
        ),
        last_upload=max((r.created_at for r in runs), default=None),
    )


# --- The lessons reminder -------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def _entered_operation(process: Process) -> date | None:
    """When the history last saw the process change phase to operation (for a process in
    drift whose date of going into operation was never filled in)."""
    changed = db.session.scalar(
        select(func.max(ProcessChange.changed_at)).where(
            ProcessChange.tenant_id == process.tenant_id,
            ProcessChange.process_id == process.id,
            ProcessChange.field == "phase",
            ProcessChange.new_value == type_coerce(Phase.OPERATION.value, JSONB),
        )
    )
    return changed.date() if changed is not None else None


def send_lessons_reminders(tenant_slug: str, today: date | None = None) -> int:
    """Ask the owner of each process in the current municipality that went into operation
    (`put_into_operation_at`, else the history's change of phase; required by the phase,
    so the history is for older rows) three months ago, and not a year or more ago, for
    lessons learned and realised benefit: one e-mail per process, ever.
    Returns how many were queued.

    The reminder's row is inserted first (ON CONFLICT DO NOTHING): a second worker running
    at the same time waits for the first's row and then inserts nothing, so sends nothing."""
    today = today or datetime.now(UTC).date()
    due = db.session.scalars(
        select(Process).where(
            Process.phase == Phase.OPERATION,
            Process.owner_id.is_not(None),
            ~select(LessonsReminder.process_id)
            .where(
                LessonsReminder.tenant_id == Process.tenant_id,
                LessonsReminder.process_id == Process.id,
            )
            .exists(),
        )
    ).all()
    sent = 0
    for process in due:
        started = process.put_into_operation_at or _entered_operation(process)
        if started is None:
            continue
        if (
            not add_months(started, REMINDER_AFTER_MONTHS)
            <= today
            < add_months(started, REMINDER_UNTIL_MONTHS)
        ):
            continue
        owner = process.owner
        if owner is None or not owner.is_active:
            continue
        claimed = db.session.execute(
            insert(LessonsReminder)
            .values(tenant_id=process.tenant_id, process_id=process.id)
            .on_conflict_do_nothing()
            .returning(LessonsReminder.process_id)
        ).first()
        if claimed is None:
            continue
        with force_locale(MAIL_LOCALE):
            link = external_url(
                "processes.edit_process", tenant_slug=tenant_slug, process_id=process.id
            )
            subject = _("Erfaringer fra %(title)s efter tre måneder i drift", title=process.title)
            body = _(
                "Hej %(name)s\n\n“%(title)s” (%(number)s) har nu været i drift i tre måneder,"
                " og du er faglig kontaktperson. Skriv venligst jeres erfaringer og den"
                " realiserede gevinst (realiserede timer pr. år) på processen:\n\n%(link)s"
                "\n\nTak for hjælpen.",
                name=owner.name,
                title=process.title,
                number=process.number_label,
                link=link,
            )
        queue_mail(process.tenant_id, owner.email, subject, body, kind="runs.lessons")
        sent += 1
    db.session.flush()
    return sent

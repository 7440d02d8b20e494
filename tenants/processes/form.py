"""The process edit form: which fields show in which phase, their labels, and how the
HTML form's strings become the values ProcessPatchSchema validates."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import format_date, format_datetime, format_decimal
from werkzeug.datastructures import MultiDict

from . import fields as registry
from . import phases
from .fields import (  # noqa: F401 (the form's names for what the registry holds)
    AI_ACT_LABELS,
    ASSESSMENT_LABELS,
    SCALE_0_3,
    VISIBILITY_HINT,
    YES_NO,
)
from .models import Phase

Field = registry.ProcessField

# Selects with a blank choice, "(ikke angivet)", which is stored as no value.
OPTIONAL_SELECTS = frozenset(
    {
        "run_schedule",
        "ai_act_risk",
        "strategic_fit",
        "realised_benefit_rating",
        "gdpr_personal_data",
        "automated_decision",
    }
)

# (group title, first phase in which the group shows, fields), read from the registry.
GROUPS: list[tuple[Any, Phase, list[Field]]] = [
    (group.title, group.phase, [f for f in registry.FORM_FIELDS if f.group is group])
    for group in registry.GROUPS
]

ALL_FIELDS: list[Field] = list(registry.FORM_FIELDS)
REPORTER_FIELDS = registry.REPORTER_FIELDS
# Every field's place in the form, for listing errors in the order the fields show.
FIELD_ORDER = registry.FORM_ORDER


def visible_groups(phase: str, team: bool) -> list[tuple[Any, list[Field]]]:
    """The groups of fields to show for a process in `phase`: later groups open as the
    process advances. The team sees every field; the reporter those they may write."""
    groups = []
    for title, first, fields in GROUPS:
        shown = [f for f in fields if team or f.reporter]
        if shown and phases.reached(phase, first):
            groups.append((title, shown))
    return groups


def shown_phase(stored: str, chosen: str | None) -> str:
    """The phase whose fields the form shows: the one chosen in the form (so what a phase
    needs can be filled in before moving to it), but never fewer fields than the stored
    phase shows, so moving back hides nothing already filled in."""
    try:
        picked = Phase(chosen) if chosen else Phase(stored)
    except ValueError:
        picked = Phase(stored)
    return phases.furthest(stored, picked).value


def _max_lengths() -> dict[str, int]:
    """Each single text field's limit as the API schema writes it (its one place), for the
    form's `maxlength`: a browser then stops at the limit instead of the server refusing."""
    from marshmallow import validate

    from .schemas import ProcessPatchSchema

    limits = {}
    for name, schema_field in ProcessPatchSchema().fields.items():
        for validator in schema_field.validators:
            if isinstance(validator, validate.Length) and validator.max is not None:
                limits[name] = validator.max
    # A list's limit counts items, not characters.
    return {
        f.name: limits[f.name]
        for f in ALL_FIELDS
        if f.name in limits and f.kind not in ("lines", "domains")
    }


MAX_LENGTHS = _max_lengths()


def sort_errors(errors: dict[str, Any]) -> dict[str, Any]:
    """The errors in the order their fields show in the form (unknown names last)."""
    last = len(FIELD_ORDER)
    return dict(sorted(errors.items(), key=lambda item: FIELD_ORDER.get(item[0], last)))


def danish_decimal(raw: str) -> str | None:
    """A decimal as typed the Danish way, for the schema: "7,5" and "1.200,5"; a lone "."
    still reads as a decimal point."""
    value = raw.strip().replace(" ", "")
    if "," in value:
        value = value.replace(".", "").replace(",", ".")
    return value or None


def input_number(value: Any) -> str:
    """A number as the form's input shows it: the Danish decimal comma ("7,5"), no thousands
    separator (so it reads back unchanged whatever the UI's language)."""
    from babel.numbers import format_decimal as babel_decimal
    from flask_babel import get_locale

    return babel_decimal(Decimal(str(value)), locale=get_locale() or "da", group_separator=False)


def form_values(process: Any) -> dict[str, Any]:
    """The process's current values as the form shows them."""
    values: dict[str, Any] = {}
    for f in ALL_FIELDS:
        value = getattr(process, f.name, None)
        if f.kind == "domains":
            values[f.name] = [str(d.id) for d in process.domains]
        elif f.name == "it_systems":
            values[f.name] = "\n".join(
                f"{s.get('name', '')}; {s.get('vendor', '')}".rstrip("; ") for s in value or []
            )
        elif f.kind == "lines":
            values[f.name] = "\n".join(value or [])
        elif value is None:
            values[f.name] = ""
        elif isinstance(value, bool) and f.kind == "select":
            values[f.name] = "true" if value else "false"
        elif f.kind == "decimal":
            values[f.name] = input_number(value)
        else:
            values[f.name] = value
    return values


def posted_values(form: MultiDict, fields: list[Field], values: dict[str, Any]) -> dict[str, Any]:
    """What the person typed, over the stored `values`, for drawing the form again."""
    values = dict(values)
    for f in fields:
        if f.kind == "domains":
            values[f.name] = form.getlist(f.name)
        elif f.kind == "bool":
            if f.name in form:
                values[f.name] = "on" in form.getlist(f.name)
        elif f.name in form:
            values[f.name] = form.get(f.name, "")
    return values


def parse(form: MultiDict, fields: list[Field]) -> dict[str, Any]:
    """Form strings to schema input: blanks become None, lines become lists."""
    data: dict[str, Any] = {}
    for f in fields:
        if f.kind == "bool":
            # The form sends a hidden "off" before each checkbox (processes/_field.html):
            # a checkbox the page did not show is not a checkbox left unticked.
            if f.name in form:
                data[f.name] = "on" in form.getlist(f.name)
            continue
        if f.kind == "domains":
            data[f.name] = form.getlist(f.name)
            continue
        if f.name not in form:
            continue
        # Browsers send a textarea's line breaks as CRLF: store them as they were shown, so
        # a save without changes changes nothing.
        raw = form.get(f.name, "").replace("\r\n", "\n")
        if f.name == "it_systems":
            data[f.name] = [
                {"name": name.strip(), "vendor": vendor.strip()}
                for name, _sep, vendor in (line.partition(";") for line in raw.splitlines())
                if name.strip()
            ]
        elif f.kind == "lines":
            data[f.name] = [line.strip() for line in raw.splitlines() if line.strip()]
        elif f.kind == "int":
            # Danish writing: "1.200" or "1 200" is twelve hundred.
            data[f.name] = raw.replace(".", "").replace(" ", "").strip() or None
        elif f.kind == "decimal":
            data[f.name] = danish_decimal(raw)
        elif f.kind == "kle":
            # A code left blank is no code, not an invalid one. Danish keyboards (a phone's
            # number pad) may give "02,34,02" for 02.34.02.
            data[f.name] = raw.strip().replace(",", ".") or None
        elif f.name == "form_code":
            data[f.name] = raw.strip() or None
        elif f.kind in ("date", "user") or f.name in OPTIONAL_SELECTS:
            data[f.name] = raw.strip() or None
        else:
            data[f.name] = raw
    return data


# Labels for every field name the history can mention.
FIELD_LABELS: dict[str, Any] = registry.LABELS
SUMMARY_FIELDS = frozenset(
    {
        "title",
        "summary",
        "visibility",
        "domain_ids",
        "phase",
        "status",
        "status_reason",
        "owner_id",
        "contact_id",
    }
)


def _field(name: str) -> Field | None:
    return next((f for f in ALL_FIELDS if f.name == name), None)


def _options_for(field: str) -> Any:
    f = _field(field)
    return f.options if f else None


def display_value(value: Any, field: str = "") -> str:
    """A history or field value as a person reads it (Danish labels for codes)."""
    from flask_babel import gettext as _

    if value is None or value == "" or value == []:
        return "–"
    if isinstance(value, bool):
        return _("Ja") if value else _("Nej")
    if isinstance(value, dict):
        return str(value.get("name") or value.get("title") or value.get("url") or value)
    if isinstance(value, list):
        return ", ".join(display_value(v) for v in value)
    options = _options_for(field)
    if options:
        return str(options.get(value, options.get(str(value), value)))
    kind = getattr(_field(field), "kind", None)
    # Numbers and dates as Danish readers write them (1.200; 7,5; 24. nov. 2026), also
    # when they come from the history, where they are stored as JSON text.
    if kind in ("int", "decimal") or isinstance(value, int | float | Decimal):
        try:
            return format_decimal(Decimal(str(value)))
        except (InvalidOperation, ValueError):
            return str(value)
    if isinstance(value, datetime):
        return format_datetime(value)
    if kind == "date" or isinstance(value, date):
        try:
            return format_date(value if isinstance(value, date) else date.fromisoformat(value))
        except (TypeError, ValueError):
            return str(value)
    return str(value)


def display_groups(process: Any, groups: list[tuple[Any, list[Field]]]) -> list[tuple[Any, list]]:
    """The filled-in fields of each visible group, as (label, text) pairs."""
    result = []
    for title, fields in groups:
        shown = []
        for f in fields:
            if f.name in SUMMARY_FIELDS:
                continue
            value = getattr(process, f.name, None)
            if value in (None, "", [], "unset") or value is False:
                continue
            if f.name == "it_systems":
                text = ", ".join(
                    s.get("name", "") + (f" ({s['vendor']})" if s.get("vendor") else "")
                    for s in value
                )
            elif f.name == "kle_code":
                from autoproces.tenants.taxonomy.services import kle_topic

                topic = kle_topic(value)
                text = f"{value} {topic.title}" if topic else value
            else:
                text = display_value(value, f.name)
            shown.append((f.label, text))
        if shown:
            result.append((title, shown))
    return result

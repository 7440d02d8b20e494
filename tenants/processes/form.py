"""The process edit form: which fields show in which phase, their labels, and how the
HTML form's strings become the values ProcessPatchSchema validates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import format_date, format_datetime, format_decimal
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from werkzeug.datastructures import MultiDict

from .models import (
    ASSESSMENT_FIELDS,
    LEVEL_LABELS,
    PHASE_LABELS,
    RUN_SCHEDULE_LABELS,
    STATUS_LABELS,
    VISIBILITY_HINTS,
    VISIBILITY_LABELS,
    Phase,
)


@dataclass(frozen=True)
class Field:
    name: str
    label: Any
    # text, textarea, int, decimal, date, select, bool, lines, domains, user, kle (the code
    # field with a search in the KLE taxonomy: processes/_field.html)
    kind: str = "text"
    hint: Any = ""
    options: Any = None  # for select: {code: label}
    # The reporter may write it while their idea is an idea (everything else is the team's):
    # what the reporter's form shows is exactly what they may save.
    reporter: bool = False


ASSESSMENT_LABELS = {
    "professional_judgement": _l("I hvor høj grad indgår faglig vurdering?"),
    "frequent_change": _l("I hvor høj grad ændres processen ofte?"),
    "structured_input": _l("I hvor høj grad er input struktureret?"),
    "uniformity": _l("I hvor høj grad foregår opgaven ens hver gang?"),
    "digital_input": _l("I hvor høj grad er input digitalt?"),
    "quality_gain": _l("I hvor høj grad vil automatisering give bedre kvalitet?"),
    "speed_gain": _l("I hvor høj grad vil automatisering give hurtigere sagsbehandling?"),
    "routine_reduction": _l("I hvor høj grad fjerner automatisering rutineopgaver?"),
    "automation_feasibility": _l("I hvor høj grad er opgaven teknisk mulig at automatisere?"),
}
AI_ACT_LABELS = {
    "none": _l("Ingen"),
    "minimal": _l("Minimal"),
    "limited": _l("Begrænset"),
    "high": _l("Høj"),
}
SCALE_0_3 = {"0": "0", "1": "1", "2": "2", "3": "3"}
# A yes/no the team may leave unanswered (stored as NULL): a select, so that saving the form
# without touching it leaves it unanswered rather than turning it into "Nej".
YES_NO = {"true": _l("Ja"), "false": _l("Nej")}
VISIBILITY_HINT = LazyString(
    lambda: " ".join(f"{VISIBILITY_LABELS[v]}: {VISIBILITY_HINTS[v]}" for v in VISIBILITY_HINTS)
)
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

# (group title, first phase in which the group shows, fields)
GROUPS: list[tuple[Any, Phase, list[Field]]] = [
    (
        _l("Idéen"),
        Phase.IDEA,
        [
            Field("title", _l("Titel"), reporter=True),
            Field("summary", _l("Resumé"), "textarea", reporter=True),
            Field("description", _l("Beskrivelse"), "textarea", reporter=True),
            Field("domain_ids", _l("Fagområder"), "domains", reporter=True),
            Field(
                "visibility",
                _l("Hvem må se processen?"),
                "select",
                VISIBILITY_HINT,
                options=VISIBILITY_LABELS,
                reporter=True,
            ),
        ],
    ),
    (
        _l("Sådan foregår det i dag"),
        Phase.IDEA,
        [
            Field("current_process", _l("Sådan foregår det i dag"), "textarea", reporter=True),
            Field(
                "challenges", _l("Udfordringer i den nuværende proces"), "textarea", reporter=True
            ),
            Field("solution_ideas", _l("Idéer til løsning"), "textarea", reporter=True),
            Field(
                "it_systems",
                _l("Nuværende systemer"),
                "lines",
                _l("Ét system pr. linje: navn; leverandør"),
                reporter=True,
            ),
            Field("occurrences_per_year", _l("Antal gange om året"), "int", reporter=True),
            Field("minutes_per_occurrence", _l("Minutter pr. gang"), "decimal", reporter=True),
            Field(
                "employees_doing_it",
                _l("Antal medarbejdere, der udfører opgaven"),
                "int",
                reporter=True,
            ),
            Field("automation_share_pct", _l("Forventet automatiseringsgrad (%)"), "int"),
            Field("time_comment", _l("Kommentar til tidsforbruget"), "textarea", reporter=True),
        ],
    ),
    (
        _l("Forløb"),
        Phase.IDEA,
        [
            Field("phase", _l("Fase"), "select", options=PHASE_LABELS),
            Field("status", _l("Status"), "select", options=STATUS_LABELS),
            Field(
                "status_reason",
                _l("Begrundelse for status"),
                "textarea",
                _l("Skal udfyldes ved Afvist, Mislykket, Afventer og Ikke relevant mere."),
            ),
            Field("priority_rank", _l("Prioritet (styregruppens rækkefølge)"), "int"),
            Field("owner_id", _l("Faglig kontaktperson"), "user", reporter=True),
            Field("contact_id", _l("Teknisk kontaktperson"), "user"),
            Field("planned_start", _l("Planlagt start"), "date"),
            Field("put_into_operation_at", _l("I drift fra"), "date"),
            Field("decommissioned_at", _l("Taget ud af drift"), "date"),
            Field("run_schedule", _l("Kørselsfrekvens"), "select", options=RUN_SCHEDULE_LABELS),
        ],
    ),
    (
        _l("Klassifikation og vurdering"),
        Phase.PREANALYSIS,
        [
            Field("kle_code", _l("KLE-nummer"), "kle", _l("Et KLE-emne, fx 32.18.08")),
            Field("form_code", _l("FORM-kode")),
            Field("legal_basis", _l("Lovgrundlag"), "textarea"),
            Field("legal_basis_verified_at", _l("Lovgrundlaget er kontrolleret"), "date"),
            Field("org_unit", _l("Afdeling")),
            Field("targets_citizens", _l("Rettet mod borgere"), "bool"),
            Field("targets_companies", _l("Rettet mod virksomheder"), "bool"),
            *[
                Field(name, ASSESSMENT_LABELS[name], "select", options=LEVEL_LABELS)
                for name in ASSESSMENT_FIELDS
            ],
            Field("expected_dev_hours", _l("Forventede udviklingstimer"), "int"),
            Field("expected_cost_dkk", _l("Forventet udgift (kr.)"), "int"),
            Field("strategic_fit", _l("Strategisk match (0–3)"), "select", options=SCALE_0_3),
            Field("risk_notes", _l("Risici"), "textarea"),
            Field(
                "gdpr_personal_data", _l("Behandler personoplysninger"), "select", options=YES_NO
            ),
            Field(
                "automated_decision",
                _l("Automatisk afgørelse (GDPR art. 22)"),
                "select",
                options=YES_NO,
            ),
            Field(
                "ai_act_risk", _l("Risiko efter AI-forordningen"), "select", options=AI_ACT_LABELS
            ),
        ],
    ),
    (
        _l("Løsningen"),
        Phase.DEVELOPMENT,
        [
            Field("technologies", _l("Anvendt teknologi"), "lines", _l("Én pr. linje, fx RPA")),
            Field("vendor", _l("Leverandør")),
            Field("services", _l("Systemer og snitflader, løsningen bruger"), "lines"),
            Field("technical_notes", _l("Tekniske noter"), "textarea"),
            Field("organisational_notes", _l("Organisatoriske noter"), "textarea"),
            Field("code_repository_url", _l("Kodearkiv (adresse)")),
        ],
    ),
    (
        _l("Erfaringer"),
        Phase.OPERATION,
        [
            Field("realised_hours_per_year", _l("Realiserede timer pr. år"), "int"),
            Field(
                "realised_benefit_rating",
                _l("I hvor høj grad indfriede løsningen de forventede gevinster? (0–3)"),
                "select",
                options=SCALE_0_3,
            ),
            Field("what_worked", _l("Hvad virkede"), "textarea"),
            Field("what_did_not", _l("Hvad virkede ikke"), "textarea"),
            Field("advice_to_others", _l("Råd til andre kommuner"), "textarea"),
        ],
    ),
    (
        _l("Internt"),
        Phase.IDEA,
        [
            Field(
                "internal_notes",
                _l("Interne noter"),
                "textarea",
                _l("Forlader aldrig kommunen og deles aldrig i kataloget."),
            ),
            Field("esdh_reference", _l("Sagsreference i ESDH")),
        ],
    ),
]


ALL_FIELDS: list[Field] = [f for _title, _first, fields in GROUPS for f in fields]
# What the person reporting an idea may write (DOMAIN.md: an idea is a two-minute task), read
# from the same list the form is drawn from, so the form never shows what they may not save.
REPORTER_FIELDS = frozenset(f.name for f in ALL_FIELDS if f.reporter)
# Every field's place in the form, for listing errors in the order the fields show.
FIELD_ORDER = {f.name: i for i, f in enumerate(ALL_FIELDS)}


def visible_groups(phase: str, team: bool) -> list[tuple[Any, list[Field]]]:
    """The groups of fields to show for a process in `phase`: later groups open as the
    process advances. The team sees every field; the reporter those they may write."""
    order = list(Phase)
    current = order.index(Phase(phase))
    groups = []
    for title, first, fields in GROUPS:
        shown = [f for f in fields if team or f.reporter]
        if shown and order.index(first) <= current:
            groups.append((title, shown))
    return groups


def shown_phase(stored: str, chosen: str | None) -> str:
    """The phase whose fields the form shows: the one chosen in the form (so what a phase
    needs can be filled in before moving to it), but never fewer fields than the stored
    phase shows, so moving back hides nothing already filled in."""
    order = list(Phase)
    try:
        picked = Phase(chosen) if chosen else Phase(stored)
    except ValueError:
        picked = Phase(stored)
    return max(Phase(stored), picked, key=order.index).value


def sort_errors(errors: dict[str, Any]) -> dict[str, Any]:
    """The errors in the order their fields show in the form (unknown names last)."""
    last = len(FIELD_ORDER)
    return dict(sorted(errors.items(), key=lambda item: FIELD_ORDER.get(item[0], last)))


def _input_number(value: Any) -> str:
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
            values[f.name] = _input_number(value)
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
            # Danish writing: "7,5" and "1.200,5"; a lone "." still reads as a decimal point.
            value = raw.strip().replace(" ", "")
            if "," in value:
                value = value.replace(".", "").replace(",", ".")
            data[f.name] = value or None
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
FIELD_LABELS: dict[str, Any] = {f.name: f.label for f in ALL_FIELDS}
FIELD_LABELS.update(
    {
        "domains": _l("Fagområder"),
        "owner": _l("Faglig kontaktperson"),
        "contact": _l("Teknisk kontaktperson"),
        "associated_users": _l("Tilknyttede brugere"),
        "associated_user_ids": _l("Tilknyttede brugere"),
        "reporter_id": _l("Indberetter"),
        "version": _l("Version"),
        "lessons_updated_at": _l("Erfaringer opdateret"),
    }
)
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

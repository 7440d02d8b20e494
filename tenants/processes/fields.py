"""The process's fields, described once: per field its name, Danish label, kind, form group
(and so the phase it appears from), who may write it, whether the catalogue copies it, and
its spreadsheet column. The edit form, the spreadsheet, the reporter's writable fields, the
lessons-learned fields, the history's labels, the phase rules' messages and the catalogue's
copy list are all read from here (tests/test_fields.py ties it to the model and schemas)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from babel.lists import format_list
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from .models import (
    ASSESSMENT_FIELDS,
    LEVEL_LABELS,
    PHASE_LABELS,
    REASON_STATUSES,
    RUN_SCHEDULE_LABELS,
    STATUS_LABELS,
    VISIBILITY_HINTS,
    VISIBILITY_LABELS,
    AiActRisk,
    Phase,
)

# Who may write a field: the reporter (while their idea is an idea) and the team; only the
# team; or nobody (the system sets it, or it is computed).
REPORTER, TEAM, SYSTEM = "reporter", "team", "system"


@dataclass(frozen=True)
class Group:
    """A group of the edit form; it shows from `phase` on."""

    title: Any
    phase: Phase


@dataclass(frozen=True)
class Column:
    """One column of the sheet: the process attribute, its Danish header and its kind.

    Kinds (one converter each in exchange/converters.py): text, code (text whose blank cell
    is no value: a KLE or FORM code), int, decimal, date, datetime, flag (yes/no), bool
    (yes/no/blank), list (`;`-separated), enum (Danish labels in `labels`; a blank cell keeps
    the value), optional_enum (an enum a blank cell clears), level (an assessment answer; a
    blank cell is "unset"), domains, person, people, it_systems, links, id; `readonly`
    columns are exported and ignored on import.
    """

    key: str
    header: Any
    kind: str = "text"
    labels: dict[Any, Any] | None = None
    readonly: bool = False
    width: int = 18
    number_format: str | None = None


@dataclass(frozen=True)
class Sheet:
    """How a field is a spreadsheet column; the header is the field's label unless given."""

    kind: str = "text"
    header: Any = None
    labels: dict[Any, Any] | None = None
    width: int = 18
    number_format: str | None = None
    # Read on import although nobody writes it (the id finds the row to update); otherwise
    # a column is read-only exactly when the field is the system's.
    read_on_import: bool = False


@dataclass(frozen=True)
class ProcessField:
    name: str
    label: Any
    # text, textarea (long text), int, decimal, date, datetime, select (enum), bool, lines
    # (list), domains (domain refs), user / users (user refs), kle (the code with a search
    # in the KLE taxonomy: processes/_field.html), links, id
    kind: str = "text"
    hint: Any = ""
    options: Any = None  # for select: {code: label}
    group: Group | None = None  # None: not in the edit form
    writer: str = TEAM
    published: bool = False  # copied into a catalogue entry (DOMAIN.md "Catalogue entry")
    sheet: Sheet | None = None  # None: not a spreadsheet column
    history: tuple[str, ...] = ()  # other names the history records the field under
    lesson: bool = False  # a lesson learned: saving it stamps lessons_updated_at

    @property
    def reporter(self) -> bool:
        """The reporter may write it while their idea is an idea."""
        return self.writer == REPORTER

    @property
    def phase(self) -> Phase | None:
        """The phase the field appears from in the form."""
        return self.group.phase if self.group else None

    def column(self) -> Column:
        assert self.sheet is not None
        return Column(
            self.name,
            self.sheet.header or self.label,
            self.sheet.kind,
            self.sheet.labels,
            readonly=self.writer == SYSTEM and not self.sheet.read_on_import,
            width=self.sheet.width,
            number_format=self.sheet.number_format,
        )


IDEA = Group(_l("Idéen"), Phase.IDEA)
TODAY = Group(_l("Sådan foregår det i dag"), Phase.IDEA)
COURSE = Group(_l("Forløb"), Phase.IDEA)
ASSESSMENT = Group(_l("Klassifikation og vurdering"), Phase.PREANALYSIS)
SOLUTION = Group(_l("Løsningen"), Phase.DEVELOPMENT)
LESSONS = Group(_l("Erfaringer"), Phase.OPERATION)
INTERNAL = Group(_l("Internt"), Phase.IDEA)
GROUPS: tuple[Group, ...] = (IDEA, TODAY, COURSE, ASSESSMENT, SOLUTION, LESSONS, INTERNAL)

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
    AiActRisk.NONE.value: _l("Ingen"),
    AiActRisk.MINIMAL.value: _l("Minimal"),
    AiActRisk.LIMITED.value: _l("Begrænset"),
    AiActRisk.HIGH.value: _l("Høj"),
}
SCALE_0_3 = {"0": "0", "1": "1", "2": "2", "3": "3"}
# A yes/no the team may leave unanswered (stored as NULL): a select, so that saving the form
# without touching it leaves it unanswered rather than turning it into "Nej".
YES_NO = {"true": _l("Ja"), "false": _l("Nej")}
VISIBILITY_HINT = LazyString(
    lambda: " ".join(f"{VISIBILITY_LABELS[v]}: {VISIBILITY_HINTS[v]}" for v in VISIBILITY_HINTS)
)


def _status_reason_hint() -> str:
    statuses = [str(STATUS_LABELS[s]) for s in REASON_STATUSES]
    listed = format_list(statuses, locale=get_locale() or "da")
    return _("Skal udfyldes ved %(statuses)s.", statuses=listed)


# Names the statuses that need a reason (models.REASON_STATUSES) in the UI's language.
STATUS_REASON_HINT = LazyString(_status_reason_hint)

F = ProcessField
# In the form's order; the spreadsheet's order is SHEET_ORDER below.
FIELDS: tuple[ProcessField, ...] = (
    # --- Idéen
    F("title", _l("Titel"), group=IDEA, writer=REPORTER, published=True, sheet=Sheet(width=40)),
    F(
        "summary",
        _l("Resumé"),
        "textarea",
        group=IDEA,
        writer=REPORTER,
        published=True,
        sheet=Sheet(width=50),
    ),
    F(
        "description",
        _l("Beskrivelse"),
        "textarea",
        group=IDEA,
        writer=REPORTER,
        published=True,
        sheet=Sheet(width=50),
    ),
    F(
        "domain_ids",
        _l("Fagområder"),
        "domains",
        group=IDEA,
        writer=REPORTER,
        published=True,
        sheet=Sheet("domains", width=30),
        history=("domains",),
    ),
    F(
        "visibility",
        _l("Hvem må se processen?"),
        "select",
        VISIBILITY_HINT,
        options=VISIBILITY_LABELS,
        group=IDEA,
        writer=REPORTER,
        sheet=Sheet("enum", _l("Synlighed"), VISIBILITY_LABELS),
    ),
    # --- Sådan foregår det i dag
    F(
        "current_process",
        _l("Sådan foregår det i dag"),
        "textarea",
        group=TODAY,
        writer=REPORTER,
        published=True,
        sheet=Sheet(width=40),
    ),
    F(
        "challenges",
        _l("Udfordringer i den nuværende proces"),
        "textarea",
        group=TODAY,
        writer=REPORTER,
        published=True,
        sheet=Sheet(width=40),
    ),
    F(
        "solution_ideas",
        _l("Idéer til løsning"),
        "textarea",
        group=TODAY,
        writer=REPORTER,
        published=True,
        sheet=Sheet(width=40),
    ),
    F(
        "it_systems",
        _l("Nuværende systemer"),
        "lines",
        _l("Ét system pr. linje: navn; leverandør"),
        group=TODAY,
        writer=REPORTER,
        published=True,
        sheet=Sheet("it_systems", width=30),
    ),
    F(
        "occurrences_per_year",
        _l("Antal gange om året"),
        "int",
        group=TODAY,
        writer=REPORTER,
        published=True,
        sheet=Sheet("int", number_format="#,##0"),
    ),
    F(
        "minutes_per_occurrence",
        _l("Minutter pr. gang"),
        "decimal",
        group=TODAY,
        writer=REPORTER,
        published=True,
        sheet=Sheet("decimal", number_format="0.00"),
    ),
    F(
        "employees_doing_it",
        _l("Antal medarbejdere, der udfører opgaven"),
        "int",
        group=TODAY,
        writer=REPORTER,
        published=True,
        sheet=Sheet("int", _l("Medarbejdere"), number_format="0"),
    ),
    F(
        "automation_share_pct",
        _l("Forventet automatiseringsgrad (%)"),
        "int",
        group=TODAY,
        published=True,
        sheet=Sheet("int", number_format="0"),
    ),
    F(
        "time_comment",
        _l("Kommentar til tidsforbruget"),
        "textarea",
        group=TODAY,
        writer=REPORTER,
        published=True,
        sheet=Sheet(width=30),
    ),
    # --- Forløb
    F(
        "phase",
        _l("Fase"),
        "select",
        options=PHASE_LABELS,
        group=COURSE,
        published=True,
        sheet=Sheet("enum", labels=PHASE_LABELS),
    ),
    F(
        "status",
        _l("Status"),
        "select",
        options=STATUS_LABELS,
        group=COURSE,
        published=True,
        sheet=Sheet("enum", labels=STATUS_LABELS),
    ),
    F(
        "status_reason",
        _l("Begrundelse for status"),
        "textarea",
        STATUS_REASON_HINT,
        group=COURSE,
        sheet=Sheet(header=_l("Statusbegrundelse"), width=30),
    ),
    F(
        "priority_rank",
        _l("Prioritet (styregruppens rækkefølge)"),
        "int",
        group=COURSE,
        sheet=Sheet("int", number_format="0", width=10),
    ),
    F(
        "owner_id",
        _l("Faglig kontaktperson"),
        "user",
        group=COURSE,
        writer=REPORTER,
        sheet=Sheet("person", width=24),
        history=("owner",),
    ),
    F(
        "contact_id",
        _l("Teknisk kontaktperson"),
        "user",
        group=COURSE,
        sheet=Sheet("person", width=24),
        history=("contact",),
    ),
    F("planned_start", _l("Planlagt start"), "date", group=COURSE, sheet=Sheet("date", width=14)),
    F(
        "put_into_operation_at",
        _l("I drift fra"),
        "date",
        group=COURSE,
        sheet=Sheet("date", width=14),
    ),
    F(
        "decommissioned_at",
        _l("Taget ud af drift"),
        "date",
        group=COURSE,
        sheet=Sheet("date", width=14),
    ),
    F(
        "run_schedule",
        _l("Kørselsfrekvens"),
        "select",
        options=RUN_SCHEDULE_LABELS,
        group=COURSE,
        sheet=Sheet("optional_enum", labels=RUN_SCHEDULE_LABELS),
    ),
    # --- Klassifikation og vurdering
    F(
        "kle_code",
        _l("KLE-nummer"),
        "kle",
        _l("Et KLE-emne, fx 32.18.08"),
        group=ASSESSMENT,
        published=True,
        sheet=Sheet("code", width=12),
    ),
    F(
        "form_code",
        _l("FORM-kode"),
        group=ASSESSMENT,
        published=True,
        sheet=Sheet("code", _l("FORM"), width=12),
    ),
    F(
        "legal_basis",
        _l("Lovgrundlag"),
        "textarea",
        group=ASSESSMENT,
        published=True,
        sheet=Sheet(width=30),
    ),
    F(
        "legal_basis_verified_at",
        _l("Lovgrundlaget er kontrolleret"),
        "date",
        group=ASSESSMENT,
        sheet=Sheet("date", width=14),
    ),
    F("org_unit", _l("Afdeling"), group=ASSESSMENT, sheet=Sheet(width=24)),
    F(
        "targets_citizens",
        _l("Rettet mod borgere"),
        "bool",
        group=ASSESSMENT,
        sheet=Sheet("flag", width=12),
    ),
    F(
        "targets_companies",
        _l("Rettet mod virksomheder"),
        "bool",
        group=ASSESSMENT,
        sheet=Sheet("flag", width=12),
    ),
    *(
        F(
            name,
            ASSESSMENT_LABELS[name],
            "select",
            options=LEVEL_LABELS,
            group=ASSESSMENT,
            published=True,
            sheet=Sheet("level", labels=LEVEL_LABELS),
        )
        for name in ASSESSMENT_FIELDS
    ),
    F(
        "expected_dev_hours",
        _l("Forventede udviklingstimer"),
        "int",
        group=ASSESSMENT,
        sheet=Sheet("int", number_format="#,##0"),
    ),
    F(
        "expected_cost_dkk",
        _l("Forventet udgift (kr.)"),
        "int",
        group=ASSESSMENT,
        sheet=Sheet("int", number_format="#,##0"),
    ),
    F(
        "strategic_fit",
        _l("Strategisk match (0–3)"),
        "select",
        options=SCALE_0_3,
        group=ASSESSMENT,
        sheet=Sheet("int", number_format="0"),
    ),
    F("risk_notes", _l("Risici"), "textarea", group=ASSESSMENT, sheet=Sheet(width=30)),
    F(
        "gdpr_personal_data",
        _l("Behandler personoplysninger"),
        "select",
        options=YES_NO,
        group=ASSESSMENT,
        sheet=Sheet("bool", width=12),
    ),
    F(
        "automated_decision",
        _l("Automatisk afgørelse (GDPR art. 22)"),
        "select",
        options=YES_NO,
        group=ASSESSMENT,
        sheet=Sheet("bool", width=12),
    ),
    F(
        "ai_act_risk",
        _l("Risiko efter AI-forordningen"),
        "select",
        options=AI_ACT_LABELS,
        group=ASSESSMENT,
        sheet=Sheet("optional_enum", labels=AI_ACT_LABELS),
    ),
    # --- Løsningen
    F(
        "technologies",
        _l("Anvendt teknologi"),
        "lines",
        _l("Én pr. linje, fx RPA"),
        group=SOLUTION,
        published=True,
        sheet=Sheet("list", width=24),
    ),
    F("vendor", _l("Leverandør"), group=SOLUTION, published=True, sheet=Sheet(width=24)),
    F(
        "services",
        _l("Systemer og snitflader, løsningen bruger"),
        "lines",
        group=SOLUTION,
        published=True,
        sheet=Sheet("list", width=30),
    ),
    F(
        "technical_notes",
        _l("Tekniske noter"),
        "textarea",
        group=SOLUTION,
        published=True,
        sheet=Sheet(width=40),
    ),
    F(
        "organisational_notes",
        _l("Organisatoriske noter"),
        "textarea",
        group=SOLUTION,
        published=True,
        sheet=Sheet(width=40),
    ),
    F("code_repository_url", _l("Kodearkiv (adresse)"), group=SOLUTION, sheet=Sheet(width=30)),
    # --- Erfaringer
    F(
        "realised_hours_per_year",
        _l("Realiserede timer pr. år"),
        "int",
        group=LESSONS,
        published=True,
        lesson=True,
        sheet=Sheet("int", number_format="#,##0"),
    ),
    F(
        "realised_benefit_rating",
        _l("I hvor høj grad indfriede løsningen de forventede gevinster? (0–3)"),
        "select",
        options=SCALE_0_3,
        group=LESSONS,
        published=True,
        lesson=True,
        sheet=Sheet("int", number_format="0"),
    ),
    F(
        "what_worked",
        _l("Hvad virkede"),
        "textarea",
        group=LESSONS,
        published=True,
        lesson=True,
        sheet=Sheet(width=40),
    ),
    F(
        "what_did_not",
        _l("Hvad virkede ikke"),
        "textarea",
        group=LESSONS,
        published=True,
        lesson=True,
        sheet=Sheet(width=40),
    ),
    F(
        "advice_to_others",
        _l("Råd til andre kommuner"),
        "textarea",
        group=LESSONS,
        published=True,
        lesson=True,
        sheet=Sheet(width=40),
    ),
    # --- Internt
    F(
        "internal_notes",
        _l("Interne noter"),
        "textarea",
        _l("Forlader aldrig kommunen og deles aldrig i kataloget."),
        group=INTERNAL,
        sheet=Sheet(width=40),
    ),
    F("esdh_reference", _l("Sagsreference i ESDH"), group=INTERNAL, sheet=Sheet(width=20)),
    # --- Not in the edit form: written through the API and the sheet, or by the system
    F("keywords", _l("Nøgleord"), "lines", sheet=Sheet("list", width=24)),
    F("links", _l("Links"), "links", sheet=Sheet("links", width=30)),
    F(
        "associated_user_ids",
        _l("Tilknyttede brugere"),
        "users",
        sheet=Sheet("people", width=30),
        history=("associated_users",),
    ),
    F("number", _l("Nr."), "int", writer=SYSTEM, sheet=Sheet("int", number_format="0", width=8)),
    F(
        "expected_hours_per_year",
        _l("Forventede timer pr. år"),
        "decimal",
        writer=SYSTEM,
        published=True,
        sheet=Sheet("decimal", number_format="#,##0.0"),
    ),
    F(
        "expected_fte",
        _l("Forventede årsværk"),
        "decimal",
        writer=SYSTEM,
        published=True,
        sheet=Sheet("decimal", number_format="0.00"),
    ),
    F(
        "expected_value_dkk",
        _l("Forventet værdi (kr.)"),
        "decimal",
        writer=SYSTEM,
        published=True,
        sheet=Sheet("decimal", number_format="#,##0"),
    ),
    F(
        "suitability",
        _l("Egnethed (0-100)"),
        "decimal",
        writer=SYSTEM,
        published=True,
        sheet=Sheet("decimal", number_format="0.0"),
    ),
    F(
        "priority_score",
        _l("Prioritetsscore (0-100)"),
        "decimal",
        writer=SYSTEM,
        sheet=Sheet("decimal", number_format="0.0"),
    ),
    F(
        "priority_confidence",
        _l("Prioritetsscorens sikkerhed (%)"),
        "decimal",
        writer=SYSTEM,
        sheet=Sheet("decimal", number_format="0.0"),
    ),
    F(
        "lessons_updated_at",
        _l("Erfaringer opdateret"),
        "datetime",
        writer=SYSTEM,
        published=True,
        sheet=Sheet("datetime"),
    ),
    F(
        "reporter",
        _l("Indberetter"),
        "user",
        writer=SYSTEM,
        sheet=Sheet("person", width=24),
        history=("reporter_id",),
    ),
    F("created_at", _l("Oprettet"), "datetime", writer=SYSTEM, sheet=Sheet("datetime")),
    F("updated_at", _l("Opdateret"), "datetime", writer=SYSTEM, sheet=Sheet("datetime")),
    # Exported so an import can tell that the process changed after the export.
    F(
        "version",
        _l("Version"),
        "int",
        writer=SYSTEM,
        sheet=Sheet("int", number_format="0", width=9),
    ),
    F("id", _l("Id"), "id", writer=SYSTEM, sheet=Sheet("id", width=38, read_on_import=True)),
)
del F

BY_NAME: dict[str, ProcessField] = {f.name: f for f in FIELDS}
FORM_FIELDS: tuple[ProcessField, ...] = tuple(f for f in FIELDS if f.group is not None)

# The spreadsheet's columns, in the order users know from the exports they already have.
SHEET_ORDER: tuple[str, ...] = (
    "number", "title", "summary", "description", "visibility", "domain_ids", "kle_code",
    "form_code", "legal_basis", "legal_basis_verified_at", "org_unit", "targets_citizens",
    "targets_companies", "keywords", "current_process", "challenges", "solution_ideas",
    "it_systems", "occurrences_per_year", "minutes_per_occurrence", "employees_doing_it",
    "automation_share_pct", "time_comment", "expected_hours_per_year", "expected_fte",
    "expected_value_dkk", *ASSESSMENT_FIELDS, "suitability", "expected_dev_hours",
    "expected_cost_dkk", "strategic_fit", "priority_score", "priority_confidence", "risk_notes",
    "gdpr_personal_data", "automated_decision", "ai_act_risk", "phase", "status",
    "status_reason", "priority_rank",
    "owner_id", "contact_id", "associated_user_ids", "planned_start", "put_into_operation_at",
    "decommissioned_at", "run_schedule", "technologies", "vendor", "services",
    "technical_notes", "organisational_notes", "code_repository_url", "links",
    "realised_hours_per_year", "realised_benefit_rating", "what_worked", "what_did_not",
    "advice_to_others", "lessons_updated_at", "internal_notes", "esdh_reference", "reporter",
    "created_at", "updated_at", "version", "id",
)  # fmt: skip


def sheet_columns() -> tuple[Column, ...]:
    return tuple(BY_NAME[name].column() for name in SHEET_ORDER)


# What the person reporting an idea may write (DOMAIN.md: an idea is a two-minute task): the
# form shows them exactly these, so it never shows what they may not save.
REPORTER_FIELDS = frozenset(f.name for f in FIELDS if f.writer == REPORTER)
TEAM_FIELDS = frozenset(f.name for f in FIELDS if f.writer != SYSTEM)
LESSON_FIELDS = frozenset(f.name for f in FIELDS if f.lesson)
# The catalogue's copy list (DOMAIN.md "Catalogue entry"); everything else stays home.
PUBLISHED_FIELDS = frozenset(f.name for f in FIELDS if f.published)
NEVER_PUBLISHED = frozenset(
    {
        "internal_notes",
        "esdh_reference",
        "reporter",
        "owner_id",
        "contact_id",
        "associated_user_ids",
        "org_unit",
    }
)
assert not PUBLISHED_FIELDS & NEVER_PUBLISHED

# The name the history records a field under (the relation, not its ids).
HISTORY_NAMES: dict[str, str] = {
    f.name: f.history[0] for f in FIELDS if f.history and f.writer != SYSTEM
}
# Labels for every field name the history can mention.
LABELS: dict[str, Any] = {
    **{f.name: f.label for f in FIELDS},
    **{alias: f.label for f in FIELDS for alias in f.history},
}
# Every field's place in the form, for listing errors (and the history) in the form's order.
FORM_ORDER: dict[str, int] = {f.name: i for i, f in enumerate(FORM_FIELDS)}


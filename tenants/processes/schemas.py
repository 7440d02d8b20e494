"""Marshmallow schemas shared by the API and the HTML forms."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    validate,
    validates,
    validates_schema,
)

from autoproces.platform.pagination import PageArgsSchema
from autoproces.platform.textinput import REQUIRED, text

from .models import (
    ASSESSMENT_FIELDS,
    SUMMARY_MAX,
    TITLE_MAX,
    AiActRisk,
    Level,
    Phase,
    RunSchedule,
    Status,
    Visibility,
)
from .queries import SORTS
from .reminders import RULES as REMINDER_RULES

ATTENTION = tuple(REMINDER_RULES)

# Every text field has a limit, so no single save can outgrow the search index (a tsvector
# holds at most 1 MB); the 422 names the field.
LONG_TEXT = 20_000
SHORT_TEXT = 200
WEB_ADDRESS_LENGTH = 2_000
MAX_ITEMS = 50


def uuid_field(message: Any, **kwargs: Any) -> fields.UUID:
    """A UUID field whose error is `message` (marshmallow names it "invalid_uuid")."""
    return fields.UUID(error_messages={"invalid": message, "invalid_uuid": message}, **kwargs)


def choice(enum: type, **kwargs: Any) -> fields.String:
    values = [e.value for e in enum]
    return fields.String(
        validate=validate.OneOf(values, error=_l("Ugyldig værdi. Tilladt: {choices}.")),
        error_messages={**REQUIRED, "invalid": _l("Skal være tekst.")},
        **kwargs,
    )


class DanishRange(validate.Range):
    """A range whose message writes its limits the Danish way ("10.000.000")."""

    def _format_error(self, value: Any, message: str) -> str:
        return (self.error or message).format(
            input=value, min=_number_text(self.min), max=_number_text(self.max)
        )


def _number_text(value: Any) -> str:
    if value is None:
        return ""
    try:
        return format_decimal(value)
    except (AttributeError, RuntimeError):  # outside a request: no locale to ask
        return str(value)


EXPONENT = _l("Skriv tallet uden eksponent, fx 100000 i stedet for 1e5.")


class PlainNumber:
    """Numbers as people type them: "1e5" (exponent notation) is refused with a message
    that says so, rather than read as 100000 or as "not a number"."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, str) and "e" in value.lower() and any(c.isdigit() for c in value):
            raise ValidationError(str(EXPONENT))
        return super()._deserialize(value, attr, data, **kwargs)  # type: ignore[misc]


class WholeNumber(PlainNumber, fields.Integer):
    pass


class ExactNumber(fields.Decimal):
    """A decimal read exactly; in OpenAPI its bounds are numbers, not strings (a Decimal
    serialises as a string, so client generators and fuzzers could build no valid value)."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        result = super()._serialize(value, attr, obj, **kwargs)
        return float(result) if isinstance(result, Decimal) else result


class DecimalNumber(PlainNumber, ExactNumber):
    """A decimal typed the Danish way (7,5), read exactly, with numeric OpenAPI bounds."""


def count(maximum: int | None = None, **kwargs: Any) -> fields.Integer:
    """A whole number ≥ 0 (and ≤ maximum)."""
    message = (
        _l("Skal være mellem {min} og {max}.")
        if maximum is not None
        else _l("Må ikke være negativ.")
    )
    return WholeNumber(
        allow_none=True,
        strict=False,
        validate=DanishRange(min=0, max=maximum, error=message),
        error_messages={
            "invalid": _l("Skal være et helt tal."),
            "null": _l("Feltet skal udfyldes."),
        },
        **kwargs,
    )


def day(**kwargs: Any) -> fields.Date:
    return fields.Date(
        allow_none=True, error_messages={"invalid": _l("Skal være en dato (ÅÅÅÅ-MM-DD).")}, **kwargs
    )


def flag(**kwargs: Any) -> fields.Boolean:
    return fields.Boolean(error_messages={"invalid": _l("Skal være sand eller falsk.")}, **kwargs)


def text_list(max_items: int = MAX_ITEMS, **kwargs: Any) -> fields.List:
    return fields.List(
        text(SHORT_TEXT),
        validate=validate.Length(max=max_items, error=_l("Højst {max} elementer.")),
        **kwargs,
    )


def _at_most_items() -> validate.Length:
    return validate.Length(max=MAX_ITEMS, error=_l("Højst {max} elementer."))


# marshmallow's Url field insists on a plain-string message; the validator takes a lazy one.
WEB_ADDRESS = validate.URL(
    schemes={"http", "https"}, error=_l("Skal være en webadresse (http eller https).")
)


class ItSystemSchema(Schema):
    name = text(SHORT_TEXT, required=True)
    vendor = text(SHORT_TEXT)


class LinkSchema(Schema):
    title = text(SHORT_TEXT)
    url = text(WEB_ADDRESS_LENGTH, required=True, validate=[WEB_ADDRESS])


KLE_TOPIC = validate.Regexp(
    r"^[0-9]{2}\.[0-9]{2}\.[0-9]{2}$", error=_l("Skal være et KLE-emne, fx 32.18.08.")
)


class ProcessInSchema(Schema):
    """Every field a client may write. Unknown fields are refused (422 naming them)."""

    title = text(TITLE_MAX, required=True)
    summary = text(SUMMARY_MAX, required=True)
    description = text(LONG_TEXT)
    visibility = choice(Visibility)
    # classification
    # Text, not a bare String: a regex's $ also matches before a trailing line feed.
    kle_code = text(allow_none=True, validate=[KLE_TOPIC])
    form_code = text(
        20,
        allow_none=True,
        validate=[
            validate.Regexp(
                r"^[0-9]{2}(\.[0-9]{2})*$", error=_l("Skal være en FORM-kode, fx 26.40.")
            )
        ],
    )
    legal_basis = text(LONG_TEXT)
    legal_basis_verified_at = day()
    domain_ids = fields.List(
        uuid_field(_l("Ukendt fagområde.")), validate=_at_most_items()
    )
    org_unit = text(SHORT_TEXT)
    targets_citizens = flag()
    targets_companies = flag()
    keywords = text_list()
    # the work today
    current_process = text(LONG_TEXT)
    challenges = text(LONG_TEXT)
    solution_ideas = text(LONG_TEXT)
    it_systems = fields.List(fields.Nested(ItSystemSchema), validate=_at_most_items())
    occurrences_per_year = count(10_000_000)
    minutes_per_occurrence = DecimalNumber(
        allow_none=True,
        places=2,
        validate=DanishRange(min=0, max=100_000, error=_l("Skal være mellem {min} og {max}.")),
        error_messages={
            "invalid": _l("Skal være et tal."),
            "special": _l("Skal være et tal."),
        },
    )
    employees_doing_it = count(100_000)
    automation_share_pct = count(100)
    time_comment = text(LONG_TEXT)
    # assessment
    locals().update({name: choice(Level) for name in ASSESSMENT_FIELDS})
    expected_dev_hours = count(1_000_000)
    expected_cost_dkk = count(1_000_000_000)
    strategic_fit = count(3)
    risk_notes = text(LONG_TEXT)
    gdpr_personal_data = flag(allow_none=True)
    automated_decision = flag(allow_none=True)
    ai_act_risk = choice(AiActRisk, allow_none=True)
    # pipeline
    phase = choice(Phase)
    status = choice(Status)
    status_reason = text(LONG_TEXT)
    priority_rank = count(1_000_000)
    owner_id = uuid_field(_l("Ukendt bruger."), allow_none=True)
    contact_id = uuid_field(_l("Ukendt bruger."), allow_none=True)
    associated_user_ids = fields.List(
        uuid_field(_l("Ukendt bruger.")), validate=_at_most_items()
    )
    planned_start = day()
    put_into_operation_at = day()
    decommissioned_at = day()
    run_schedule = choice(RunSchedule, allow_none=True)
    # solution
    technologies = text_list()
    vendor = text(SHORT_TEXT)
    services = text_list()
    technical_notes = text(LONG_TEXT)
    organisational_notes = text(LONG_TEXT)
    code_repository_url = text(WEB_ADDRESS_LENGTH, validate=[lambda v: v == "" or WEB_ADDRESS(v)])
    links = fields.List(fields.Nested(LinkSchema), validate=_at_most_items())
    # lessons learned
    realised_hours_per_year = count(10_000_000)
    realised_benefit_rating = count(3)
    what_worked = text(LONG_TEXT)
    what_did_not = text(LONG_TEXT)
    advice_to_others = text(LONG_TEXT)
    # private
    internal_notes = text(LONG_TEXT)
    esdh_reference = text(SHORT_TEXT)


class ProcessPatchSchema(ProcessInSchema):
    """A change: any subset of the fields, and the version it was made against."""

    title = text(TITLE_MAX)
    summary = text(SUMMARY_MAX)
    version = fields.Integer(
        required=True,
        validate=validate.Range(min=1, error=_l("Skal være mindst {min}.")),
        error_messages={**REQUIRED, "invalid": _l("Skal være et helt tal.")},
    )

    @validates("title", "summary")
    def _not_blank(self, value: str, data_key: str) -> None:
        if not value:
            raise ValidationError(str(_l("Feltet skal udfyldes.")))


class IntakeFormSchema(ProcessInSchema):
    """The intake form ("Indberet en idé"): only what an employee knows.

    An HTML form may carry more than its fields (a CSRF token, a button's name);
    those are dropped, not refused.
    """

    class Meta:
        fields = (
            "title",
            "summary",
            "description",
            "visibility",
            "domain_ids",
            "occurrences_per_year",
            "minutes_per_occurrence",
            "owner_id",
        )
        unknown = EXCLUDE


class UserRefSchema(Schema):
    id = fields.UUID()
    name = fields.String()


class DomainRefSchema(Schema):
    id = fields.UUID()
    name = fields.String()


def _contributed(process: Any, name: str) -> Any:
    """A figure another component offers for `process` (a callable, asked only when the
    representation is dumped), or None."""
    figure = getattr(process, "contributed_figures", {}).get(name)
    value = figure() if figure is not None else None
    return str(value) if value is not None else None


class ProcessOutSchema(ProcessInSchema):
    """A process as the API returns it: every field, the people, and the computed figures."""

    class Meta:
        exclude = ("domain_ids", "owner_id", "contact_id", "associated_user_ids")

    id = fields.UUID()
    number = fields.Integer(
        metadata={"description": "The process's short number in the municipality (Idé nr. 42)"}
    )
    reporter = fields.Nested(UserRefSchema, allow_none=True)
    owner = fields.Nested(UserRefSchema, allow_none=True)
    contact = fields.Nested(UserRefSchema, allow_none=True)
    associated_users = fields.List(fields.Nested(UserRefSchema))
    domains = fields.List(fields.Nested(DomainRefSchema))
    minutes_per_occurrence = fields.Float(allow_none=True)
    lessons_updated_at = fields.DateTime(allow_none=True)
    copied_from_entry_id = fields.UUID(allow_none=True)
    copied_from_version = fields.Integer(allow_none=True)
    version = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    expected_hours_per_year = fields.Float(allow_none=True)
    expected_fte = fields.Float(allow_none=True)
    expected_value_dkk = fields.Float(allow_none=True)
    snippet = fields.String(allow_none=True)
    suitability = fields.Float(allow_none=True)
    confidence = fields.Float()
    priority_score = fields.Float(allow_none=True)
    # Offered lazily by the runs component when installed (signals.processes_presented).
    realised_hours_from_runs = fields.Function(
        lambda p: _contributed(p, "realised_hours_from_runs"),
        allow_none=True,
        metadata={
            "type": "string",
            "description": "Realised hours per year computed from the recorded runs"
            " (null: no runs); see GET /processes/{id}/runs",
        },
    )
    priority_confidence = fields.Float(allow_none=True)
    priority = fields.Nested(
        lambda: PrioritySchema(),
        allow_none=True,
        metadata={"description": "The priority score and why: each factor's share of it."},
    )


class PriorityFactorSchema(Schema):
    name = fields.String(metadata={"description": "benefit, suitability, ease or strategic"})
    label = fields.Method("_label")
    value = fields.Float(allow_none=True, metadata={"description": "0-100; null if missing"})
    weight_pct = fields.Float(metadata={"description": "Its weight's share of all weights"})
    contribution = fields.Float(allow_none=True, metadata={"description": "Points of the score"})
    missing = fields.List(fields.String(), metadata={"description": "Missing inputs (fields)"})

    def _label(self, factor: Any) -> str:
        from .figures import FACTOR_LABELS

        return str(FACTOR_LABELS[factor.name])


class PrioritySchema(Schema):
    score = fields.Float(allow_none=True)
    confidence = fields.Float()
    factors = fields.List(fields.Nested(PriorityFactorSchema))
    missing = fields.List(fields.String(), metadata={"description": "Missing inputs (fields)"})
    payback_years = fields.Float(allow_none=True, metadata={"description": "Cost ÷ yearly value"})
    net_value_3y = fields.Float(
        allow_none=True, metadata={"description": "3 × yearly value − cost (DKK)"}
    )


class ChangeSchema(Schema):
    id = fields.Integer()
    changed_at = fields.DateTime()
    user = fields.Nested(UserRefSchema, allow_none=True)
    field = fields.String()
    old_value = fields.Raw(allow_none=True)
    new_value = fields.Raw(allow_none=True)


class KlePrefix(fields.String):
    """The beginning of a KLE number; "02,34" (a Danish keyboard's comma) reads as 02.34."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return super()._deserialize(value, attr, data, **kwargs).strip().replace(",", ".")


class ProcessQuerySchema(PageArgsSchema):
    """The register's filters; the same in the URL of the list page and in the API."""

    q = fields.String(validate=validate.Length(max=200, error=_l("Højst {max} tegn.")))
    domain = uuid_field(_l("Ukendt fagområde."))
    phase = choice(Phase)
    status = choice(Status)
    kle = KlePrefix(
        validate=validate.Regexp(
            r"^[0-9]{2}(\.[0-9]{0,2}){0,2}$", error=_l("Skriv begyndelsen af et KLE-nummer.")
        )
    )
    technology = text(100)
    vendor = text(SHORT_TEXT)
    # Reported before this day (the dashboard's ideas waiting for assessment).
    created_before = fields.Date(error_messages={"invalid": _l("Skriv en dato (ÅÅÅÅ-MM-DD).")})
    # A reminder's rule (reminders.RULES): "legal_basis" (Lovgrundlag skal kontrolleres),
    # "unchanged" (Uændret i 12 måneder).
    attention = fields.String(
        validate=validate.OneOf(ATTENTION, error=_l("Ugyldig værdi. Tilladt: {choices}."))
    )
    mine = fields.Boolean(error_messages={"invalid": _l("Skal være sand eller falsk.")})
    # Only the processes the user follows ("Jeg følger").
    following = fields.Boolean(error_messages={"invalid": _l("Skal være sand eller falsk.")})
    sort = fields.String(
        load_default="relevance",
        validate=validate.OneOf(SORTS, error=_l("Ugyldig værdi. Tilladt: {choices}.")),
    )


class ProcessPageSchema(Schema):
    items = fields.List(fields.Nested(ProcessOutSchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    pages = fields.Integer()


class OverviewSchema(Schema):
    domain = fields.Nested(DomainRefSchema, allow_none=True)
    total = fields.Integer()
    by_phase = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_status = fields.Dict(keys=fields.String(), values=fields.Integer())
    expected_hours_per_year = fields.Float()


# --- The municipality's settings (settings.py) ------------------------------------------


def _setting(low: int, high: int, **kwargs: Any) -> fields.Decimal:
    return DecimalNumber(
        places=2,
        validate=validate.Range(min=low, max=high, error=_l("Skal være mellem {min} og {max}.")),
        error_messages={"invalid": _l("Skriv et tal, fx 1,5.")},
        **kwargs,
    )


class SettingsSchema(Schema):
    """What the administrator sets: the formulas' figures and the score's weights."""

    hours_per_fte = _setting(1, 8784, metadata={"description": "Hours per full-time equivalent"})
    cost_per_hour_dkk = _setting(0, 100000, metadata={"description": "Cost per hour (DKK)"})
    weight_benefit = _setting(0, 10)
    weight_suitability = _setting(0, 10)
    weight_ease = _setting(0, 10)
    weight_strategic = _setting(0, 10)

    @validates_schema
    def _some_weight(self, data: dict[str, Any], **_kw: Any) -> None:
        weights = [data[k] for k in data if k.startswith("weight_")]
        if len(weights) == 4 and sum(weights) <= 0:
            raise ValidationError(_l("Mindst én vægt skal være over 0."), "weight_benefit")


class SettingsOutSchema(SettingsSchema):
    updated_at = fields.DateTime()


class DomainSchema(Schema):
    id = fields.UUID(dump_only=True)
    name = fields.String(
        required=True,
        validate=validate.Length(min=1, max=100, error=_l("Skriv 1-{max} tegn.")),
    )
    position = fields.Integer(
        validate=validate.Range(min=0, max=10000), metadata={"description": "0-based place"}
    )
    active = fields.Boolean()


class DomainPatchSchema(DomainSchema):
    name = fields.String(validate=validate.Length(min=1, max=100, error=_l("Skriv 1-{max} tegn.")))
    move = fields.String(validate=validate.OneOf(["up", "down"]), load_only=True)

"""The field registry (fields.py, issue 8 D20) against everything that describes a process:
the model's columns and relations, the API schemas, the form, the spreadsheet, the labels and
their translations, and what each role is shown on the edit page."""

from __future__ import annotations

import pytest
from babel.messages.pofile import read_po
from flask_babel.speaklater import LazyString
from helpers import REPO_ROOT, login
from html_forms import field_names
from sqlalchemy import inspect

from autoproces.tenants.processes import exchange, fields, form, history, phases
from autoproces.tenants.processes.models import Process
from autoproces.tenants.processes.schemas import ProcessInSchema, ProcessOutSchema

PO = (
    REPO_ROOT
    / "platform"
    / "translations"
    / "en"
    / "LC_MESSAGES"
    / "messages.po"
)
# Model attributes that are not fields a person reads or writes: keys, lineage from the
# catalogue (set when a process is copied from an entry), the search index and the relations
# the registry names by their ids (domain_ids, owner_id, ...).
NON_FIELD_ATTRIBUTES = frozenset(
    {
        "tenant_id",
        "reporter_id",
        "copied_from_entry_id",
        "copied_from_version",
        "search_vector",
        "confidence",
        "tenant",
        "owner",
        "contact",
        "associated_users",
        "domains",
        "domain_links",
        "associated_links",
    }
)
# The registry names a relation by what the API writes: the ids.
RELATIONS = {
    "domain_ids": "domains",
    "owner_id": "owner",
    "contact_id": "contact",
    "associated_user_ids": "associated_users",
}
TECHNICAL = {"csrf_token", "version", "refresh"}


def _model_attributes() -> set[str]:
    mapper = inspect(Process)
    names = {c.key for c in mapper.column_attrs} | {r.key for r in mapper.relationships}
    from autoproces.tenants.processes.models import _Figure

    figures = {n for n, v in vars(Process).items() if isinstance(v, _Figure)}
    return names | figures


def test_every_model_attribute_is_a_registry_field_or_named_as_not_one():
    registered = set(fields.BY_NAME) | {RELATIONS.get(n, n) for n in fields.BY_NAME}
    missing = _model_attributes() - registered - NON_FIELD_ATTRIBUTES
    assert not missing, missing
    # The list of exceptions holds nothing the registry also has.
    assert not NON_FIELD_ATTRIBUTES & set(fields.BY_NAME)


def test_every_registry_field_exists_in_the_model():
    attributes = _model_attributes()
    for name in fields.BY_NAME:
        assert RELATIONS.get(name, name) in attributes, name


def test_the_api_writes_exactly_the_registry_fields_that_are_not_the_systems():
    writable = {f.name for f in fields.FIELDS if f.writer != fields.SYSTEM}
    assert set(ProcessInSchema().fields) == writable, set(ProcessInSchema().fields) ^ writable


def test_the_api_returns_every_registry_field():
    out = set(ProcessOutSchema().fields)
    for name in fields.BY_NAME:
        assert RELATIONS.get(name, name) in out, name


def test_the_form_and_the_sheet_are_drawn_from_the_registry():
    assert [f.name for _t, _p, group in form.GROUPS for f in group] == [
        f.name for f in fields.FORM_FIELDS
    ]
    for _title, first, group in form.GROUPS:
        assert all(f.phase == first for f in group)
    assert [c.key for c in exchange.COLUMNS] == list(fields.SHEET_ORDER)
    # Every field with a column is in the sheet once, and the sheet holds nothing else.
    assert sorted(fields.SHEET_ORDER) == sorted(f.name for f in fields.FIELDS if f.sheet)
    # A column the import reads is one the registry lets someone write (or the row's id).
    for column in exchange.COLUMNS:
        if not column.readonly:
            assert fields.BY_NAME[column.key].writer != fields.SYSTEM or column.key == "id"


def test_the_derived_lists_are_the_registrys():
    assert form.REPORTER_FIELDS == fields.REPORTER_FIELDS
    assert fields.REPORTER_FIELDS == {
        "title",
        "summary",
        "description",
        "domain_ids",
        "visibility",
        "current_process",
        "challenges",
        "solution_ideas",
        "it_systems",
        "occurrences_per_year",
        "minutes_per_occurrence",
        "employees_doing_it",
        "time_comment",
        "owner_id",
    }
    assert fields.LESSON_FIELDS == {f.name for f in fields.FIELDS if f.group is fields.LESSONS}
    for phase, needed in phases.PHASE_REQUIREMENTS.items():
        for name in needed:
            # A requirement names a field the team can fill in by the phase that needs it.
            f = fields.BY_NAME[name]
            assert f.group is not None and f.writer != fields.SYSTEM, name
            assert phases.reached(phase, f.phase), name


def test_the_catalogue_never_copies_what_domain_md_keeps_home():
    assert not fields.PUBLISHED_FIELDS & fields.NEVER_PUBLISHED
    assert fields.NEVER_PUBLISHED <= set(fields.BY_NAME)
    for name in ("internal_notes", "esdh_reference", "org_unit", "owner_id", "reporter"):
        assert name not in fields.PUBLISHED_FIELDS
    for name in ("title", "what_worked", "kle_code", "technologies", "suitability"):
        assert name in fields.PUBLISHED_FIELDS


def test_history_names_and_labels():
    # The history records relations by their name; each name it can record has a label.
    for name, alias in fields.HISTORY_NAMES.items():
        assert history.history_name(name) == alias
        assert form.FIELD_LABELS[alias] == fields.BY_NAME[name].label
    for name in ("domains", "owner", "contact", "associated_users", "reporter_id", "version"):
        assert name in form.FIELD_LABELS, name


def test_every_label_and_header_is_translated():
    with PO.open("rb") as f:
        english = {m.id: m.string for m in read_po(f) if m.id}
    texts = []
    for f in fields.FIELDS:
        texts.append(f.label)
        if f.hint:
            texts.append(f.hint)
    texts += [c.header for c in exchange.COLUMNS] + [g.title for g in fields.GROUPS]
    for text in texts:
        if isinstance(text, LazyString) and text._args:
            msgid = text._args[0]
            assert english.get(msgid), f"no English for {msgid!r}"


@pytest.fixture
def alpha(make):
    tenant = make.tenant("alpha")
    return tenant, make.user(tenant, "automation", name="Tea Team")


@pytest.mark.parametrize("role", ["employee", "manager", "tenant_admin", "automation"])
@pytest.mark.parametrize("phase", ["idea", "operation"])
def test_every_field_a_role_is_shown_is_a_field_it_may_write(client, make, alpha, role, phase):
    tenant, team = alpha
    user = make.user(tenant, role)
    p = make.process(user) if phase == "idea" else make.process(team, phase=phase)
    login(client, user)
    r = client.get(f"/alpha/processer/{p.id}/rediger")
    if role != "automation" and phase != "idea":
        assert r.status_code in (403, 404)  # only the team edits past the idea
        return
    assert r.status_code == 200
    shown = field_names(r.get_data(as_text=True), "process-form") - TECHNICAL
    may_write = fields.TEAM_FIELDS if role == "automation" else fields.REPORTER_FIELDS
    assert shown <= may_write, shown - may_write
    assert shown, "the edit page shows no fields"

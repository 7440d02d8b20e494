"""Publishing to the shared catalogue, withdrawing, and reading entries: the only code that
writes the catalogue's tables.

Publishing copies the process's published fields (fields.py: `published`) as text, runs the
anonymiser on the server every time (the municipality's own users' names as known names),
applies the publisher's extra redactions, and restores only what the server itself found and
the publisher confirmed. The preview and the publish share `build_preview`; its fingerprint is
a hash of exactly what would be stored, so a publish stores what was previewed or nothing
(409 when anything changed in between)."""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from autoproces.platform import audit
from autoproces.platform.db import db
from autoproces.platform.errors import Conflict, Invalid, NotFound
from autoproces.platform.identity.auth import require
from autoproces.platform.identity.models import PERSON, User
from autoproces.platform.permissions import Action
from autoproces.platform.storage import put_in_transaction, storage
from autoproces.platform.tenancy import current_tenant
from autoproces.tenants.processes import policy
from autoproces.tenants.processes.attachments.models import Attachment
from autoproces.tenants.processes.attachments.services import attachments_for
from autoproces.tenants.processes.fields import FIELDS, ProcessField
from autoproces.tenants.processes.form import display_value
from autoproces.tenants.processes.models import Process
from autoproces.tenants.runs.services import benefit_of

from . import anonymisation
from .models import (
    SIZE_BANDS,
    CatalogueAttachment,
    CatalogueEntry,
    CatalogueSource,
    CatalogueVersion,
)

# The copy list, in the form's order (DOMAIN.md "Catalogue entry"; fields.py marks them).
COPIED: tuple[ProcessField, ...] = tuple(f for f in FIELDS if f.published)
BY_NAME = {f.name: f for f in COPIED}
# Kinds whose text a person wrote: anonymised. The others are codes, numbers and dates.
FREE_TEXT_KINDS = frozenset({"text", "textarea", "lines", "domains"})
FREE_TEXT = frozenset(f.name for f in COPIED if f.kind in FREE_TEXT_KINDS)

MANUAL = "manual"  # a passage the publisher redacted
MANUAL_LABEL = _l("skjult af udgiveren")
MANUAL_PLACEHOLDER = "[skjult]"
MAX_NOTE = 2000
MAX_PHRASES = 50
MAX_PHRASE = 500


def kind_label(kind: str) -> str:
    return str(MANUAL_LABEL if kind == MANUAL else anonymisation.KIND_LABELS.get(kind, kind))


def placeholder(kind: str, text: str) -> str:
    """The finding's placeholder as the anonymiser writes it ("[navn]", …)."""
    if kind == MANUAL:
        return MANUAL_PLACEHOLDER
    return anonymisation.redact(text, [anonymisation.Finding(0, len(text), kind, text)])


# --- The copy ------------------------------------------------------------------------------


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == "unset"


REALISED_HOURS = "realised_hours_per_year"


def _copied_value(process: Process, name: str) -> Any:
    """A copied field's value; the realised hours come from the recorded runs when the
    process has any (tenants/runs/figures.py), else from what the team typed."""
    if name == REALISED_HOURS:
        from_runs = benefit_of(process).hours_per_year
        if from_runs is not None:
            return int(from_runs.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return getattr(process, name, None)


def field_text(process: Process, f: ProcessField) -> str:
    """A copied field as one text, as the reader will see it (before anonymisation)."""
    if f.name == "domain_ids":
        return ", ".join(d.name for d in process.domains)
    value = _copied_value(process, f.name)
    if _is_empty(value):
        return ""
    if f.name == "it_systems":
        return "\n".join(
            s.get("name", "") + (f" ({s['vendor']})" if s.get("vendor") else "") for s in value
        )
    if f.kind == "lines":
        return "\n".join(str(v) for v in value)
    if f.name == "kle_code":
        from autoproces.tenants.taxonomy.services import kle_topic

        topic = kle_topic(value)
        return f"{value} {topic.title}" if topic else str(value)
    return display_value(value, f.name)


def _fact(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def facts_of(process: Process) -> dict[str, Any]:
    """The copied fields without free text, as values (for search and facets later)."""
    facts = {}
    for f in COPIED:
        if f.name in FREE_TEXT:
            continue
        value = _copied_value(process, f.name)
        if not _is_empty(value):
            facts[f.name] = _fact(value)
    return facts


def known_names(tenant_id: uuid.UUID) -> list[str]:
    """The names of the municipality's active people: the anonymiser's known names."""
    return list(
        db.session.scalars(
            select(User.name).where(
                User.tenant_id == tenant_id, User.active.is_(True), User.kind == PERSON
            )
        )
    )


# --- Preview -------------------------------------------------------------------------------


@dataclass
class Choices:
    """What the publisher decided in the preview."""

    extra: dict[str, list[str]] = field(default_factory=dict)  # field -> phrases to redact
    restore: set[str] = field(default_factory=set)  # keys of automatic findings to show
    restore_confirmed: bool = False


@dataclass(frozen=True)
class Redaction:
    key: str  # "<field>:<start>:<end>", how the form names it
    kind: str
    text: str  # the original
    restored: bool

    @property
    def label(self) -> str:
        return kind_label(self.kind)

    @property
    def placeholder(self) -> str:
        return placeholder(self.kind, self.text)


@dataclass
class PreviewField:
    name: str
    label: Any
    source: str
    published: str  # the text as stored
    segments: list[tuple[str, Redaction | None]]  # the text, with the redactions in place
    redactions: list[Redaction]
    free_text: bool


@dataclass
class Preview:
    process: Process
    fields: list[PreviewField]
    facts: dict[str, Any]
    attachments: list[Attachment]
    fingerprint: str
    errors: dict[str, list[str]]


def _phrase_findings(text: str, phrases: list[str], taken: list[tuple[int, int]]) -> list:
    found: list[anonymisation.Finding] = []
    for phrase in sorted({p.strip() for p in phrases if p.strip()}, key=len, reverse=True):
        for m in re.finditer(re.escape(phrase), text, re.IGNORECASE):
            span = (m.start(), m.end())
            if any(s < span[1] and span[0] < e for s, e in taken):
                continue
            taken.append(span)
            found.append(anonymisation.Finding(m.start(), m.end(), MANUAL, m.group()))
    return found


def _preview_field(f: ProcessField, text: str, names: list[str], choices: Choices) -> PreviewField:
    if f.name not in FREE_TEXT:
        return PreviewField(f.name, f.label, text, text, [(text, None)], [], False)
    automatic = anonymisation.find(text, names)
    restore = choices.restore if choices.restore_confirmed else set()
    findings: list[tuple[anonymisation.Finding, bool]] = []
    for a in automatic:
        findings.append((a, f"{f.name}:{a.start}:{a.end}" in restore))
    taken = [(a.start, a.end) for a, restored in findings if not restored]
    findings += [(m, False) for m in _phrase_findings(text, choices.extra.get(f.name, []), taken)]
    findings.sort(key=lambda pair: pair[0].start)
    segments: list[tuple[str, Redaction | None]] = []
    redactions, out, at = [], [], 0
    for finding, restored in findings:
        if finding.start < at:  # a manual phrase inside a restored finding's text
            continue
        r = Redaction(
            f"{f.name}:{finding.start}:{finding.end}", finding.kind, finding.text, restored
        )
        redactions.append(r)
        segments += [(text[at : finding.start], None), (finding.text, r)]
        out += [text[at : finding.start], finding.text if restored else r.placeholder]
        at = finding.end
    segments.append((text[at:], None))
    out.append(text[at:])
    return PreviewField(f.name, f.label, text, "".join(out), segments, redactions, True)


def _fingerprint(process: Process, fields: dict[str, str], facts: dict, files: list) -> str:
    """A hash of exactly what a publish would store from this process."""
    body = {
        "process": str(process.id),
        "version": process.version,
        "fields": fields,
        "facts": facts,
        "attachments": [[str(a.id), a.sha256, a.filename] for a in files],
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def check_choices(choices: Choices) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(choices.extra) - FREE_TEXT)
    if unknown:
        errors["extra_redactions"] = [_("Ukendt felt: %(names)s.", names=", ".join(unknown))]
    if any(len(p) > MAX_PHRASES for p in choices.extra.values()):
        errors["extra_redactions"] = [_("Højst %(n)d ord eller passager pr. felt.", n=MAX_PHRASES)]
    if choices.restore and not choices.restore_confirmed:
        errors["restore_confirmed"] = [
            _("Bekræft, at de oplysninger, du vil vise igen, må deles med andre kommuner.")
        ]
    return errors


def build_preview(user: User, process: Process, choices: Choices | None = None) -> Preview:
    """What every other municipality will see if `user` publishes `process` now."""
    require(user, Action.PUBLISH)
    policy.check(user, process)
    choices = choices or Choices()
    names = known_names(process.tenant_id)
    shown = []
    for f in COPIED:
        text = field_text(process, f)
        if text:
            shown.append(_preview_field(f, text, names, choices))
    facts = facts_of(process)
    files = [a for a in attachments_for(process) if a.shareable]
    published = {p.name: p.published for p in shown}
    return Preview(
        process,
        shown,
        facts,
        files,
        _fingerprint(process, published, facts, files),
        check_choices(choices),
    )


# --- Publishing ----------------------------------------------------------------------------


class PreviewChanged(Conflict):
    """The process (or the redactions) changed since the preview the publisher confirmed."""


@dataclass
class Publication:
    """The publisher's confirmation of a preview."""

    fingerprint: str
    note: str = ""
    anonymous: bool = False
    size_band: str = ""
    attachment_ids: set[uuid.UUID] = field(default_factory=set)


def source_for(user: User, process_id: uuid.UUID) -> CatalogueSource | None:
    """The municipality's own link from its process to its entry, if published."""
    return db.session.scalar(
        select(CatalogueSource).where(
            CatalogueSource.tenant_id == user.tenant_id, CatalogueSource.process_id == process_id
        )
    )


def entry_for_process(user: User, process: Process) -> CatalogueEntry | None:
    source = source_for(user, process.id)
    return db.session.get(CatalogueEntry, source.entry_id) if source else None


def _diff(old: dict[str, str], new: dict[str, str]) -> dict[str, str]:
    """Field by field, the lines that changed (unified diff without its file headers)."""
    changes = {}
    for f in COPIED:
        before, after = old.get(f.name, ""), new.get(f.name, "")
        if before != after:
            lines = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=1)
            changes[f.name] = "\n".join(list(lines)[2:])
    return changes


def _copy_files(entry: CatalogueEntry, number: int, files: list[Attachment]) -> None:
    """Copy the chosen files into the catalogue's own storage (once per content)."""
    for a in files:
        key = f"catalogue/{entry.id}/{a.sha256}"
        stored = db.session.scalar(
            select(CatalogueAttachment.id)
            .where(CatalogueAttachment.entry_id == entry.id, CatalogueAttachment.storage_key == key)
            .limit(1)
        )
        if stored is None:
            data = b"".join(storage().read(a.storage_key))
            put_in_transaction(db.session(), key, data, a.content_type)
        db.session.add(
            CatalogueAttachment(
                entry_id=entry.id,
                version=number,
                filename=a.filename,
                content_type=a.content_type,
                size_bytes=a.size_bytes,
                sha256=a.sha256,
                storage_key=key,
                description=a.description,
            )
        )


def _unchanged(entry: CatalogueEntry, content: dict[str, Any], files: list[Attachment]) -> bool:
    """The entry is listed and its current version is exactly what would be published."""
    current = entry.current if entry.current_version else None
    if current is None or entry.withdrawn_at is not None:
        return False
    return all(getattr(current, k) == v for k, v in content.items()) and sorted(
        (a.filename, a.sha256) for a in current.attachments
    ) == sorted((a.filename, a.sha256) for a in files)


def publish(
    user: User, process: Process, choices: Choices, publication: Publication
) -> CatalogueEntry:
    """Publish `process` as the next version of its entry (the first makes the entry)."""
    # Lock the process and read it afresh, so what is hashed and stored is its latest state
    # and two publishes of one process queue up instead of racing for its first entry.
    locked = db.session.scalar(
        select(Process)
        .where(Process.tenant_id == process.tenant_id, Process.id == process.id)
        .with_for_update(of=Process)
        .execution_options(populate_existing=True)
    )
    if locked is None:  # deleted while this publish waited for it
        raise NotFound(_("Processen findes ikke."))
    preview = build_preview(user, process, choices)
    errors = dict(preview.errors)
    if publication.size_band not in SIZE_BANDS:
        errors["size_band"] = [_("Vælg kommunens størrelse.")]
    names = known_names(process.tenant_id)
    if len(publication.note) > MAX_NOTE:
        errors["note"] = [_("Højst %(n)d tegn.", n=MAX_NOTE)]
    elif found := anonymisation.find(publication.note, names):
        # The note is published as written (the preview cannot show a note typed after it):
        # what the anonymiser would hide is named back to the publisher instead of altered.
        errors["note"] = [
            _(
                "Noten nævner %(what)s. Skriv den uden, så den kan deles, som den står.",
                what=", ".join(f"{kind_label(f.kind)} »{f.text}«" for f in found),
            )
        ]
    shareable = {a.id for a in preview.attachments}
    if publication.attachment_ids - shareable:
        errors["attachment_ids"] = [_("Kun filer, der må deles, kan komme med.")]
    if errors:
        raise Invalid(_("Processen blev ikke delt."), errors)
    if publication.fingerprint != preview.fingerprint:
        raise PreviewChanged(
            _("Processen er ændret siden forhåndsvisningen. Se den igennem igen, før du deler.")
        )
    note = publication.note
    now = datetime.now(UTC)
    source = source_for(user, process.id)
    if source is None:
        entry = CatalogueEntry(id=uuid.uuid4(), current_version=0)
        db.session.add(entry)
        db.session.flush()
        db.session.add(
            CatalogueSource(tenant_id=user.tenant_id, entry_id=entry.id, process_id=process.id)
        )
        previous: dict[str, str] = {}
    else:
        entry = db.session.scalar(
            select(CatalogueEntry)
            .where(CatalogueEntry.id == source.entry_id)
            .with_for_update(of=CatalogueEntry)
        )
        previous = entry.current.fields if entry.current_version else {}
    number = entry.current_version + 1
    fields = {p.name: p.published for p in preview.fields}
    tenant = current_tenant()
    files = [a for a in preview.attachments if a.id in publication.attachment_ids]
    content = {
        "publisher_name": None if publication.anonymous else (tenant.name if tenant else None),
        "size_band": publication.size_band,
        "note": note,
        "fields": fields,
        "facts": preview.facts,
    }
    if _unchanged(entry, content, files):
        # The same publish again (a second click, a retried request): nothing new to tell.
        return entry
    db.session.add(
        CatalogueVersion(
            entry_id=entry.id,
            number=number,
            published_at=now,
            diff=_diff(previous, fields) if number > 1 else {},
            **content,
        )
    )
    db.session.flush()
    _copy_files(entry, number, files)
    entry.current_version = number
    entry.updated_at = now
    entry.withdrawn_at = None
    db.session.flush()
    audit.record(
        user.tenant_id, user, "catalogue.published", {"entry": str(entry.id), "version": number}
    )
    db.session.expire(entry, ["current"])
    if number > 1:
        from .reuse import notify_copies

        notify_copies(entry, number)
    return entry


def withdraw(user: User, entry_id: uuid.UUID) -> CatalogueEntry:
    """The publisher takes its entry out of the catalogue (it leaves the list; it stays
    readable, marked "trukket tilbage")."""
    source = db.session.scalar(
        select(CatalogueSource).where(
            CatalogueSource.tenant_id == user.tenant_id, CatalogueSource.entry_id == entry_id
        )
    )
    if source is None:  # not the publisher: nothing to withdraw here
        raise NotFound(_("Katalogposten findes ikke."))
    require(user, Action.PUBLISH)
    entry = db.session.scalar(
        select(CatalogueEntry)
        .where(CatalogueEntry.id == entry_id)
        .with_for_update(of=CatalogueEntry)
    )
    if entry.withdrawn_at is None:
        entry.withdrawn_at = datetime.now(UTC)
        db.session.flush()
        audit.record(user.tenant_id, user, "catalogue.withdrawn", {"entry": str(entry.id)})
    return entry


# --- Reading (any signed-in user of any municipality) --------------------------------------


def may_withdraw(user: User, entry: CatalogueEntry) -> bool:
    return (
        user.can(Action.PUBLISH)
        and db.session.get(CatalogueSource, (user.tenant_id, entry.id)) is not None
    )


def get_entry(user: User, entry_id: uuid.UUID) -> CatalogueEntry:
    require(user, Action.READ)
    entry = db.session.get(CatalogueEntry, entry_id)
    if entry is None or (entry.hidden_at is not None and not is_publisher(user, entry)):
        # Hidden by the operator: gone for everyone but the municipality that published it.
        raise NotFound(_("Katalogposten findes ikke."))
    return entry


def is_publisher(user: User, entry: CatalogueEntry) -> bool:
    """`user` belongs to the municipality that published `entry` (its own link, under RLS)."""
    return db.session.get(CatalogueSource, (user.tenant_id, entry.id)) is not None


def list_versions(user: User, entry_id: uuid.UUID) -> list[CatalogueVersion]:
    entry = get_entry(user, entry_id)
    return list(
        db.session.scalars(
            select(CatalogueVersion)
            .where(CatalogueVersion.entry_id == entry.id)
            .order_by(CatalogueVersion.number.desc())
        )
    )


def get_version(user: User, entry_id: uuid.UUID, number: int) -> CatalogueVersion:
    entry = get_entry(user, entry_id)
    version = db.session.get(CatalogueVersion, (entry.id, number))
    if version is None:
        raise NotFound(_("Versionen findes ikke."))
    return version


def get_attachment(
    user: User, entry_id: uuid.UUID, attachment_id: uuid.UUID
) -> CatalogueAttachment:
    entry = get_entry(user, entry_id)
    found = db.session.get(CatalogueAttachment, attachment_id)
    if found is None or found.entry_id != entry.id:
        raise NotFound(_("Filen findes ikke."))
    return found


def list_entries(user: User) -> list[CatalogueEntry]:
    """The current, not withdrawn entries, newest first (search comes with issue 9, point 5)."""
    require(user, Action.READ)
    return list(
        db.session.scalars(
            select(CatalogueEntry)
            .where(CatalogueEntry.listed())
            .order_by(CatalogueEntry.updated_at.desc(), CatalogueEntry.id)
        )
    )


def version_fields(version: CatalogueVersion) -> list[tuple[str, Any, str]]:
    """(name, label, text) of a version's fields, in the form's order; a field the register
    no longer has stays readable under its name, at the end."""
    known = [(f.name, f.label, version.fields[f.name]) for f in COPIED if f.name in version.fields]
    return known + [(n, n, t) for n, t in version.fields.items() if n not in BY_NAME]


def version_diff(version: CatalogueVersion) -> list[tuple[str, Any, str]]:
    return [(f.name, f.label, version.diff[f.name]) for f in COPIED if f.name in version.diff]

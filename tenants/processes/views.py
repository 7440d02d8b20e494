"""The process register's pages under /<tenant>/processer."""

from __future__ import annotations

import uuid
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import EXCLUDE, ValidationError

from autoproces.platform.errors import Conflict, Forbidden, Invalid, normalise_messages
from autoproces.platform.identity.auth import require, tenant_blueprint
from autoproces.platform.identity.services import list_users, search_active_users, user_by_email
from autoproces.platform.pagination import PER_PAGE
from autoproces.platform.permissions import Action
from autoproces.platform.tenancy import current_tenant

from . import exchange, figures, form, policy, queries, reminders, services
from . import fields as registry
from .attachments import services as attachments
from .attachments.api import read_uploads
from .history import history_entries
from .models import (
    PHASE_LABELS,
    STATUS_LABELS,
    SUMMARY_MAX,
    TITLE_MAX,
    VISIBILITY_HINTS,
    VISIBILITY_LABELS,
    Phase,
)
from .schemas import IntakeFormSchema, ProcessPatchSchema, ProcessQuerySchema
from .signals import idea_submitted

FIELD_LABELS = {
    "title": _l("Titel"),
    "summary": _l("Resumé"),
    "description": _l("Beskrivelse"),
    "visibility": _l("Synlighed"),
    "domain": _l("Fagområde"),
    "occurrences_per_year": _l("Hvor mange gange om året?"),
    "minutes_per_occurrence": _l("Hvor mange minutter tager det hver gang?"),
    "owner_email": _l("Faglig kontaktperson"),
}
# The intake form's fields in the order they show, for the list of errors above it.
INTAKE_ORDER = (
    "title",
    "summary",
    "description",
    "domain",
    "occurrences_per_year",
    "minutes_per_occurrence",
    "owner_email",
    "attachment-file",
    "attachment-description",
    "visibility",
)
PEOPLE_LIMIT = 10  # options in a person picker; more means "type more"
PEOPLE_MIN_QUERY = 2  # fewer characters than this show no options
INTAKE_NUMBERS = [registry.BY_NAME[n] for n in ("occurrences_per_year", "minutes_per_occurrence")]

SORT_LABELS = {
    "relevance": _l("Bedste match / senest ændret"),
    "updated": _l("Senest ændret"),
    "created": _l("Nyeste"),
    "title": _l("Titel"),
    "phase": _l("Fase"),
    "hours": _l("Forventede timer pr. år"),
    "score": _l("Prioritetsscore"),
}

bp = tenant_blueprint("processes", __name__, url_prefix="", template_folder="templates")


@bp.get("/")
def home() -> Any:
    return redirect(url_for("processes.list_processes"))


@bp.get("/processer")
def list_processes() -> Any:
    try:
        # A GET form sends its empty fields too ("phase="): empty means "any".
        given = {k: v for k, v in request.args.items() if v.strip()}
        args = ProcessQuerySchema().load(given, unknown=EXCLUDE)
        errors: dict[str, list[str]] = {}
    except ValidationError as e:
        # Only the filters that cannot be used are dropped; the others still apply.
        errors = normalise_messages(e.normalized_messages())
        usable = {k: v for k, v in given.items() if k not in errors}
        try:
            args = ProcessQuerySchema().load(usable, unknown=EXCLUDE)
        except ValidationError:
            args = {}
    # The page shows a few columns: no need for full processes (the API lists those).
    page = queries.list_summaries(current_user, **args)
    query_args = {k: str(v) for k, v in args.items() if k not in ("page", "per_page")}
    per_page = args.get("per_page", PER_PAGE)
    return render_template(
        "processes/list.html",
        page=page,
        args=args,
        query_args=query_args,
        # The next and previous pages keep the filters and a page size that was asked for.
        pager_args={**query_args, **({"per_page": per_page} if per_page != PER_PAGE else {})},
        errors=errors,
        phase_labels=PHASE_LABELS,
        status_labels=STATUS_LABELS,
        domains=queries.list_domains(current_user.tenant_id),
        sort_labels=SORT_LABELS,
        attention_labels={kind: rule.label for kind, rule in reminders.RULES.items()},
    )


@bp.get("/processer/hent")
def export_processes() -> Any:
    """The list's download links: the same filters, as Excel or CSV."""
    from .api import ExportQuerySchema, export_response

    given = {k: v for k, v in request.args.items() if v.strip()}
    try:
        args = ExportQuerySchema().load(given, unknown=EXCLUDE)
    except ValidationError:
        # Like the list: filters that cannot be used are dropped.
        kind = given.get("format")
        args = ExportQuerySchema().load({"format": kind} if kind in ("xlsx", "csv") else {})
    return export_response(current_user, args)


@bp.route("/processer/import", methods=["GET", "POST"])
def import_processes() -> Any:
    """The team's upload page: all rows or none, every error by row and column."""
    if not current_user.can(Action.EDIT):
        raise Forbidden(_("Kun automatiseringsteamet kan indlæse processer."))
    result = None
    problem = ""
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            problem = _("Vælg en fil.")
        else:
            result = exchange.import_xlsx(current_user, upload.read(exchange.MAX_BYTES + 1))
    failed = bool(problem or (result and not result.ok))
    return render_template(
        "processes/import.html",
        result=result,
        problem=problem,
        headers=exchange.headers(),
    ), (422 if failed else 200)


@bp.route("/processer/ny", methods=["GET", "POST"])
def new_process() -> Any:
    values: dict[str, Any] = {"domain": request.args.get("fagomraade", "")}
    errors: dict[str, list[str]] = {}
    owner = None
    if request.method == "POST":
        values = request.form.to_dict()
        data = {
            k: v
            for k, v in values.items()
            if k in ("title", "summary", "description", "visibility")
        }
        data.update(form.parse(request.form, INTAKE_NUMBERS))
        if values.get("domain"):
            data["domain_ids"] = [values["domain"]]
        owner, owner_errors = _intake_owner(values.get("owner_email", ""))
        if owner is not None:
            data["owner_id"] = str(owner.id)
        try:
            loaded = IntakeFormSchema().load(data)
            if owner_errors:
                raise Invalid(_("Oplysningerne kunne ikke gemmes."), owner_errors)
            process = services.create_process(current_user, loaded)
            _attach_intake_files(process, values.get("attachment_description", ""))
            idea_submitted.send(process, user=current_user)  # e.g. a receipt by e-mail
        except ValidationError as e:
            errors = {**normalise_messages(e.normalized_messages()), **owner_errors}
        except Invalid as e:
            errors = e.errors
        if errors and "attachment-file" not in errors and _files_sent():
            # A browser never sends a file input back: say so, rather than drop them silently.
            errors["attachment-file"] = [_("Vælg filerne igen, når du har rettet fejlene.")]
        if not errors:
            flash(
                _(
                    "Tak! Din idé er modtaget som idé nr. %(number)d. "
                    "Automatiseringsteamet vurderer den, og du kan følge den her.",
                    number=process.number,
                ),
                "success",
            )
            return redirect(url_for("processes.show_process", process_id=process.id))
        for key, name in (("domain_ids", "domain"), ("owner_id", "owner_email")):
            if key in errors:
                errors[name] = errors.pop(key)
        if "owner_email" in errors:
            owner = None
        order = {name: i for i, name in enumerate(INTAKE_ORDER)}
        errors = dict(sorted(errors.items(), key=lambda item: order.get(item[0], len(order))))
    status = 422 if errors else 200
    return render_template(
        "processes/new.html",
        form=values,
        max_lengths={"title": TITLE_MAX, "summary": SUMMARY_MAX},
        errors=errors,
        owner=owner,
        attachment_errors={
            "file": errors.get("attachment-file", []),
            "description": errors.get("attachment-description", []),
        },
        attachment_form=values,
        visibility_labels=VISIBILITY_LABELS,
        visibility_hints=VISIBILITY_HINTS,
        field_labels={
            **FIELD_LABELS,
            "attachment-file": _("Vedhæft filer"),
            "attachment-description": _("Beskrivelse af filerne"),
        },
        domains=queries.list_domains(current_user.tenant_id),
    ), status


def _intake_owner(email: str) -> tuple[Any, dict[str, list[str]]]:
    """The intake form's "Faglig kontaktperson", typed (or chosen) as an e-mail address:
    an active user of this municipality, in any case. Blank names no one."""
    email = email.strip()
    if not email:
        return None, {}
    person = user_by_email(current_tenant(), email)
    if person is None or not person.active:
        return None, {
            "owner_email": [
                _(
                    "Ingen aktiv bruger i kommunen har den e-mailadresse. "
                    "Ret adressen, eller lad feltet stå tomt."
                )
            ]
        }
    return person, {}


def _files_sent() -> bool:
    return any(f.filename for f in request.files.getlist("file"))


def _attach_intake_files(process: Any, description: str) -> None:
    """The intake form's files, in the idea's transaction: a refused file keeps the idea
    from being saved too (the form comes back with the error)."""
    uploads = read_uploads(request.files.getlist("file"))
    if not uploads:
        return
    try:
        attachments.add_attachments(current_user, process, uploads, description=description)
    except Invalid as e:
        raise Invalid(e.message, {f"attachment-{k}": v for k, v in e.errors.items()}) from e
    except attachments.StorageUnavailable as e:
        # The idea is kept on the page with what was typed; the files can be sent again.
        raise Invalid(e.message, {"attachment-file": [e.message]}) from e


@bp.get("/processer/lignende")
def similar() -> Any:
    """htmx: processes that look like the title being typed on the intake form."""
    return render_template(
        "processes/_similar.html",
        processes=queries.similar_processes(
            current_user, request.args.get("title", "")[:TITLE_MAX]
        ),
        title=request.args.get("title", "")[:TITLE_MAX],
    )


@bp.get("/personer/soeg")
def search_people() -> Any:
    """htmx: the options of a person field (the intake form's "Faglig kontaktperson"):
    this municipality's active users whose name or e-mail address contains what is typed,
    by name and e-mail address only. Anyone who may report an idea may look."""
    require(current_user, Action.REPORT)
    q = request.args.get("q", "")[:254].strip()
    if len(q) < PEOPLE_MIN_QUERY:
        q = ""  # nothing to show, nor to say
    found = search_active_users(current_tenant(), q, PEOPLE_LIMIT + 1) if q else []
    return render_template(
        "processes/_people_results.html",
        q=q,
        people=found[:PEOPLE_LIMIT],
        more=len(found) > PEOPLE_LIMIT,
    )


@bp.get("/processer/links")
def intake_links() -> Any:
    """For the administrator: a link per fagområde that opens the form with it chosen."""
    require(current_user, Action.ADMINISTER)
    return render_template(
        "processes/intake_links.html", domains=queries.list_domains(current_user.tenant_id)
    )


@bp.get("/processer/<uuid:process_id>")
def show_process(process_id: uuid.UUID) -> Any:
    process = policy.get_process(current_user, process_id)
    team = current_user.can(Action.EDIT)
    # Those who assess and prioritise see the score and why; a reporter is not told what
    # figures the team has yet to fill in.
    priority = process.priority if current_user.can(Action.ASSESS) else None
    return render_template(
        "processes/show.html",
        process=process,
        priority=priority,
        factor_labels=figures.FACTOR_LABELS,
        priority_missing=figures.missing_labels(priority) if priority else [],
        display_groups=form.display_groups(process, form.visible_groups(process.phase, team)),
        history=history_entries(current_user, process),
        may_edit=policy.can_edit(current_user, process),
        may_delete=policy.can_delete(current_user, process),
        attention=[(r, r.counted_from(process)) for r in reminders.due_rules(process)],
    )


@bp.route("/processer/<uuid:process_id>/slet", methods=["GET", "POST"])
def delete_process(process_id: uuid.UUID) -> Any:
    """Delete a process, after a page that asks (it works without JavaScript)."""
    process = policy.get_process(current_user, process_id, need="delete")
    if request.method == "POST":
        title = process.title
        services.delete_process(current_user, process)
        flash(_("Processen “%(title)s” er slettet.", title=title), "success")
        return redirect(url_for("processes.list_processes"))
    return render_template("processes/delete.html", process=process)


@bp.get("/processer/<int:number>")
def show_process_by_number(number: int) -> Any:
    """A process by its short number ("Idé nr. 42": /<kommune>/processer/42)."""
    process_id = queries.process_id_by_number(current_user, number)
    return redirect(url_for("processes.show_process", process_id=process_id))


@bp.route("/processer/<uuid:process_id>/rediger", methods=["GET", "POST"])
def edit_process(process_id: uuid.UUID) -> Any:
    """Edit a process: the fields shown grow with the phase chosen in the form; a stale
    edit (409) shows what the other person changed, and keeps what this person typed.

    A post with `refresh` (the phase select, by htmx or its own button) only draws the
    form again for the chosen phase, with everything typed so far; nothing is saved."""
    process = policy.get_process(current_user, process_id, need="edit")
    team = current_user.can(Action.EDIT)  # the team's form has every field
    stored_phase = process.phase
    chosen = request.form.get("phase") if team else None
    groups = form.visible_groups(form.shown_phase(stored_phase, chosen), team)
    fields = [f for _title, group in groups for f in group]
    values = form.form_values(process)
    version = process.version
    errors: dict[str, Any] = {}
    conflict = None
    status = 200
    if request.method == "POST":
        values = form.posted_values(request.form, fields, values)
        version = request.form.get("version", version)
    if request.method == "POST" and "refresh" not in request.form:
        data = form.parse(request.form, fields)
        data["version"] = request.form.get("version", "")
        try:
            services.update_process(
                current_user, process, ProcessPatchSchema().load(data, unknown=EXCLUDE)
            )
        except ValidationError as e:
            errors, status = normalise_messages(e.normalized_messages()), 422
        except Invalid as e:
            errors, status = e.errors, 422
        except Conflict as e:
            # The stored version: the one this process was loaded at, or, after a change
            # made meanwhile (the savepoint rolled back), reloaded from the row.
            conflict, status, version = e.message, 409, process.version
        else:
            flash(_("Ændringerne er gemt."), "success")
            return redirect(url_for("processes.show_process", process_id=process_id))
    latest = history_entries(current_user, process)[:1] if conflict else []
    return render_template(
        "processes/edit.html",
        process=process,
        stored_phase_label=PHASE_LABELS[Phase(stored_phase)],
        groups=groups,
        values=values,
        errors=form.sort_errors(errors),
        conflict=conflict,
        latest=latest[0]["changes"] if latest else [],
        version=version,
        domains=queries.list_domains(current_user.tenant_id),
        kle_fields=[f for f in form.ALL_FIELDS if f.kind == "kle"] if team else [],
        # A deactivated owner or contact stays a choice, or saving would silently drop them.
        users=[
            u
            for u in list_users(current_tenant())
            if u.active or u.id in (process.owner_id, process.contact_id)
        ],
    ), status


# App-wide: the attachments' and comments' views re-render the process page on an error.
@bp.app_context_processor
def _form_helpers() -> dict[str, Any]:
    return {
        "field_labels": form.FIELD_LABELS,
        "display_value": form.display_value,
        "optional_selects": form.OPTIONAL_SELECTS,
        "max_lengths": form.MAX_LENGTHS,
    }

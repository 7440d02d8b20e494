"""The catalogue's pages: the preview and publish form on a process (/<tenant>/processer/<id>/del,
the automation team's), and the read pages of entries (/<tenant>/katalog/…, everyone's).

The preview form works without JavaScript: "Opdatér forhåndsvisning" posts the choices and
shows the result; "Del i kataloget" publishes exactly the preview whose fingerprint it carries,
or shows the preview again (409) when the process or the choices changed meanwhile."""

from __future__ import annotations

import re
import uuid
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import EXCLUDE, ValidationError
from werkzeug.datastructures import MultiDict

from autoproces.platform.errors import Invalid, normalise_messages
from autoproces.platform.identity.auth import tenant_blueprint
from autoproces.platform.pagination import PER_PAGE
from autoproces.platform.permissions import Action
from autoproces.tenants.processes.attachments.api import file_response
from autoproces.tenants.processes.models import PHASE_LABELS, Phase
from autoproces.tenants.processes.policy import get_process

from . import search, services
from .models import SIZE_BANDS
from .schemas import CatalogueQuerySchema

publish_bp = tenant_blueprint(
    "catalogue_publish", __name__, url_prefix="/processer", template_folder="templates"
)
bp = tenant_blueprint("catalogue", __name__, url_prefix="/katalog", template_folder="templates")

_PHRASE_SPLIT = re.compile(r"[;\n]")
# The entry page's sections: the lessons first (failures too), then the benefit.
LESSON_FIELDS = ("what_worked", "what_did_not", "advice_to_others", "lessons_updated_at")
REALISED_FIELDS = ("realised_hours_per_year", "realised_benefit_rating")
BENEFIT_FIELDS = (
    "expected_hours_per_year",
    "expected_fte",
    "expected_value_dkk",
    *REALISED_FIELDS,
)


@publish_bp.app_template_global("catalogue_for")
def catalogue_for(process: Any) -> dict[str, Any]:
    """What the process page's "Del i kataloget" panel shows (only to the team)."""
    if not current_user.is_authenticated or not current_user.can(Action.PUBLISH):
        return {"may_publish": False}
    return {"may_publish": True, "entry": services.entry_for_process(current_user, process)}


def _choices(form: Any) -> services.Choices:
    extra = {}
    for name in services.FREE_TEXT:
        phrases = [p.strip() for p in _PHRASE_SPLIT.split(form.get(f"extra-{name}", ""))]
        if any(phrases):
            extra[name] = [p[: services.MAX_PHRASE] for p in phrases if p]
    return services.Choices(
        extra=extra,
        restore=set(form.getlist("restore")),
        restore_confirmed=form.get("restore_confirmed") == "1",
    )


def _publication(form: Any, fingerprint: str) -> services.Publication:
    ids = set()
    for value in form.getlist("attachment_ids"):
        try:
            ids.add(uuid.UUID(value))
        except ValueError as e:
            raise Invalid(
                _("Processen blev ikke delt."), {"attachment_ids": [_("Ugyldig fil.")]}
            ) from e
    return services.Publication(
        fingerprint=fingerprint,
        note=form.get("note", ""),
        anonymous=form.get("attribution") == "anonymous",
        size_band=form.get("size_band", ""),
        attachment_ids=ids,
    )


@publish_bp.route("/<uuid:process_id>/del", methods=["GET", "POST"])
def publish(process_id: uuid.UUID) -> Any:
    process = get_process(current_user, process_id)
    form = request.form if request.method == "POST" else None
    choices = _choices(form) if form is not None else services.Choices()
    preview = services.build_preview(current_user, process, choices)
    errors: dict[str, list[str]] = dict(preview.errors)
    status, changed = 200, False
    if form is not None and "publish" in form:
        try:
            services.publish(
                current_user, process, choices, _publication(form, form.get("fingerprint", ""))
            )
        except services.PreviewChanged:
            status, changed = 409, True
        except Invalid as e:
            errors, status = e.errors, 422
        else:
            flash(_("Processen er delt i kataloget."), "success")
            return redirect(url_for("processes.show_process", process_id=process.id))
    elif errors:
        status = 422
    entry = services.entry_for_process(current_user, process)
    return render_template(
        "catalogue/publish.html",
        process=process,
        preview=preview,
        entry=entry,
        form=form if form is not None else MultiDict(),
        chosen_files={str(i) for i in (form.getlist("attachment_ids") if form else [])},
        errors=errors,
        changed=changed,
        size_bands=SIZE_BANDS,
        field_labels={
            **{f.name: f.label for f in services.COPIED},
            "size_band": _("Kommunens størrelse"),
            "note": _("Note til andre kommuner"),
            "restore_confirmed": _("Bekræftelse"),
            "attachment_ids": _("Filer"),
            "extra_redactions": _("Skjul mere"),
        },
    ), status


@bp.get("")
def list_entries() -> Any:
    """The search: words, facets, order and page all in the URL (a GET form and links)."""
    # A GET form sends its empty fields too ("q="): empty means "any".
    given = {k: v for k, v in request.args.items() if v.strip()}
    try:
        args = CatalogueQuerySchema().load(given, unknown=EXCLUDE)
        errors: dict[str, list[str]] = {}
    except ValidationError as e:
        # Only the parameters that cannot be used are dropped; the others still apply.
        errors = normalise_messages(e.normalized_messages())
        try:
            args = CatalogueQuerySchema().load(
                {k: v for k, v in given.items() if k not in errors}, unknown=EXCLUDE
            )
        except ValidationError:
            args = CatalogueQuerySchema().load({})
    result = search.search(current_user, **args)
    query_args = {
        k: str(v) for k, v in args.items() if k not in ("page", "per_page") and v is not None
    }
    if query_args.get("sort") == "relevance":
        del query_args["sort"]
    per_page = args.get("per_page", PER_PAGE)
    return render_template(
        "catalogue/list.html",
        result=result,
        page=result.page,
        args=args,
        query_args=query_args,
        pager_args={**query_args, **({"per_page": per_page} if per_page != PER_PAGE else {})},
        errors=errors,
        facet_titles=search.facet_titles(),
        # The warning names a parameter that could not be used as the page calls it.
        param_labels={
            **search.facet_titles(),
            "q": _("Søgning"),
            "sort": _("Sortér efter"),
            "page": _("Side"),
            "per_page": _("Antal pr. side"),
        },
        sort_labels={
            "relevance": _("Bedst match"),
            "newest": _("Nyeste"),
            "reused": _("Mest genbrugt"),
            "interest": _("Flest interesserede"),
        },
    )


@bp.app_template_global("catalogue_phase_label")
def catalogue_phase_label(code: str) -> str:
    try:
        return str(PHASE_LABELS[Phase(code)])
    except ValueError:
        return code


@bp.app_template_global("catalogue_similar")
def catalogue_similar(words: str) -> list[Any]:
    """The register's "similar" panel: other municipalities' entries like `words`."""
    if not current_user.is_authenticated or not words or not words.strip():
        return []
    return search.similar_entries(current_user, words)


@bp.app_template_global("catalogue_estimates")
def catalogue_estimates(process: Any) -> dict[str, Any]:
    """The register's "estimates" panel: other municipalities' figures for the KLE topic."""
    if not current_user.is_authenticated or process is None:
        return {}
    return search.estimates(current_user, getattr(process, "kle_code", None))


def _entry_page(entry_id: uuid.UUID, number: int | None) -> Any:
    entry = services.get_entry(current_user, entry_id)
    version = (
        entry.current if number is None else services.get_version(current_user, entry_id, number)
    )
    return render_template(
        "catalogue/entry.html",
        entry=entry,
        version=version,
        fields=services.version_fields(version),
        diff=services.version_diff(version),
        versions=services.list_versions(current_user, entry_id),
        may_withdraw=services.may_withdraw(current_user, entry),
        lesson_fields=LESSON_FIELDS,
        benefit_fields=BENEFIT_FIELDS,
        shown_apart={"title", "summary", *LESSON_FIELDS, *BENEFIT_FIELDS},
        realised_given=lambda by_name: any(name in by_name for name in REALISED_FIELDS),
    )


@bp.get("/<uuid:entry_id>")
def show_entry(entry_id: uuid.UUID) -> Any:
    return _entry_page(entry_id, None)


@bp.get("/<uuid:entry_id>/versions/<int:number>")
def show_version(entry_id: uuid.UUID, number: int) -> Any:
    return _entry_page(entry_id, number)


@bp.post("/<uuid:entry_id>/traek-tilbage")
def withdraw(entry_id: uuid.UUID) -> Any:
    services.withdraw(current_user, entry_id)
    flash(_("Katalogposten er trukket tilbage."), "success")
    return redirect(url_for("catalogue.show_entry", entry_id=entry_id))


@bp.get("/<uuid:entry_id>/filer/<uuid:attachment_id>")
def download(entry_id: uuid.UUID, attachment_id: uuid.UUID) -> Any:
    # The register's download answer (a download, never run in our origin) fits our copy.
    return file_response(services.get_attachment(current_user, entry_id, attachment_id))

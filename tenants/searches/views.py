"""The pages of saved searches: "Gem søgning" from the register's list (the "list_actions"
panel), and renaming, the daily e-mail and deleting from Min side (the "user" panel)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import ValidationError

from autoproces.platform.errors import DomainError, normalise_messages
from autoproces.platform.identity.auth import tenant_blueprint

from . import services
from .models import NAME_MAX
from .schemas import SavedSearchInSchema, SavedSearchPatchSchema

bp = tenant_blueprint(
    "searches", __name__, url_prefix="/gemte-soegninger", template_folder="templates"
)

FORM_LABELS = {"name": _l("Navn på søgningen"), "notify": _l("E-mail"), "query": _l("Filtre")}
MY_PAGE = "account.my_page"


@bp.app_template_global("saved_searches_overview")
def saved_searches_overview() -> list[services.SearchRow]:
    """Min side's panel: the signed-in user's saved searches with their current matches."""
    if not current_user.is_authenticated:
        return []
    return services.overview(current_user)


@bp.app_template_global("describe_search")
def describe_search(query: Mapping[str, Any]) -> str:
    """The list panel's words for the filters about to be saved."""
    return services.describe(query)


def _error_list(errors: Mapping[str, Any]) -> list[str]:
    """Field errors as lines for the page, a stored query's filters named one by one."""
    lines = []
    for name, messages in errors.items():
        if isinstance(messages, Mapping):
            for key, inner in messages.items():
                label = services.FILTER_LABELS.get(key) or services.FLAG_LABELS.get(key) or key
                lines += [f"{label}: {m}" for m in inner]
        else:
            label = FORM_LABELS.get(name)
            lines += [f"{label}: {m}" if label else str(m) for m in messages]
    return lines


def _to_my_page(search_id: uuid.UUID | None = None) -> Any:
    anchor = f"soegning-{search_id}" if search_id else "gemte-soegninger"
    return redirect(url_for(MY_PAGE, _anchor=anchor), 303)


@bp.post("")
def save() -> Any:
    """The list's "Gem søgning": the filters come in the form's address (the list's own
    query arguments), the name and the e-mail choice in its body."""
    query = {k: v for k, v in request.args.items()}
    name = request.form.get("name", "")
    notify = "notify" in request.form
    try:
        data = SavedSearchInSchema().load({"name": name, "query": query, "notify": notify})
        search = services.create_search(current_user, **data)
    except ValidationError as e:
        return _save_again(query, name, notify, normalise_messages(e.messages), 422)
    except DomainError as e:
        return _save_again(query, name, notify, e.errors or {"_": [e.message]}, e.status)
    flash(
        _(
            "Søgningen “%(name)s” er gemt. Du finder den på Min side.",
            name=search.name,
        ),
        "success",
    )
    return redirect(url_for("processes.list_processes", **search.query), 303)


def _save_again(
    query: dict[str, str], name: str, notify: bool, errors: Mapping[str, Any], status: int
) -> Any:
    try:
        description = services.describe(services.stored_query(query))
    except DomainError:
        description = None
    return render_template(
        "searches/save.html",
        query=query,
        name=name,
        notify=notify,
        description=description,
        errors=_error_list(errors),
        name_error="name" in errors,
        name_max=NAME_MAX,
    ), status


@bp.route("/<uuid:search_id>/omdoeb", methods=["GET", "POST"])
def rename(search_id: uuid.UUID) -> Any:
    search = services.get_search(current_user, search_id)
    name = search.name
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        name = request.form.get("name", "")
        try:
            data = SavedSearchPatchSchema().load({"name": name})
            services.update_search(current_user, search, name=data.get("name", ""))
        except ValidationError as e:
            errors, status = _error_list(normalise_messages(e.messages)), 422
        except DomainError as e:
            errors, status = _error_list(e.errors or {"_": [e.message]}), e.status
        if not errors:
            flash(_("Søgningen hedder nu “%(name)s”.", name=search.name), "success")
            return _to_my_page(search.id)
    return render_template(
        "searches/rename.html", search=search, name=name, errors=errors, name_max=NAME_MAX
    ), status


@bp.post("/<uuid:search_id>/email")
def set_notify(search_id: uuid.UUID) -> Any:
    """Min side's toggle of the daily e-mail."""
    search = services.get_search(current_user, search_id)
    notify = request.form.get("notify") == "true"
    services.update_search(current_user, search, notify=notify)
    if notify:
        message = _(
            "Du får en e-mail, når nye processer matcher “%(name)s” (højst én om dagen).",
            name=search.name,
        )
    else:
        message = _("Du får ikke længere e-mail om “%(name)s”.", name=search.name)
    flash(message, "success")
    return _to_my_page(search.id)


@bp.route("/<uuid:search_id>/slet", methods=["GET", "POST"])
def delete(search_id: uuid.UUID) -> Any:
    search = services.get_search(current_user, search_id)
    if request.method == "POST":
        name = search.name
        services.delete_search(current_user, search)
        flash(_("Søgningen “%(name)s” er slettet.", name=name), "success")
        return _to_my_page()
    return render_template(
        "searches/delete.html", search=search, description=services.describe(search.query)
    )

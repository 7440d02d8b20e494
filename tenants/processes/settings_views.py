"""The administrator's settings for the register (/<tenant>/admin/register): the formulas'
figures, the priority weights with a preview of the top 10, and the fagområder. Every form
works without JavaScript; with htmx the preview follows the weights as they are typed."""

from __future__ import annotations

import uuid
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import ValidationError

from autoproces.platform.errors import normalise_messages
from autoproces.platform.identity.auth import tenant_blueprint

from . import settings as service
from .figures import FACTORS
from .form import danish_decimal, input_number
from .models import Domain
from .queries import list_domains
from .schemas import DomainPatchSchema, DomainSchema, SettingsSchema

bp = tenant_blueprint(
    "register_settings", __name__, url_prefix="/admin/register", template_folder="templates"
)


def _labels() -> dict[str, str]:
    """The settings' labels: the ones the audit log shows them by (one place)."""
    from .component import component

    labels = dict(component.audit_labels)
    return {name: str(labels[name]) for name in service.SETTINGS_FIELDS} | {"name": _("Navn")}


def _typed() -> dict[str, Any]:
    """The settings form as posted, in the schema's terms (Danish decimals)."""
    return {
        name: danish_decimal(request.form.get(name, "")[:40])
        for name in service.SETTINGS_FIELDS
        if name in request.form
    }


def _page(values: dict[str, str], errors: dict[str, list[str]], preview: Any, status: int = 200):
    return (
        render_template(
            "processes/settings.html",
            values=values,
            errors=errors,
            labels=_labels(),
            fields=service.SETTINGS_FIELDS,
            preview=preview,
            domains=list_domains(current_user.tenant_id, active_only=False),
        ),
        status,
    )


def _stored_values() -> dict[str, str]:
    settings = service.get_settings(current_user)
    return {n: input_number(getattr(settings, n)) for n in service.SETTINGS_FIELDS}


def _weights(data: dict[str, Any]) -> dict[str, Any]:
    return {n: data[f"weight_{n}"] for n in FACTORS if f"weight_{n}" in data}


@bp.get("/")
def show() -> Any:
    preview = service.weights_preview(current_user, {})
    return _page(_stored_values(), {}, preview)


@bp.post("/")
def save() -> Any:
    """Save, or (the "Vis virkning" button, or htmx as the weights are typed) preview."""
    typed = _typed()
    values = {**_stored_values(), **{k: request.form.get(k, "") for k in typed}}
    try:
        data = SettingsSchema().load({k: v for k, v in typed.items() if v is not None})
    except ValidationError as e:
        errors = normalise_messages(e.messages)
        if request.headers.get("HX-Request"):
            return render_template("processes/_weights_preview.html", preview=None, errors=errors)
        return _page(values, errors, None, 422)
    preview = service.weights_preview(current_user, _weights(data))
    if request.headers.get("HX-Request"):
        return render_template("processes/_weights_preview.html", preview=preview, errors={})
    if request.form.get("action") == "preview":
        return _page(values, {}, preview)
    service.update_settings(current_user, data)
    flash(_("Indstillingerne er gemt."), "success")
    return redirect(url_for("register_settings.show"))


def _domain_errors(e: ValidationError) -> Any:
    errors = normalise_messages(e.messages)
    return _page(_stored_values(), errors, service.weights_preview(current_user, {}), 422)


@bp.post("/fagomraader")
def add_domain() -> Any:
    try:
        data = DomainSchema().load({"name": request.form.get("name", "")[:200]})
    except ValidationError as e:
        return _domain_errors(e)
    domain = service.add_domain(current_user, data["name"])
    flash(_("Fagområdet “%(name)s” er tilføjet.", name=domain.name), "success")
    return redirect(url_for("register_settings.show", _anchor="fagomraader"))


@bp.post("/fagomraader/<uuid:domain_id>")
def change_domain(domain_id: uuid.UUID) -> Any:
    """One form per fagområde: rename, move up/down, (de)activate or delete (its buttons)."""
    action = request.form.get("action", "")
    if action == "delete":
        service.delete_domain(current_user, domain_id)
        flash(_("Fagområdet er slettet."), "success")
        return redirect(url_for("register_settings.show", _anchor="fagomraader"))
    raw: dict[str, Any] = {
        "rename": {"name": request.form.get("name", "")[:200]},
        "up": {"move": "up"},
        "down": {"move": "down"},
        "deactivate": {"active": False},
        "activate": {"active": True},
    }.get(action, {})
    try:
        data = DomainPatchSchema().load(raw)
    except ValidationError as e:
        return _domain_errors(e)
    domain: Domain = service.change_domain(current_user, domain_id, data)
    flash(_("Fagområdet “%(name)s” er gemt.", name=domain.name), "success")
    return redirect(url_for("register_settings.show", _anchor=f"domain-{domain.id}"))

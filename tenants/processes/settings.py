"""The municipality's own settings for the register (issue 10, point 9): its figures for the
formulas (hours per FTE, cost per hour), the priority score's weights with a preview of what
they change, and its list of fagområder. The only code that writes them; every change is in
the municipality's audit log."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from autoproces.platform import audit
from autoproces.platform.db import db
from autoproces.platform.errors import Conflict, Invalid, NotFound
from autoproces.platform.identity.auth import require
from autoproces.platform.identity.models import User
from autoproces.platform.permissions import Action

from .figures import FACTORS, ScoreContext, priority_score_sql, score_context
from .models import Domain, Process, ProcessDomain, TenantSettings

# The settings the administrator writes, in the order the page shows them.
SETTINGS_FIELDS = (
    "hours_per_fte",
    "cost_per_hour_dkk",
    *(f"weight_{n}" for n in FACTORS),
)
PREVIEW_SIZE = 10


def get_settings(user: User) -> TenantSettings:
    require(user, Action.ADMINISTER)
    settings = db.session.get(TenantSettings, user.tenant_id)
    if settings is None:  # made with the tenant; a database restored without it
        settings = TenantSettings(tenant_id=user.tenant_id)
        db.session.add(settings)
        db.session.flush()
    return settings


def _plain(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value


def update_settings(user: User, data: dict[str, Any]) -> TenantSettings:
    """Write the given settings (already validated by SettingsSchema) and log what changed."""
    require(user, Action.ADMINISTER)
    settings = db.session.scalar(
        select(TenantSettings).where(TenantSettings.tenant_id == user.tenant_id).with_for_update()
    ) or get_settings(user)
    changes = {}
    for name in SETTINGS_FIELDS:
        if name not in data:
            continue
        old, new = getattr(settings, name), Decimal(str(data[name]))
        if old is None or Decimal(old) != new:
            changes[name] = {"from": _plain(old), "to": _plain(new)}
            setattr(settings, name, new)
    if sum(Decimal(getattr(settings, f"weight_{n}")) for n in FACTORS) <= 0:
        raise Invalid(
            _("Indstillingerne blev ikke gemt."),
            {"weight_benefit": [_("Mindst én vægt skal være over 0.")]},
        )
    if changes:
        db.session.flush()
        audit.record(user.tenant_id, user, audit.SETTINGS_CHANGED, {"changes": changes})
    return settings


@dataclass(frozen=True)
class PreviewRow:
    process_id: uuid.UUID
    number: int
    title: str
    score: float
    rank: int  # with the proposed weights
    rank_now: int | None  # with today's weights (None: not in today's top)
    score_now: float | None


def weights_preview(user: User, weights: dict[str, Any]) -> list[PreviewRow]:
    """The top PREVIEW_SIZE processes by score with `weights` instead of today's, each with
    its place today: what a change of weights would do to the order."""
    require(user, Action.ADMINISTER)
    now = score_context(db.session.get(TenantSettings, user.tenant_id))
    proposed = ScoreContext(
        {n: Decimal(str(weights.get(n, now.weights[n]))) for n in FACTORS},
        now.cost_per_hour,
        now.max_hours,
        now.max_effort,
    )
    score_now, score_new = priority_score_sql(now), priority_score_sql(proposed)
    ranked = (
        select(
            Process.id,
            Process.number,
            Process.title,
            score_new.label("score"),
            score_now.label("score_now"),
            func.rank().over(order_by=score_new.desc().nulls_last()).label("rank"),
            func.rank().over(order_by=score_now.desc().nulls_last()).label("rank_now"),
        )
        .where(Process.tenant_id == user.tenant_id)
        .subquery()
    )
    rows = db.session.execute(
        select(ranked)
        .where(ranked.c.score.is_not(None), ranked.c.rank <= PREVIEW_SIZE)
        .order_by(ranked.c.rank, ranked.c.number)
        .limit(PREVIEW_SIZE)
    ).all()
    return [
        PreviewRow(
            r.id,
            r.number,
            r.title,
            round(float(r.score), 1),
            r.rank,
            r.rank_now if r.score_now is not None else None,
            None if r.score_now is None else round(float(r.score_now), 1),
        )
        for r in rows
    ]


# --- Fagområder -------------------------------------------------------------------------


def _domains_locked(user: User) -> list[Domain]:
    """The municipality's fagområder in their order, locked: two administrators' moves and
    additions queue up instead of giving two the same place."""
    require(user, Action.ADMINISTER)
    return list(
        db.session.scalars(
            select(Domain)
            .where(Domain.tenant_id == user.tenant_id)
            .order_by(Domain.position, Domain.name)
            .with_for_update()
        )
    )


def _get(domains: list[Domain], domain_id: uuid.UUID) -> Domain:
    for d in domains:
        if d.id == domain_id:
            return d
    raise NotFound(_("Fagområdet findes ikke."))


def _check_name(domains: list[Domain], name: str, itself: Domain | None = None) -> str:
    name = " ".join(name.split())
    if not name:
        raise Invalid(_("Fagområdet blev ikke gemt."), {"name": [_("Skriv et navn.")]})
    if any(d.name.casefold() == name.casefold() and d is not itself for d in domains):
        raise Invalid(
            _("Fagområdet blev ikke gemt."),
            {"name": [_("Der er allerede et fagområde med det navn.")]},
        )
    return name


def _log(user: User, what: str, domain: Domain, **more: Any) -> None:
    audit.record(
        user.tenant_id,
        user,
        audit.SETTINGS_CHANGED,
        {"domain": domain.name, f"domain_{what}": True, **more},
    )


def add_domain(user: User, name: str) -> Domain:
    domains = _domains_locked(user)
    domain = Domain(
        tenant_id=user.tenant_id,
        name=_check_name(domains, name),
        position=max((d.position for d in domains), default=-1) + 1,
        active=True,
    )
    db.session.add(domain)
    db.session.flush()
    _log(user, "added", domain)
    return domain


def change_domain(user: User, domain_id: uuid.UUID, data: dict[str, Any]) -> Domain:
    """Rename, (de)activate or move (`move`: "up"/"down", or a 0-based `position`)."""
    domains = _domains_locked(user)
    domain = _get(domains, domain_id)
    if "name" in data:
        old = domain.name
        new = _check_name(domains, data["name"], domain)
        if new != old:
            domain.name = new
            _log(user, "renamed", domain, name={"from": old, "to": new})
    if "active" in data and bool(data["active"]) != domain.active:
        domain.active = bool(data["active"])
        _log(user, "activated" if domain.active else "deactivated", domain)
    target = None
    if data.get("move") in ("up", "down"):
        at = domains.index(domain)
        target = max(0, at - 1) if data["move"] == "up" else min(len(domains) - 1, at + 1)
    elif data.get("position") is not None:
        target = max(0, min(len(domains) - 1, int(data["position"])))
    if target is not None and target != domains.index(domain):
        domains.remove(domain)
        domains.insert(target, domain)
        for i, d in enumerate(domains):  # renumbered: the order is the positions
            d.position = i
        _log(user, "moved", domain, position=target + 1)
    db.session.flush()
    return domain


def delete_domain(user: User, domain_id: uuid.UUID) -> None:
    """Delete a fagområde no process uses; a used one is deactivated instead (409)."""
    domains = _domains_locked(user)
    domain = _get(domains, domain_id)
    used = db.session.scalar(
        select(func.count())
        .select_from(ProcessDomain)
        .where(ProcessDomain.tenant_id == user.tenant_id, ProcessDomain.domain_id == domain.id)
    )
    if used:
        raise Conflict(
            _(
                "Fagområdet bruges af %(n)d processer og kan ikke slettes. Deaktivér det i stedet.",
                n=used,
            )
        )
    try:
        with db.session.begin_nested():  # a process given it meanwhile keeps it
            db.session.delete(domain)
            db.session.flush()
    except IntegrityError:
        raise Conflict(
            _("Fagområdet er taget i brug i mellemtiden. Deaktivér det i stedet.")
        ) from None
    _log(user, "deleted", domain)

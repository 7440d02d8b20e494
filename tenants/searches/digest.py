"""The daily digest of saved searches (the daily job "searches.digest", platform/daily.py).

For each user with searches set to e-mail them: the processes each search finds *now*, as
that user may see them (the register's `filtered_query`), that were created after the
search's watermark (`notified_until`: the last digest, or when the e-mail was turned on).
One e-mail per user listing them by search, then every watermark moves to the time the
digest was built, so a second run the same day (or `--force`) finds nothing new. Nothing
new, no e-mail.

A process whose own transaction is still open while the digest is built carries a
`created_at` before the new watermark and is not listed: the register's writes are short
and the digest runs once a day, so this is the rare process created in that very moment.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from itertools import groupby
from typing import Any

from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import func, select

from autoproces.platform.db import db
from autoproces.platform.errors import Invalid
from autoproces.platform.identity.models import User
from autoproces.platform.outbox.services import deliverable, queue_mail
from autoproces.platform.permissions import Action
from autoproces.platform.search import folded
from autoproces.platform.urls import external_url
from autoproces.tenants.processes import queries
from autoproces.tenants.processes.models import Process

from . import services
from .models import SavedSearch

log = logging.getLogger(__name__)

JOB = "searches.digest"
MAIL_KIND = "searches.digest"
MAIL_LOCALE = "da"
# The processes listed per search; the rest are one link away (the list with its filters).
LISTED = 20


@dataclass(frozen=True)
class NewMatches:
    search: SavedSearch
    processes: list[Process]  # the first LISTED, oldest first
    total: int


def new_matches(user: User, search: SavedSearch, until: datetime) -> NewMatches | None:
    """The processes `search` finds for `user` that were created after its watermark and
    up to `until` (None when there are none, or its filters no longer pass the checks)."""
    try:
        filters = services.filters_of(search)
    except Invalid:
        log.info("saved search %s cannot be run any more; no digest for it", search.id)
        return None
    conditions = [
        *queries.filtered_query(user, **filters),
        Process.created_at > search.notified_until,
        Process.created_at <= until,
    ]
    rows = db.session.execute(
        select(Process, func.count().over().label("total"))
        .where(*conditions)
        .order_by(Process.created_at, Process.number)
        .limit(LISTED)
    ).all()
    if not rows:
        return None
    return NewMatches(search, [row[0] for row in rows], rows[0].total)


def send_digests(tenant: Any, day: date) -> int:
    """Queue the day's digests in the current municipality; returns how many e-mails."""
    built_at = db.session.scalar(select(func.now()))
    searches = list(
        db.session.scalars(
            select(SavedSearch)
            .where(SavedSearch.tenant_id == tenant.id, SavedSearch.notify)
            .order_by(SavedSearch.user_id, folded(SavedSearch.name), SavedSearch.created_at)
        )
    )
    if not searches:
        return 0
    users = {
        u.id: u
        for u in db.session.scalars(
            select(User).where(
                User.tenant_id == tenant.id, User.id.in_({s.user_id for s in searches})
            )
        )
    }
    sent = 0
    for user_id, group in groupby(searches, key=lambda s: s.user_id):
        own = list(group)
        user = users.get(user_id)
        if user is not None and user.can(Action.READ) and deliverable(user.email):
            found = [m for m in (new_matches(user, s, built_at) for s in own) if m is not None]
            if found:
                _queue(tenant, user, found)
                sent += 1
        # Nothing piles up for a user who cannot be told (deactivated, no address): once
        # they can, the digest starts from then.
        for search in own:
            search.notified_until = built_at
    db.session.flush()
    return sent


def _queue(tenant: Any, user: User, found: list[NewMatches]) -> None:
    with force_locale(MAIL_LOCALE):
        # By search, not by process: one process may be new to several searches.
        if len(found) == 1:
            subject = _("Nye processer i din gemte søgning “%(name)s”", name=found[0].search.name)
        else:
            subject = _("Nye processer i %(count)d af dine gemte søgninger", count=len(found))
        names = services.domain_names()
        sections = []
        for matches in found:
            search = matches.search
            list_url = external_url(
                "processes.list_processes", tenant_slug=tenant.slug, **search.query
            )
            lines = [
                f"{search.name} ({services.describe(search.query, names)})",
                *(
                    "- {label}: {title}\n  {link}".format(
                        label=p.number_label,
                        title=p.title,
                        link=external_url(
                            "processes.show_process", tenant_slug=tenant.slug, process_id=p.id
                        ),
                    )
                    for p in matches.processes
                ),
            ]
            more = matches.total - len(matches.processes)
            if more > 0:
                lines.append(ngettext("… og %(num)d mere.", "… og %(num)d flere.", more))
            lines.append(_("Se søgningen: %(link)s", link=list_url))
            sections.append("\n".join(lines))
        body = _(
            "Hej %(name)s\n\nDer er nye processer i %(municipality)s, som matcher dine gemte"
            " søgninger:\n\n%(sections)s\n\nDu får denne e-mail, fordi du har bedt om besked,"
            " når nye processer matcher en gemt søgning. Du kan slå den fra på Min side:"
            " %(link)s",
            name=user.name,
            municipality=tenant.name,
            sections="\n\n".join(sections),
            link=external_url("account.my_page", tenant_slug=tenant.slug),
        )
    queue_mail(tenant.id, user.email, subject, body, kind=MAIL_KIND)

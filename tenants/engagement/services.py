"""Comments, following, favourites and the e-mails followers get: the only code that writes
them. Every operation first finds the process through `processes.policy.get_process`,
so what a user may not see does not exist for them (NotFound)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import markdown
import nh3
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from autoproces.platform.db import db
from autoproces.platform.errors import Forbidden, Invalid, NotFound
from autoproces.platform.identity.auth import require
from autoproces.platform.identity.models import User
from autoproces.platform.outbox.services import queue_mail
from autoproces.platform.permissions import Action
from autoproces.platform.tenancy import Tenant
from autoproces.platform.urls import external_url
from autoproces.tenants.processes.models import (
    PHASE_LABELS,
    STATUS_LABELS,
    Phase,
    Process,
    Status,
)
from autoproces.tenants.processes.policy import can_see, get_process, visible_to
from autoproces.tenants.processes.queries import present

from .models import Comment, Favourite, Follower

MAX_COMMENT_LENGTH = 10_000
ALLOWED_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "a", "code", "pre", "blockquote"}
ALLOWED_ATTRIBUTES = {"a": {"href"}}
URL_SCHEMES = {"http", "https", "mailto"}
# Mail is written in the platform's language, whatever the actor's page language is.
MAIL_LOCALE = "da"


# --- Markdown ------------------------------------------------------------------------------


def render_markdown(text: str) -> str:
    """Markdown as HTML with only a few basic tags; scripts, handlers and odd links go."""
    html = markdown.markdown(text, output_format="html")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
    )


def _check_body(body: Any) -> str:
    text = body.strip() if isinstance(body, str) else ""
    if not text:
        raise Invalid(_("Kommentaren kunne ikke gemmes."), {"body": [_("Feltet skal udfyldes.")]})
    if len(text) > MAX_COMMENT_LENGTH:
        raise Invalid(
            _("Kommentaren kunne ikke gemmes."),
            {"body": [_("Højst %(max)d tegn.", max=MAX_COMMENT_LENGTH)]},
        )
    return text


# --- Comments ------------------------------------------------------------------------------


def comments_for(process: Process) -> list[Comment]:
    """The comments of a process the caller has already been allowed to see, oldest first."""
    return list(
        db.session.scalars(
            select(Comment)
            .where(Comment.tenant_id == process.tenant_id, Comment.process_id == process.id)
            .order_by(Comment.created_at, Comment.id)
        )
    )


def list_comments(user: User, process_id: uuid.UUID) -> list[Comment]:
    return comments_for(get_process(user, process_id))


def may_edit_comment(user: User, comment: Comment) -> bool:
    return not comment.deleted and comment.author_id == user.id


def may_delete_comment(user: User, comment: Comment) -> bool:
    return not comment.deleted and (comment.author_id == user.id or user.can(Action.EDIT))


def add_comment(user: User, process_id: uuid.UUID, body: Any) -> Comment:
    """Anyone who may read the process may comment; followers get an e-mail."""
    process = get_process(user, process_id)
    text = _check_body(body)
    _hold(process)
    comment = Comment(
        tenant_id=process.tenant_id,
        process_id=process.id,
        author_id=user.id,
        body_markdown=text,
        body_html=render_markdown(text),
    )
    db.session.add(comment)
    db.session.flush()
    follow(user, process)  # whoever joins the conversation hears the answers
    _notify_comment(process, user, comment)
    return comment


def _hold(process: Process) -> None:
    """Keep `process` from being deleted until this transaction ends (FOR KEY SHARE, the
    lock the comment's foreign key takes anyway). When a delete got there first the
    process is NotFound, rather than a foreign key violation (a 500)."""
    table = Process.__table__
    held = db.session.execute(
        select(table.c.id)
        .where(table.c.tenant_id == process.tenant_id, table.c.id == process.id)
        .with_for_update(read=True, key_share=True)
    ).first()
    if held is None:
        raise NotFound(_("Processen findes ikke."))


def get_comment(user: User, process_id: uuid.UUID, comment_id: uuid.UUID) -> Comment:
    process = get_process(user, process_id)
    comment = db.session.scalar(
        select(Comment).where(
            Comment.tenant_id == process.tenant_id,
            Comment.process_id == process.id,
            Comment.id == comment_id,
        )
    )
    if comment is None:
        raise NotFound(_("Kommentaren findes ikke."))
    return comment


def edit_comment(user: User, process_id: uuid.UUID, comment_id: uuid.UUID, body: Any) -> Comment:
    """Only the author edits a comment (no new e-mail is sent for an edit)."""
    comment = get_comment(user, process_id, comment_id)
    if not may_edit_comment(user, comment):
        raise Forbidden(_("Du kan kun rette dine egne kommentarer."))
    text = _check_body(body)
    if text != comment.body_markdown:
        comment.body_markdown = text
        comment.body_html = render_markdown(text)
        comment.edited_at = datetime.now(UTC)
        db.session.flush()
    return comment


def delete_comment(user: User, process_id: uuid.UUID, comment_id: uuid.UUID) -> None:
    """The author, or the automation team, deletes a comment: its text is blanked and a
    placeholder keeps the conversation readable. Deleting it again changes nothing."""
    comment = get_comment(user, process_id, comment_id)
    if comment.deleted:
        return
    if not may_delete_comment(user, comment):
        raise Forbidden(_("Du må ikke slette denne kommentar."))
    comment.body_markdown = ""
    comment.body_html = ""
    comment.deleted_at = datetime.now(UTC)
    db.session.flush()


# --- Following and favourites --------------------------------------------------------------


def follow(user: User, process: Process) -> None:
    """Follow a process already found for `user` (idempotent)."""
    db.session.execute(
        insert(Follower)
        .values(tenant_id=process.tenant_id, process_id=process.id, user_id=user.id)
        .on_conflict_do_nothing()
    )


def follow_process(user: User, process_id: uuid.UUID) -> None:
    follow(user, get_process(user, process_id))


def unfollow_process(user: User, process_id: uuid.UUID) -> None:
    process = get_process(user, process_id)
    db.session.execute(
        Follower.__table__.delete().where(
            Follower.tenant_id == process.tenant_id,
            Follower.process_id == process.id,
            Follower.user_id == user.id,
        )
    )


def is_following(user: User, process: Process) -> bool:
    key = (process.tenant_id, process.id, user.id)
    return db.session.get(Follower, key) is not None


def set_favourite(user: User, process_id: uuid.UUID, favourite: bool) -> None:
    """Mark or unmark a process as one of the user's favourites (idempotent)."""
    process = get_process(user, process_id)
    if favourite:
        db.session.execute(
            insert(Favourite)
            .values(tenant_id=process.tenant_id, process_id=process.id, user_id=user.id)
            .on_conflict_do_nothing()
        )
    else:
        db.session.execute(
            Favourite.__table__.delete().where(
                Favourite.tenant_id == process.tenant_id,
                Favourite.process_id == process.id,
                Favourite.user_id == user.id,
            )
        )


def is_favourite(user: User, process: Process) -> bool:
    key = (process.tenant_id, process.id, user.id)
    return db.session.get(Favourite, key) is not None


def list_favourites(user: User) -> list[Process]:
    """The user's favourites they may still see, the newest favourite first."""
    require(user, Action.READ)
    processes = db.session.scalars(
        select(Process)
        .join(
            Favourite,
            (Favourite.tenant_id == Process.tenant_id) & (Favourite.process_id == Process.id),
        )
        .where(
            Favourite.tenant_id == user.tenant_id,
            Favourite.user_id == user.id,
            visible_to(user),
        )
        .order_by(Favourite.created_at.desc(), Process.title)
    ).all()
    return present(list(processes), user.tenant_id)


# --- E-mail to followers -------------------------------------------------------------------


def process_url(process: Process) -> str:
    """The absolute address of the process page, on AUTOPROCES_BASE_URL."""
    tenant = db.session.get(Tenant, process.tenant_id)
    return external_url(
        "processes.show_process", tenant_slug=tenant.slug if tenant else "", process_id=process.id
    )


def _recipients(process: Process, actor: User) -> list[User]:
    """Active followers who may still see the process, the actor left out."""
    users = db.session.scalars(
        select(User)
        .join(Follower, (Follower.tenant_id == User.tenant_id) & (Follower.user_id == User.id))
        .where(
            Follower.tenant_id == process.tenant_id,
            Follower.process_id == process.id,
            User.active.is_(True),
            User.id != actor.id,
        )
        .order_by(User.email)
    ).all()
    return [u for u in users if can_see(u, process)]


def _queue(process: Process, recipients: list[User], kind: str, subject: str, body: str) -> int:
    queued = 0
    for user in recipients:
        message = queue_mail(
            process.tenant_id,
            user.email,
            subject,
            _("Hej %(name)s", name=user.name) + "\n\n" + body,
            kind,
        )
        queued += message is not None
    db.session.flush()
    return queued


def _footer(process: Process) -> str:
    return "\n\n".join(
        [
            _("Se processen: %(url)s", url=process_url(process)),
            _(
                "Du får denne e-mail, fordi du følger processen i Autoproces. "
                "Du kan holde op med at følge den på processens side."
            ),
        ]
    )


def notify_followers(process: Process, actor: User, changes: Mapping[str, Any]) -> int:
    """Queue an e-mail to each follower when the phase or status changed (in the caller's
    transaction). `changes` maps changed fields to (old, new); others are ignored.
    Returns the number of messages queued."""
    relevant = {k: v for k, v in changes.items() if k in ("phase", "status")}
    if not relevant:
        return 0
    recipients = _recipients(process, actor)
    if not recipients:
        return 0
    with force_locale(MAIL_LOCALE):
        lines = []
        if "phase" in relevant:
            old, new = relevant["phase"]
            lines.append(
                _(
                    "Fase: %(old)s → %(new)s",
                    old=_label(PHASE_LABELS, Phase, old),
                    new=_label(PHASE_LABELS, Phase, new),
                )
            )
        if "status" in relevant:
            old, new = relevant["status"]
            lines.append(
                _(
                    "Status: %(old)s → %(new)s",
                    old=_label(STATUS_LABELS, Status, old),
                    new=_label(STATUS_LABELS, Status, new),
                )
            )
            if process.status_reason.strip():
                lines.append(_("Begrundelse: %(reason)s", reason=process.status_reason.strip()))
        if set(relevant) == {"phase"}:
            subject = _(
                "Ny fase for “%(title)s”: %(phase)s",
                title=process.title,
                phase=_label(PHASE_LABELS, Phase, relevant["phase"][1]),
            )
        elif set(relevant) == {"status"}:
            subject = _(
                "Ny status for “%(title)s”: %(status)s",
                title=process.title,
                status=_label(STATUS_LABELS, Status, relevant["status"][1]),
            )
        else:
            subject = _("Ny fase og status for “%(title)s”", title=process.title)
        body = "\n\n".join(
            [
                _(
                    "%(name)s har ændret processen “%(title)s”:",
                    name=actor.name,
                    title=process.title,
                ),
                "\n".join(lines),
                _footer(process),
            ]
        )
        return _queue(process, recipients, "process_changed", subject, body)


def _notify_comment(process: Process, actor: User, comment: Comment) -> int:
    recipients = _recipients(process, actor)
    if not recipients:
        return 0
    with force_locale(MAIL_LOCALE):
        subject = _("Ny kommentar til “%(title)s”", title=process.title)
        body = "\n\n".join(
            [
                _(
                    "%(name)s har skrevet en kommentar til “%(title)s”:",
                    name=actor.name,
                    title=process.title,
                ),
                "\n".join("> " + line for line in comment.body_markdown.splitlines()),
                _footer(process),
            ]
        )
        return _queue(process, recipients, "comment_added", subject, body)


def _label(labels: Mapping[Any, Any], enum: type, value: Any) -> str:
    try:
        return str(labels[enum(value)])
    except (ValueError, KeyError):
        return str(value)


def send_receipt(process: Process, reporter: User) -> int:
    """Queue a receipt to the person who reported an idea on the intake form (with the
    idea's transaction), with the link to follow it."""
    if not reporter.email:
        return 0
    with force_locale(MAIL_LOCALE):
        subject = _(
            "Tak for din idé nr. %(number)d: “%(title)s”",
            number=process.number,
            title=process.title,
        )
        body = "\n\n".join(
            [
                _(
                    "Vi har modtaget din idé “%(title)s” som idé nr. %(number)d. "
                    "Automatiseringsteamet vurderer den, og du får en e-mail, når den skifter "
                    "fase eller status, eller når nogen kommenterer den.",
                    title=process.title,
                    number=process.number,
                ),
                _footer(process),
            ]
        )
        return _queue(process, [reporter], "receipt", subject, body)

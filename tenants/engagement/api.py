"""Comments, following and favourites in the REST API."""

from __future__ import annotations

import uuid
from typing import Any

from flask import g

from autoproces.platform.identity.auth import api_blueprint
from autoproces.tenants.processes.schemas import ProcessOutSchema

from . import services
from .schemas import CommentInSchema, CommentOutSchema

bp = api_blueprint(
    "engagement_api",
    __name__,
    "/processes",
    description="Comments on processes, following them (e-mail) and favourites",
)


@bp.get("/<uuid:process_id>/comments")
@bp.response(200, CommentOutSchema(many=True))
def list_comments(process_id: uuid.UUID) -> Any:
    """List a process's comments.

    Oldest first; a deleted comment keeps its place without its text. 404 when the caller may
    not see the process.
    """
    return services.list_comments(g.api_user, process_id)


@bp.post("/<uuid:process_id>/comments")
@bp.arguments(CommentInSchema)
@bp.response(201, CommentOutSchema)
def add_comment(data: dict[str, Any], process_id: uuid.UUID) -> Any:
    """Comment on a process.

    Markdown with basic formatting and links, at most 10,000 characters; it is stored
    sanitised. The author starts following the process and its followers get an e-mail.
    """
    return services.add_comment(g.api_user, process_id, data["body"])


@bp.patch("/<uuid:process_id>/comments/<uuid:comment_id>")
@bp.arguments(CommentInSchema)
@bp.response(200, CommentOutSchema)
def edit_comment(data: dict[str, Any], process_id: uuid.UUID, comment_id: uuid.UUID) -> Any:
    """Change a comment.

    Only the author may change a comment (403 otherwise); no new e-mail is sent.
    """
    return services.edit_comment(g.api_user, process_id, comment_id, data["body"])


@bp.delete("/<uuid:process_id>/comments/<uuid:comment_id>")
@bp.response(204)
def delete_comment(process_id: uuid.UUID, comment_id: uuid.UUID) -> None:
    """Delete a comment.

    The author or the automation team deletes a comment; it keeps its place in the thread
    without its text.
    """
    services.delete_comment(g.api_user, process_id, comment_id)


@bp.put("/<uuid:process_id>/follow")
@bp.response(204)
def follow(process_id: uuid.UUID) -> None:
    """Follow a process.

    Get an e-mail on new phases, statuses and comments. Idempotent.
    """
    services.follow_process(g.api_user, process_id)


@bp.delete("/<uuid:process_id>/follow")
@bp.response(204)
def unfollow(process_id: uuid.UUID) -> None:
    """Stop following a process.

    No more e-mails about the process. Idempotent.
    """
    services.unfollow_process(g.api_user, process_id)


@bp.put("/<uuid:process_id>/favourite")
@bp.response(204)
def favourite(process_id: uuid.UUID) -> None:
    """Mark a process as a favourite.

    It appears in the caller's favourites. Idempotent.
    """
    services.set_favourite(g.api_user, process_id, True)


@bp.delete("/<uuid:process_id>/favourite")
@bp.response(204)
def unfavourite(process_id: uuid.UUID) -> None:
    """Remove a process from the favourites.

    Idempotent.
    """
    services.set_favourite(g.api_user, process_id, False)


me_bp = api_blueprint("engagement_me_api", __name__, "/me", description="The caller's favourites")


@me_bp.get("/favourites")
@me_bp.response(200, ProcessOutSchema(many=True))
def my_favourites() -> Any:
    """List the caller's favourites.

    The caller's favourite processes that they may still see, newest first.
    """
    return services.list_favourites(g.api_user)

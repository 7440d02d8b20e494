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
    """The comments, oldest first; deleted ones keep their place without text."""
    return services.list_comments(g.api_user, process_id)


@bp.post("/<uuid:process_id>/comments")
@bp.arguments(CommentInSchema)
@bp.response(201, CommentOutSchema)
def add_comment(data: dict[str, Any], process_id: uuid.UUID) -> Any:
    """Comment in Markdown (basic formatting and links); followers get an e-mail."""
    return services.add_comment(g.api_user, process_id, data["body"])


@bp.patch("/<uuid:process_id>/comments/<uuid:comment_id>")
@bp.arguments(CommentInSchema)
@bp.response(200, CommentOutSchema)
def edit_comment(data: dict[str, Any], process_id: uuid.UUID, comment_id: uuid.UUID) -> Any:
    """Only the author may change a comment."""
    return services.edit_comment(g.api_user, process_id, comment_id, data["body"])


@bp.delete("/<uuid:process_id>/comments/<uuid:comment_id>")
@bp.response(204)
def delete_comment(process_id: uuid.UUID, comment_id: uuid.UUID) -> None:
    """The author or the automation team deletes a comment."""
    services.delete_comment(g.api_user, process_id, comment_id)


@bp.put("/<uuid:process_id>/follow")
@bp.response(204)
def follow(process_id: uuid.UUID) -> None:
    """Get an e-mail on new phases, statuses and comments (idempotent)."""
    services.follow_process(g.api_user, process_id)


@bp.delete("/<uuid:process_id>/follow")
@bp.response(204)
def unfollow(process_id: uuid.UUID) -> None:
    services.unfollow_process(g.api_user, process_id)


@bp.put("/<uuid:process_id>/favourite")
@bp.response(204)
def favourite(process_id: uuid.UUID) -> None:
    services.set_favourite(g.api_user, process_id, True)


@bp.delete("/<uuid:process_id>/favourite")
@bp.response(204)
def unfavourite(process_id: uuid.UUID) -> None:
    services.set_favourite(g.api_user, process_id, False)


me_bp = api_blueprint("engagement_me_api", __name__, "/me", description="The caller's favourites")


@me_bp.get("/favourites")
@me_bp.response(200, ProcessOutSchema(many=True))
def my_favourites() -> Any:
    """The caller's favourite processes (those they may still see), newest first."""
    return services.list_favourites(g.api_user)

"""Comments, following and favourites on the process pages (/<tenant>/processer/…).

Every form posts and redirects back to the process page (POST-redirect-GET); a comment
that cannot be saved re-renders the page with the error (422)."""

from __future__ import annotations

import uuid
from typing import Any

from flask import flash, g, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import ValidationError

from autoproces.platform.errors import Forbidden, Invalid, normalise_messages
from autoproces.platform.identity.auth import tenant_blueprint
from autoproces.tenants.processes.policy import get_process
from autoproces.tenants.processes.views import show_process

from . import services
from .schemas import CommentInSchema

bp = tenant_blueprint("engagement", __name__, url_prefix="/processer", template_folder="templates")


@bp.app_template_global("engagement_for")
def engagement_for(process: Any) -> dict[str, Any]:
    """What the process page shows below the process (already found for current_user)."""
    if not current_user.is_authenticated:
        return {"comments": [], "following": False, "favourite": False}
    comments = services.comments_for(process)
    return {
        "comments": comments,
        "may_edit": {c.id for c in comments if services.may_edit_comment(current_user, c)},
        "may_delete": {c.id for c in comments if services.may_delete_comment(current_user, c)},
        "following": services.is_following(current_user, process),
        "favourite": services.is_favourite(current_user, process),
        "max_length": services.MAX_COMMENT_LENGTH,
    }


def _back(process_id: uuid.UUID, anchor: str = "kommentarer") -> Any:
    return redirect(
        url_for("processes.show_process", process_id=process_id, _anchor=anchor or None)
    )


@bp.post("/<uuid:process_id>/kommentarer")
def add_comment(process_id: uuid.UUID) -> Any:
    form = request.form.to_dict()
    try:
        data = CommentInSchema().load(form)
        comment = services.add_comment(current_user, process_id, data["body"])
    except ValidationError as e:
        errors = normalise_messages(e.normalized_messages())
    except Invalid as e:
        errors = e.errors
    else:
        flash(_("Din kommentar er gemt."), "success")
        return _back(process_id, f"kommentar-{comment.id}")
    # The process page as its own view renders it, with the form and its errors.
    g.comment_errors, g.comment_form = errors, form
    response = make_response(show_process(process_id=process_id))
    response.status_code = 422
    return response


@bp.route("/<uuid:process_id>/kommentarer/<uuid:comment_id>/ret", methods=["GET", "POST"])
def edit_comment(process_id: uuid.UUID, comment_id: uuid.UUID) -> Any:
    process = get_process(current_user, process_id)
    comment = services.get_comment(current_user, process_id, comment_id)
    if not services.may_edit_comment(current_user, comment):
        raise Forbidden(_("Du kan kun rette dine egne kommentarer."))
    form = {"body": comment.body_markdown}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        form = request.form.to_dict()
        try:
            data = CommentInSchema().load(form)
            services.edit_comment(current_user, process_id, comment_id, data["body"])
        except ValidationError as e:
            errors = normalise_messages(e.normalized_messages())
        except Invalid as e:
            errors = e.errors
        else:
            flash(_("Kommentaren er rettet."), "success")
            return _back(process_id, f"kommentar-{comment_id}")
    return render_template(
        "engagement/edit_comment.html",
        process=process,
        comment=comment,
        form=form,
        errors=errors,
        max_length=services.MAX_COMMENT_LENGTH,
    ), (422 if errors else 200)


@bp.post("/<uuid:process_id>/kommentarer/<uuid:comment_id>/slet")
def delete_comment(process_id: uuid.UUID, comment_id: uuid.UUID) -> Any:
    services.delete_comment(current_user, process_id, comment_id)
    flash(_("Kommentaren er slettet."), "success")
    return _back(process_id)


@bp.post("/<uuid:process_id>/foelg")
def follow(process_id: uuid.UUID) -> Any:
    if request.form.get("follow") == "1":
        services.follow_process(current_user, process_id)
        flash(_("Du følger nu processen og får en e-mail, når der sker noget."), "success")
    else:
        services.unfollow_process(current_user, process_id)
        flash(_("Du følger ikke længere processen."), "success")
    return _back(process_id, "")


@bp.post("/<uuid:process_id>/favorit")
def favourite(process_id: uuid.UUID) -> Any:
    chosen = request.form.get("favourite") == "1"
    services.set_favourite(current_user, process_id, chosen)
    if chosen:
        flash(_("Processen er føjet til dine favoritter."), "success")
    else:
        flash(_("Processen er fjernet fra dine favoritter."), "success")
    return _back(process_id, "")


@bp.get("/favoritter")
def favourites() -> Any:
    return render_template(
        "engagement/favourites.html", processes=services.list_favourites(current_user)
    )

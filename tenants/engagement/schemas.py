"""Marshmallow schemas of comments, shared by the API and the comment form."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields

from autoproces.tenants.processes.schemas import UserRefSchema, text

from .services import MAX_COMMENT_LENGTH


class CommentInSchema(Schema):
    """A new or changed comment: Markdown, at most 10,000 characters."""

    class Meta:
        unknown = EXCLUDE

    body = text(MAX_COMMENT_LENGTH, required=True)


class CommentOutSchema(Schema):
    id = fields.UUID()
    process_id = fields.UUID()
    author = fields.Nested(UserRefSchema, allow_none=True)
    body = fields.String(attribute="body_markdown", metadata={"description": "Markdown"})
    body_html = fields.String(metadata={"description": "Rendered and sanitised HTML"})
    created_at = fields.DateTime()
    edited_at = fields.DateTime(allow_none=True)
    deleted = fields.Boolean(metadata={"description": "Deleted: the text is gone"})

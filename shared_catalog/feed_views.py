"""The catalogue's public addresses: the federation feed (/katalog/feed.jsonld, no login,
so another instance, a region or Joinup can harvest it) and each entry's URI in it
(/katalog/<id>), which leads a person to the platform's front page to sign in to their own
municipality (the entry itself is read there, at /<slug>/katalog/<id>)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from flask import Blueprint, Response, redirect, request, url_for

from autoproces.platform.pagination import page_number

from . import federation

bp = Blueprint("catalogue_feed", __name__, url_prefix="/katalog")


@bp.get("/feed.jsonld")
def feed() -> Any:
    body = json.dumps(federation.feed(page_number(request.args.get("page"))), ensure_ascii=False)
    response = Response(body, mimetype=federation.MEDIA_TYPE)
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Access-Control-Allow-Origin"] = "*"  # harvesters in browsers too
    return response


@bp.get("/<uuid:entry_id>")
def landing(entry_id: uuid.UUID) -> Any:
    return redirect(url_for("platform.index"))

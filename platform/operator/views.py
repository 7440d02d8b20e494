"""The operator console at /operator/ (filled in by the operator console work)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("operator", __name__, url_prefix="/operator", template_folder="templates")

"""Min side: the signed-in user's own page (/<tenant>/min-side), where components add
what is the user's own (the "user" panel slot, e.g. saved searches)."""

from __future__ import annotations

from typing import Any

from flask import render_template

from .auth import tenant_blueprint

bp = tenant_blueprint("account", __name__)


@bp.get("/min-side")
def my_page() -> Any:
    return render_template("identity/my_page.html")

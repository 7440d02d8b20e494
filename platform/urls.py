"""Absolute addresses for links that leave the request: e-mails, identity-provider redirects.

They are built from AUTOPROCES_BASE_URL, never from the request's Host header (which the
client chooses: a forged Host would make the platform mail links to someone else's server).
Only the demo, which has no configured address, falls back to the request's own.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, has_request_context, request, url_for

DEMO_FALLBACK = "http://localhost:5000"


def base_url() -> str:
    """The app's public address, without a trailing slash."""
    settings = current_app.config["AUTOPROCES_SETTINGS"]
    if settings.base_url:
        return settings.base_url
    if not settings.demo:  # create_app refuses this; guard against a hand-built config
        raise RuntimeError("AUTOPROCES_BASE_URL is required outside demo mode")
    if has_request_context():
        return request.host_url.rstrip("/")
    return DEMO_FALLBACK


def external_url(endpoint: str, **values: Any) -> str:
    """The absolute address of `endpoint`, on the configured public address."""
    if has_request_context():
        path = url_for(endpoint, **values)
        path = path[len(request.script_root) :] if request.script_root else path
    else:
        path = current_app.url_map.bind("localhost").build(endpoint, values)
    return base_url() + path

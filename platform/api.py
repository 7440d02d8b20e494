"""What the whole REST API shares beyond its blueprints: the browsable documentation at
/api/v1/docs, and no cookies in any API response.

The documentation is Swagger UI (npm `swagger-ui-dist`, copied into static/vendor by
`make assets` like every other asset) over the app's own OpenAPI document. The page has no
inline script (the app's CSP allows none): `static/api-docs.js` starts Swagger UI with the
document's address, read from a data attribute.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Blueprint, render_template, url_for

API_PREFIX = "/api/"

docs_bp = Blueprint("api_docs_page", __name__)


@docs_bp.get("/api/v1/docs")
def docs() -> Any:
    return render_template("api/docs.html", spec_url=url_for("api-docs.openapi_json"))


class NoCookies:
    """WSGI middleware: an API response sets no cookie, whatever ran before it (the session
    being refreshed, a login manager, the front page's "last municipality" cookie). The API
    authenticates with bearer tokens; a cookie from it would only be a session to steal."""

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]]) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if not environ.get("PATH_INFO", "").startswith(API_PREFIX):
            return self.wsgi_app(environ, start_response)

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            kept = [(k, v) for k, v in headers if k.lower() != "set-cookie"]
            return start_response(status, kept, exc_info)

        return self.wsgi_app(environ, start)

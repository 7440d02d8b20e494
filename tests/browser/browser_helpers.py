"""Browser test helpers: Debian's Chromium, axe-core for WCAG 2.1 AA, the app on a live
server, and signing in (the demo's login, or a municipality's OpenID provider)."""

from __future__ import annotations

import shutil
import threading
from types import TracebackType
from typing import Any

from helpers import REPO_ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
# An iPhone SE-sized screen with touch (for `new_page(**PHONE)`).
PHONE = {
    "viewport": {"width": 375, "height": 667},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
# Every provider account's password (tests/oidc/provider.mjs).
PROVIDER_PASSWORD = "hemmelig"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def axe_violations(page) -> list[dict]:
    """Run axe-core (WCAG 2.1 A and AA rules) on the page; return the violations."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """async () => await axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}
        })"""
    )
    return [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]


def assert_accessible(page, what: str) -> None:
    violations = axe_violations(page)
    assert not violations, f"axe-core found WCAG 2.1 AA violations on the {what}: {violations}"


def assert_accessible_under_csp(page, what: str) -> None:
    """assert_accessible for a page that keeps the app's CSP: axe-core is evaluated through
    the DevTools protocol (which the page's CSP does not govern), not injected as a script."""
    page.evaluate(AXE.read_text())
    result = page.evaluate(
        """async () => await axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}
        })"""
    )
    violations = [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]]
    assert not violations, f"axe-core found WCAG 2.1 AA violations on the {what}: {violations}"


class LiveServer:
    """A WSGI app served on a free loopback port in a thread. `app` may be set after the start,
    for an app whose settings need the server's own address:

        with LiveServer() as server:
            server.app = create_app(app_env(database, AUTOPROCES_BASE_URL=server.url))
    """

    def __init__(self, app: Any = None) -> None:
        from werkzeug.serving import make_server

        self.app = app
        self._server = make_server(
            "127.0.0.1", 0, lambda env, start: self.app(env, start), threaded=True
        )
        self.url = f"http://127.0.0.1:{self._server.server_port}"

    def __enter__(self) -> LiveServer:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()


def sign_in(page, live_server: str, role_label: str, slug: str = "syddjurs") -> None:
    """The demo's login as its user with `role_label` (e.g. "Medarbejder"); lands on the list."""
    page.goto(f"{live_server}/{slug}/login")
    page.locator("label", has_text=role_label).first.click()
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_url(f"**/{slug}/processer")


def oidc_client(client_id: str, secret: str, callback: str, logged_out: str) -> dict[str, Any]:
    """A client of tests/oidc_provider.py: where it returns after login and after logout."""
    return {
        "client_id": client_id,
        "client_secret": secret,
        "redirect_uris": [callback],
        "post_logout_redirect_uris": [logged_out],
        "token_endpoint_auth_method": "client_secret_basic",
    }


def sign_in_at_provider(page, issuer: str, login: str) -> None:
    """Fill in the provider's own login page (the browser is on its way there)."""
    page.wait_for_url(issuer + "/**")
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill(PROVIDER_PASSWORD)
    page.locator("button[type=submit]").first.click()


def confirm_logout_at_provider(page, issuer: str) -> None:
    """The provider asks to confirm ending its session, then sends the browser back. Waits
    for the provider's page first: a click before the hand-over lands on our own page."""
    page.wait_for_url(issuer + "/**")
    page.locator("button[type=submit], input[type=submit]").first.click()

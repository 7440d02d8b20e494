"""Browser fixtures: the app served on loopback, Debian's Chromium driven by Playwright,
pages in fresh contexts, and a municipality that signs in through its own OpenID provider.
Every test here is a browser test (`-m browser`)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from browser_helpers import CHROMIUM, CHROMIUM_ARGS, LiveServer, oidc_client
from helpers import REPO_ROOT


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in item.nodeid.replace("\\", "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_app(database):
    """The demo app with CSRF and rate limits on, as a user meets it."""
    from helpers import app_env

    from autoproces.platform.app import create_app

    # The live server runs on a free port: the demo takes its address from the request.
    return create_app(app_env(database, AUTOPROCES_DEMO="1", AUTOPROCES_BASE_URL=""), TESTING=True)


@pytest.fixture(scope="session")
def live_server(browser_app) -> Iterator[str]:
    with LiveServer(browser_app) as server:
        yield server.url


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    assert shutil.which("chromium") or (REPO_ROOT / CHROMIUM).exists(), (
        "Debian's chromium is needed for the browser tests (make browser installs it)"
    )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser) -> Iterator[Callable[..., Any]]:
    """`new_page(**options)`: a page in a fresh browser context (Danish unless `locale` says
    otherwise), closed when the test ends. Without `bypass_csp`, the app's own CSP holds, as
    in a user's browser; its reports are collected in `page.csp_blocked`."""
    contexts = []

    def make(**options: Any) -> Any:
        context = browser.new_context(**{"locale": "da-DK", **options})
        contexts.append(context)
        page = context.new_page()
        blocked: list[str] = []
        page.on(
            "console",
            lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None,
        )
        page.csp_blocked = blocked
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    # bypass_csp lets the test inject axe-core; the app's own pages need no exception.
    return new_page(bypass_csp=True)


@pytest.fixture
def csp_page(new_page):
    """A page that keeps the app's CSP (no bypass): axe-core goes through the DevTools
    protocol (`assert_accessible_under_csp`), which the page's CSP does not govern."""
    return new_page()


@pytest.fixture
def seeded(browser_app):
    """The demo municipalities, users and processes; their files in the live server's own
    storage (another app's instance folder would leave the demo entries' files missing)."""
    from autoproces.platform.db import db
    from autoproces.platform.demo import seed_demo

    with browser_app.app_context():
        seed_demo()
        db.session.commit()


@dataclass
class TenantProvider:
    """Alfa Kommune's own OpenID provider (tests/oidc_provider.py) for the live server."""

    provider: Any
    app: Any
    client_id: str = "autoproces-alpha"
    client_secret: str = "secret-alpha"

    @property
    def issuer(self) -> str:
        return self.provider.issuer

    def set_account(self, login: str, **claims: Any) -> None:
        self.provider.set_account(login, **claims)

    def connect(self, **settings: Any) -> None:
        """Alfa Kommune signs in through the provider, with these IdP settings."""
        from autoproces.platform.db import db
        from autoproces.platform.identity.services import save_idp
        from autoproces.platform.tenancy import activate_tenant, tenant_by_slug

        with self.app.app_context():
            tenant = tenant_by_slug("alpha")
            activate_tenant(tenant)
            save_idp(
                tenant,
                issuer=self.issuer,
                client_id=self.client_id,
                client_secret=self.client_secret,
                **settings,
            )
            db.session.commit()


@pytest.fixture
def alpha_provider(make, live_server, browser_app, tmp_path) -> Iterator[TenantProvider]:
    """Alfa Kommune and a running provider with its client; `connect()` puts them together."""
    from oidc_provider import OidcProvider

    make.tenant("alpha", "Alfa Kommune")
    client = oidc_client(
        TenantProvider.client_id,
        TenantProvider.client_secret,
        f"{live_server}/alpha/auth/callback",
        f"{live_server}/alpha/logget-ud",
    )
    provider = OidcProvider(tmp_path, [client]).start()
    try:
        yield TenantProvider(provider, browser_app)
    finally:
        provider.stop()

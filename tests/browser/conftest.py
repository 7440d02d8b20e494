"""Browser fixtures: the app served on loopback, Debian's Chromium driven by Playwright."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator

import pytest
from browser_helpers import CHROMIUM, CHROMIUM_ARGS
from helpers import REPO_ROOT


@pytest.fixture(scope="session")
def browser_app(database):
    """The demo app with CSRF and rate limits on, as a user meets it."""
    from helpers import app_env

    from autoproces.platform.app import create_app

    # The live server runs on a free port: the demo takes its address from the request.
    return create_app(app_env(database, AUTOPROCES_DEMO="1", AUTOPROCES_BASE_URL=""), TESTING=True)


@pytest.fixture(scope="session")
def live_server(browser_app) -> Iterator[str]:
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, browser_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


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
def page(browser):
    # bypass_csp lets the test inject axe-core; the app's own pages need no exception.
    context = browser.new_context(bypass_csp=True, locale="da-DK")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def seeded(demo_app):
    """The demo municipalities, users and processes."""
    from autoproces.platform.db import db
    from autoproces.platform.demo import seed_demo

    with demo_app.app_context():
        seed_demo()
        db.session.commit()

"""The Component interface: a component's panels, admin links and home plug into pages the
platform and the register render without naming the component."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask_babel import lazy_gettext as _l
from helpers import UNIT_TEST_CONFIG, app_env, login

from autoproces.platform.components import Component, load_components


@pytest.fixture
def extra_app(database, tmp_path: Path, monkeypatch):
    """The app with the register and a made-up component "extra" in front of it, without
    engagement: whatever the pages show of "extra" came through the interface."""
    from autoproces.platform import app as app_module
    from autoproces.platform.identity.auth import tenant_blueprint

    (tmp_path / "extra").mkdir()
    (tmp_path / "extra" / "_panel.html").write_text(
        "<section id='extra-panel'>Ekstra om {{ process.title }}</section>", encoding="utf-8"
    )
    bp = tenant_blueprint("extra", __name__, url_prefix="/ekstra", template_folder=str(tmp_path))

    @bp.get("/")
    def start() -> str:
        return "Ekstra-start"

    extra = Component(
        name="extra",
        init_app=lambda app, api: app.register_blueprint(bp),
        home="extra.start",
        admin_links=(("extra.start", _l("Processer"), None),),
        panels=(("process", "extra/_panel.html"),),
    )
    kept = [c for c in load_components() if c.name != "engagement"]
    monkeypatch.setattr(app_module, "load_components", lambda: [extra, *kept])
    return app_module.create_app(app_env(database), **UNIT_TEST_CONFIG)


def test_a_components_panel_shows_on_the_process_page_in_order(client, extra_app, make):
    tenant = make.tenant("alpha", "Alfa Kommune")
    erik = make.user(tenant, "employee", name="Erik Medarbejder")
    process = make.process(erik, title="Post ind")
    own = extra_app.test_client()
    login(own, erik)
    html = own.get(f"/alpha/processer/{process.id}").get_data(as_text=True)
    assert "<section id='extra-panel'>Ekstra om Post ind</section>" in html
    assert 'id="foelg"' not in html  # engagement is not loaded: its panel is gone too
    # The real app: engagement's panel comes the same way.
    login(client, erik)
    html = client.get(f"/alpha/processer/{process.id}").get_data(as_text=True)
    assert 'id="foelg"' in html and "extra-panel" not in html


def test_the_home_and_admin_links_come_from_the_components(extra_app, make):
    tenant = make.tenant("alpha", "Alfa Kommune")
    admin = make.user(tenant, "tenant_admin", name="Ada Admin")
    own = extra_app.test_client()
    assert 'href="/alpha/ekstra/"' in own.get("/").get_data(as_text=True)  # the front page
    login(own, admin)
    html = own.get("/alpha/admin/").get_data(as_text=True)
    assert '<a href="/alpha/ekstra/">Processer</a>' in html  # extra's admin link
    assert 'href="/alpha/processer/links"' in html  # the register's, after extra's
    assert html.count('href="/alpha/ekstra/"') >= 2  # also the header's home link


def test_the_registers_admin_link_and_home(client, make):
    tenant = make.tenant("alpha", "Alfa Kommune")
    admin = make.user(tenant, "tenant_admin", name="Ada Admin")
    assert 'href="/alpha/"' in client.get("/").get_data(as_text=True)
    login(client, admin)
    html = client.get("/alpha/admin/").get_data(as_text=True)
    assert '<a href="/alpha/processer/links">Links til indberetning</a>' in html


def test_a_usage_figure_names_a_plain_sql_function():
    Component(name="ok", init_app=lambda app, api: None, usage=(("n", "N", "count_things"),))
    with pytest.raises(ValueError, match="not an SQL function name"):
        Component(
            name="bad", init_app=lambda app, api: None, usage=(("n", "N", "x(); drop table t"),)
        )


def test_an_operator_page_must_be_behind_the_operators_sign_in(database, monkeypatch):
    """A page for the console's menu on an ordinary blueprint would be open to anyone: the app
    refuses to start with it."""
    from flask import Blueprint

    from autoproces.platform import app as app_module

    bp = Blueprint("open_pages", __name__, url_prefix="/operator/aaben")
    bp.add_url_rule("/", "start", lambda: "open")
    bad = Component(
        name="open",
        init_app=lambda app, api: app.register_blueprint(bp),
        operator_pages=(("open_pages.start", _l("Åben")),),
    )
    monkeypatch.setattr(app_module, "load_components", lambda: [bad, *load_components()])
    with pytest.raises(RuntimeError, match="operator page open_pages.start"):
        app_module.create_app(app_env(database), **UNIT_TEST_CONFIG)

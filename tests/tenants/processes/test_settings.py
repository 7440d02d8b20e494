"""The administrator's settings for the register: the formulas' figures and the priority
weights (with the preview of the top 10, without JavaScript and through htmx), the
fagområder, the audit log of every change, the API, and who may do it."""

from __future__ import annotations

import lxml.html
import pytest
from helpers import bearer, login
from html_forms import submitted
from sqlalchemy import text
from werkzeug.datastructures import MultiDict

URL = "/alpha/admin/register/"


@pytest.fixture
def alpha(make):
    tenant = make.tenant("alpha", "Alfa Kommune")
    admin = make.user(tenant, "tenant_admin", name="Ada Admin")
    team = make.user(tenant, "automation", name="Tea Team")
    # Much benefit but hard to build, against little benefit and easy (test_figures.py).
    big = make.process(
        team,
        title="Stor",
        occurrences_per_year=100000,
        minutes_per_occurrence=10,
        automation_share_pct=100,
        expected_dev_hours=2000,
    )
    easy = make.process(
        team,
        title="Let",
        occurrences_per_year=100,
        minutes_per_occurrence=5,
        automation_share_pct=100,
        expected_dev_hours=2,
    )
    beta = make.tenant("beta", "Beta Kommune")
    return {
        "tenant": tenant,
        "admin": admin,
        "team": team,
        "big": big,
        "easy": easy,
        "admin_token": make.token(admin),
        "team_token": make.token(team),
        "beta_admin_token": make.token(make.user(beta, "tenant_admin", name="Bea Admin")),
    }


def settings_form(html: str, **changes: str) -> list[tuple[str, str]]:
    return [(n, changes.get(n, v)) for n, v in submitted(html, "settings-form")]


def preview_numbers(html: str) -> list[int]:
    doc = lxml.html.fromstring(html)
    return [int(tr.get("data-number")) for tr in doc.xpath('//*[@id="weights-preview"]//tbody/tr')]


def domain_form(html: str, domain_id, action: str) -> list[tuple[str, str]]:
    """The row's form holding the `action` button, as a browser sends it pressed."""
    doc = lxml.html.fromstring(html)
    for form in doc.get_element_by_id(f"domain-{domain_id}").xpath(".//form"):
        if form.xpath(f'.//button[@value="{action}"]'):
            return [*form.form_values(), ("action", action)]
    raise AssertionError(f"no {action} button")


def domains(su_engine, tenant) -> list[tuple[str, bool]]:
    with su_engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                text("select name, active from domain where tenant_id = :t order by position"),
                {"t": tenant.id},
            )
        ]


def test_the_weights_saved_from_the_page_change_the_order_and_are_logged(client, alpha):
    login(client, alpha["admin"])
    html = client.get(URL).get_data(as_text=True)
    assert preview_numbers(html) == [alpha["big"].number, alpha["easy"].number]
    # The preview button shows the order the new weights give, and saves nothing.
    pairs = settings_form(html, weight_benefit="1", weight_ease="5") + [("action", "preview")]
    shown = client.post(URL, data=MultiDict(pairs)).get_data(as_text=True)
    assert preview_numbers(shown) == [alpha["easy"].number, alpha["big"].number]
    assert "rykker op" in shown
    assert preview_numbers(client.get(URL).get_data(as_text=True))[0] == alpha["big"].number
    # Saved (Danish decimals), the list's score order follows.
    pairs = settings_form(html, weight_ease="5,5", cost_per_hour_dkk="512,50")
    assert client.post(URL, data=MultiDict(pairs + [("action", "save")])).status_code == 302
    listed = client.get("/alpha/processer?sort=score").get_data(as_text=True)
    assert listed.index(">Let<") < listed.index(">Stor<")
    log = client.get("/alpha/admin/log").get_data(as_text=True)
    assert "Indstillinger ændret" in log and "Vægt: Lethed: 1.0 → 5.5" in log
    assert "Timepris (kr.): 450.0 → 512.5" in log


def test_htmx_previews_as_the_weights_are_typed(client, alpha):
    login(client, alpha["admin"])
    html = client.get(URL).get_data(as_text=True)
    doc = lxml.html.fromstring(html)
    form = doc.get_element_by_id("settings-form")
    assert form.get("hx-post") == URL and "from:.app-weight" in form.get("hx-trigger")
    answer = client.post(
        URL, data=MultiDict(settings_form(html, weight_ease="9")), headers={"HX-Request": "true"}
    )
    part = answer.get_data(as_text=True)
    assert part.lstrip().startswith('<section id="weights-preview"')
    assert preview_numbers(part) == [alpha["easy"].number, alpha["big"].number]


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"weight_ease": "-1"}, "weight_ease", "Skal være mellem 0 og 10."),
        ({"weight_ease": "abc"}, "weight_ease", "Skriv et tal, fx 1,5."),
        ({"hours_per_fte": "0"}, "hours_per_fte", "Skal være mellem 1 og 8784."),
        (
            {
                "weight_benefit": "0",
                "weight_suitability": "0",
                "weight_ease": "0",
                "weight_strategic": "0",
            },
            "weight_benefit",
            "Mindst én vægt skal være over 0.",
        ),
    ],
)
def test_bad_settings_are_named_in_danish_and_nothing_is_saved(
    client, alpha, su_engine, changes, field, message
):
    login(client, alpha["admin"])
    html = client.get(URL).get_data(as_text=True)
    answer = client.post(URL, data=MultiDict(settings_form(html, **changes) + [("action", "save")]))
    assert answer.status_code == 422
    page = lxml.html.fromstring(answer.get_data(as_text=True))
    assert page.get_element_by_id(f"{field}-error").text_content().strip() == message
    assert page.xpath(f'//*[@id="error-summary"]//a[@href="#{field}"]')
    with su_engine.connect() as conn:
        assert (
            conn.scalar(text("select count(*) from tenant_audit where action = 'settings.changed'"))
            == 0
        )


def test_a_nul_in_the_form_is_malformed_input(client, alpha):
    login(client, alpha["admin"])
    html = client.get(URL).get_data(as_text=True)
    answer = client.post(URL, data=MultiDict(settings_form(html, weight_ease="1\x00")))
    assert answer.status_code == 400


@pytest.mark.parametrize("role", ["employee", "manager", "automation"])
def test_only_the_administrator_sets_them(client, alpha, make, role):
    user = make.user(alpha["tenant"], role, name=f"Rolle {role}")
    login(client, user)
    assert client.get(URL).status_code == 403
    assert client.post(URL, data=MultiDict({"weight_ease": "3"})).status_code == 403
    assert client.post(URL + "fagomraader", data=MultiDict({"name": "X"})).status_code == 403
    api = client.application.test_client()
    token = make.token(user)
    assert api.get("/api/v1/settings", headers=bearer(token)).status_code == 403
    assert api.post("/api/v1/domains", json={"name": "X"}, headers=bearer(token)).status_code == 403


def test_the_administration_page_links_to_them(client, alpha):
    login(client, alpha["admin"])
    assert URL in client.get("/alpha/admin/").get_data(as_text=True)


def test_fagomraader_added_renamed_moved_deactivated_and_deleted(client, alpha, su_engine, make):
    login(client, alpha["admin"])
    before = domains(su_engine, alpha["tenant"])
    html = client.get(URL).get_data(as_text=True)
    assert (
        client.post(
            URL + "fagomraader",
            data=MultiDict(
                [
                    *((n, v) for n, v in submitted(html, "add-domain-form") if n != "name"),
                    ("name", "Robotter"),
                ]
            ),
        ).status_code
        == 302
    )
    # The same name again, whatever the case, is refused and named.
    again = client.post(
        URL + "fagomraader", data=MultiDict({"name": " robotter ", "csrf_token": ""})
    )
    assert again.status_code == 422
    assert "Der er allerede et fagområde med det navn." in again.get_data(as_text=True)
    assert domains(su_engine, alpha["tenant"])[-1] == ("Robotter", True)
    with su_engine.connect() as conn:
        new_id = conn.scalar(text("select id from domain where name = 'Robotter'"))
        first_id = conn.scalar(
            text("select id from domain where tenant_id = :t order by position limit 1"),
            {"t": alpha["tenant"].id},
        )
    html = client.get(URL).get_data(as_text=True)
    form = [(n, "Robotik" if n == "name" else v) for n, v in domain_form(html, new_id, "rename")]
    assert client.post(URL + f"fagomraader/{new_id}", data=MultiDict(form)).status_code == 302
    html = client.get(URL).get_data(as_text=True)
    assert (
        client.post(
            URL + f"fagomraader/{new_id}", data=MultiDict(domain_form(html, new_id, "up"))
        ).status_code
        == 302
    )
    assert [n for n, _a in domains(su_engine, alpha["tenant"])][-2:] == ["Robotik", before[-1][0]]
    html = client.get(URL).get_data(as_text=True)
    assert (
        'value="up"'
        not in lxml.html.tostring(
            lxml.html.fromstring(html).get_element_by_id(f"domain-{first_id}")
        ).decode()
    )
    html = client.get(URL).get_data(as_text=True)
    assert (
        client.post(
            URL + f"fagomraader/{new_id}", data=MultiDict(domain_form(html, new_id, "deactivate"))
        ).status_code
        == 302
    )
    assert ("Robotik", False) in domains(su_engine, alpha["tenant"])
    client.get(URL)  # the flash is shown
    intake = client.get("/alpha/processer/ny").get_data(as_text=True)
    assert "Robotik" not in intake
    # A used one cannot be deleted (409, in Danish); an unused one can.
    make.process(alpha["team"], title="Bruger et fagområde", domain_ids=[first_id])
    html = client.get(URL).get_data(as_text=True)
    used = client.post(
        URL + f"fagomraader/{first_id}", data=MultiDict(domain_form(html, first_id, "delete"))
    )
    assert used.status_code == 409 and "Deaktivér det i stedet" in used.get_data(as_text=True)
    gone = client.post(
        URL + f"fagomraader/{new_id}", data=MultiDict(domain_form(html, new_id, "delete"))
    )
    assert gone.status_code == 302
    assert "Robotik" not in [n for n, _a in domains(su_engine, alpha["tenant"])]
    log = client.get("/alpha/admin/log").get_data(as_text=True)
    for words in (
        "Tilføjet: ja",
        "Omdøbt: ja",
        "Navn: Robotter → Robotik",
        "Flyttet: ja",
        "Deaktiveret: ja",
        "Slettet: ja",
    ):
        assert words in log, words


def test_the_api_reads_and_changes_settings_and_fagomraader(client, alpha, su_engine):
    h = bearer(alpha["admin_token"])
    got = client.get("/api/v1/settings", headers=h).get_json()
    assert got["hours_per_fte"] == 1924 and got["weight_ease"] == 1
    changed = client.patch("/api/v1/settings", json={"weight_ease": 2.5}, headers=h)
    assert changed.status_code == 200 and changed.get_json()["weight_ease"] == 2.5
    bad = client.patch("/api/v1/settings", json={"weight_ease": "\ud800"}, headers=h)
    assert bad.status_code == 422 and "weight_ease" in str(bad.get_json())
    made = client.post("/api/v1/domains", json={"name": "Robotter"}, headers=h)
    assert made.status_code == 201
    domain_id = made.get_json()["id"]
    moved = client.patch(
        f"/api/v1/domains/{domain_id}", json={"position": 0, "name": "Robotik"}, headers=h
    )
    assert moved.status_code == 200 and moved.get_json()["position"] == 0
    assert domains(su_engine, alpha["tenant"])[0] == ("Robotik", True)
    assert client.delete(f"/api/v1/domains/{domain_id}", headers=h).status_code == 204
    # Another municipality's administrator: its id is not found.
    other = bearer(alpha["beta_admin_token"])
    with su_engine.connect() as conn:
        ours = conn.scalar(
            text("select id from domain where tenant_id = :t limit 1"), {"t": alpha["tenant"].id}
        )
    assert (
        client.patch(f"/api/v1/domains/{ours}", json={"name": "X"}, headers=other).status_code
        == 404
    )
    assert client.delete(f"/api/v1/domains/{ours}", headers=other).status_code == 404


def test_another_municipalitys_fagomraade_is_not_found_from_the_pages(
    client, alpha, make, su_engine
):
    with su_engine.connect() as conn:
        ours = conn.scalar(
            text("select id from domain where tenant_id = :t limit 1"), {"t": alpha["tenant"].id}
        )
    beta_admin = make.user(make.tenant("gamma", "Gamma Kommune"), "tenant_admin", name="Gry Admin")
    login(client, beta_admin)
    for action in ("rename", "up", "deactivate", "delete"):
        answer = client.post(
            f"/gamma/admin/register/fagomraader/{ours}", data={"action": action, "name": "X"}
        )
        assert answer.status_code == 404, action
    assert domains(su_engine, alpha["tenant"])[0][0] != "X"

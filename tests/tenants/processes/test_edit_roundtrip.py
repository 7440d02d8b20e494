"""Every role that can open a process's edit page can save exactly what the page shows
(issue 8, B8): the rendered form, parsed and posted back untouched, saves."""

from __future__ import annotations

import re

import pytest
from helpers import login
from html_forms import field_names, submitted
from werkzeug.datastructures import MultiDict

from autoproces.tenants.processes.form import REPORTER_FIELDS

TECHNICAL = {"csrf_token", "version"}


@pytest.fixture
def alpha(make):
    tenant = make.tenant("alpha")
    team = make.user(tenant, "automation", name="Tea Team")
    return tenant, team


def _edit_page(client, pid) -> str:
    r = client.get(f"/alpha/processer/{pid}/rediger")
    assert r.status_code == 200, r.status_code
    return r.get_data(as_text=True)


def _save_untouched(client, pid, **changes) -> None:
    html = _edit_page(client, pid)
    data = submitted(html, "process-form")
    if changes:
        data = [(k, v) for k, v in data if k not in changes] + list(changes.items())
    r = client.post(f"/alpha/processer/{pid}/rediger", data=MultiDict(data))
    assert r.status_code == 302, r.get_data(as_text=True)[-3000:]
    assert "/rediger" not in r.headers["Location"]


@pytest.mark.parametrize("role", ["employee", "manager", "tenant_admin", "automation"])
def test_every_role_saves_its_own_idea_from_the_rendered_form(client, make, alpha, role):
    tenant, team = alpha
    reporter = make.user(tenant, role, name=f"Rita {role}")
    p = make.process(
        reporter,
        title="Bestilling af tolk",
        summary="Tolke bestilles pr. telefon.",
        description="Linje et\nLinje to",
        occurrences_per_year=1200,
        minutes_per_occurrence=7.5,
    )
    login(client, reporter)
    html = _edit_page(client, p.id)
    shown = field_names(html, "process-form") - TECHNICAL - {"refresh"}
    if role != "automation":
        # What the reporter is shown is exactly what they may write (and nothing else).
        assert shown == set(REPORTER_FIELDS), shown ^ set(REPORTER_FIELDS)
    _save_untouched(client, p.id)
    # A save with a real change by the same person also goes through.
    _save_untouched(client, p.id, title="Bestilling af tolk via portal")
    page = client.get(f"/alpha/processer/{p.id}").get_data(as_text=True)
    assert "Bestilling af tolk via portal" in page
    history = page[page.index('id="history"') :]
    # The untouched save changed nothing: only the title is in the history.
    assert history.count("<li>") == 1 + 1, history[:2000]


@pytest.mark.parametrize(
    "phase",
    ["idea", "preanalysis", "specification", "development", "implementation", "operation"],
)
def test_the_team_saves_the_rendered_form_in_every_phase(client, make, alpha, phase):
    tenant, team = alpha
    p = make.process(team, phase=phase, description="a\nb", targets_citizens=True)
    login(client, team)
    _save_untouched(client, p.id)
    page = client.get(f"/alpha/processer/{p.id}").get_data(as_text=True)
    assert "Ingen ændringer endnu." in page, page[page.find("Historik") :][
        :1500
    ]  # an untouched form changes nothing


def test_reporter_cannot_open_a_colleagues_idea_nor_their_own_once_assessed(client, make, alpha):
    tenant, team = alpha
    employee = make.user(tenant, "employee")
    colleague = make.user(tenant, "employee")
    theirs = make.process(colleague)
    login(client, employee)
    assert client.get(f"/alpha/processer/{theirs.id}/rediger").status_code == 403
    mine = make.process(employee)
    login(client, team)
    domain = re.search(r'name="domain_ids" value="([0-9a-f-]+)"', _edit_page(client, mine.id))
    _save_untouched(
        client, mine.id, phase="preanalysis", status="in_progress", domain_ids=domain.group(1)
    )
    login(client, employee)
    assert client.get(f"/alpha/processer/{mine.id}/rediger").status_code == 403


def test_every_text_field_stops_at_the_limit_the_server_enforces(client, make, alpha):
    """The page's maxlength is the schema's limit (read from it), and text typed up to it with
    line breaks (sent as CRLF by a browser, which counts them as one character) saves."""
    import lxml.html

    from autoproces.tenants.processes.form import MAX_LENGTHS
    from autoproces.tenants.processes.schemas import LONG_TEXT

    tenant, team = alpha
    p = make.process(team, phase="operation")
    login(client, team)
    html = _edit_page(client, p.id)
    form = lxml.html.fromstring(html).get_element_by_id("process-form")
    shown = {
        e.get("name"): e.get("maxlength")
        for e in form.xpath(".//input[@type='text']|.//textarea")
        if e.get("name") in MAX_LENGTHS
    }
    assert shown and shown == {name: str(MAX_LENGTHS[name]) for name in shown}
    assert {"title", "summary", "description", "what_worked"} <= shown.keys()
    line = "x" * 99 + "\n"
    full = (line * (LONG_TEXT // len(line)))[: LONG_TEXT - 1] + "y"
    assert len(full) == LONG_TEXT
    _save_untouched(client, p.id, description=full.replace("\n", "\r\n"))
    r = client.post(
        f"/alpha/processer/{p.id}/rediger",
        data=MultiDict(
            [(k, v) for k, v in submitted(_edit_page(client, p.id), "process-form") if k != "title"]
            + [("title", "t" * (MAX_LENGTHS["title"] + 1))]
        ),
    )
    assert r.status_code == 422 and "Højst 120 tegn" in r.get_data(as_text=True)

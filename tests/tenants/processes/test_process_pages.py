"""The process pages: detail with every filled-in field and the history, and the edit form
whose fields grow with the phase, with Danish errors and the 409 message."""

from __future__ import annotations

import re

import pytest
from helpers import bearer, login


@pytest.fixture
def alpha(make):
    tenant = make.tenant("alpha")
    team = make.user(tenant, "automation", name="Tea Team")
    other = make.user(tenant, "automation", name="Otto Anden")
    employee = make.user(tenant, "employee", name="Erik Medarbejder")
    return tenant, team, other, employee


def edit_form(client, pid):
    html = client.get(f"/alpha/processer/{pid}/rediger").get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', html).group(1)
    return html, version


def test_edit_form_grows_with_the_phase(client, make, alpha):
    tenant, team, other, employee = alpha
    p = make.process(team, title="Journalisering")
    login(client, team)
    html, version = edit_form(client, p.id)
    assert 'name="current_process"' in html and 'name="phase"' in html
    assert 'name="quality_gain"' not in html and 'name="what_worked"' not in html
    p2 = make.process(team, title="I drift", phase="operation")
    html, _v = edit_form(client, p2.id)
    assert 'name="quality_gain"' in html and 'name="technologies"' in html
    assert 'name="what_worked"' in html


def test_reporter_sees_only_the_idea_fields(client, make, alpha):
    tenant, team, other, employee = alpha
    p = make.process(employee, title="Min idé")
    login(client, employee)
    html, _v = edit_form(client, p.id)
    assert 'name="summary"' in html and 'name="phase"' not in html
    assert 'name="internal_notes"' not in html
    theirs = make.process(team)
    assert client.get(f"/alpha/processer/{theirs.id}/rediger").status_code == 403


def test_save_from_the_form_and_see_the_history(client, make, alpha):
    tenant, team, other, employee = alpha
    p = make.process(team, title="Journalisering")
    login(client, team)
    html, version = edit_form(client, p.id)
    domain = re.search(r'name="domain_ids" value="([0-9a-f-]+)"', html).group(1)
    r = client.post(
        f"/alpha/processer/{p.id}/rediger",
        data={
            "version": version,
            "title": "Automatisk journalisering",
            "summary": p.summary,
            "domain_ids": [domain],
            "occurrences_per_year": "1.200",
            "minutes_per_occurrence": "7,5",
            "automation_share_pct": "80",
            "phase": "preanalysis",
            "status": "in_progress",
            "it_systems": "SBSYS; SBSYS\nOutlook",
            "visibility": "municipality",
        },
    )
    assert r.status_code == 302, r.get_data(as_text=True)
    html = client.get(f"/alpha/processer/{p.id}").get_data(as_text=True)
    assert "Automatisk journalisering" in html and "Foranalyse" in html
    assert "SBSYS (SBSYS), Outlook" in html
    assert 'id="expected-hours">120' in html  # 1200 × 7.5 × 80 % / 60
    history = html[html.index('id="history"') :]
    assert "Tea Team" in history and "Idé → Foranalyse" in history
    assert "Journalisering → Automatisk journalisering" in history


def test_form_errors_are_danish_and_keep_the_input(client, make, alpha):
    tenant, team, other, employee = alpha
    p = make.process(team)
    login(client, team)
    _html, version = edit_form(client, p.id)
    r = client.post(
        f"/alpha/processer/{p.id}/rediger",
        data={
            "version": version,
            "title": "Ny titel",
            "summary": p.summary,
            "automation_share_pct": "150",
            "phase": "operation",
            "status": "rejected",
            "status_reason": "",
            "occurrences_per_year": "mange",
        },
    )
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "Ændringerne kunne ikke gemmes" in html
    assert "Skal være mellem 0 og 100." in html and "Skal være et helt tal." in html
    assert 'value="Ny titel"' in html


def test_phase_rules_in_the_form(client, make, alpha):
    tenant, team, other, employee = alpha
    p = make.process(team)
    login(client, team)
    _html, version = edit_form(client, p.id)
    r = client.post(
        f"/alpha/processer/{p.id}/rediger",
        data={
            "version": version,
            "title": p.title,
            "summary": p.summary,
            "phase": "operation",
            "status": "not_assessed",
        },
    )
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "Skal udfyldes for fasen I drift." in html and 'href="#put_into_operation_at"' in html


def test_a_stale_edit_shows_the_other_persons_change(client, make, alpha, app):
    tenant, team, other, employee = alpha
    p = make.process(team, title="Oprindelig")
    login(client, team)
    _html, version = edit_form(client, p.id)
    other_client = app.test_client()
    login(other_client, other)
    _h, v2 = edit_form(other_client, p.id)
    assert (
        other_client.post(
            f"/alpha/processer/{p.id}/rediger",
            data={
                "version": v2,
                "title": "Ottos titel",
                "summary": p.summary,
                "phase": "idea",
                "status": "not_assessed",
            },
        ).status_code
        == 302
    )
    r = client.post(
        f"/alpha/processer/{p.id}/rediger",
        data={
            "version": version,
            "title": "Min titel",
            "summary": p.summary,
            "phase": "idea",
            "status": "not_assessed",
        },
    )
    assert r.status_code == 409
    html = r.get_data(as_text=True)
    assert "Otto Anden har ændret processen" in html
    assert "Oprindelig → Ottos titel" in html
    assert 'value="Min titel"' in html  # what this person typed is kept
    # Saving again (now against the new version) overwrites.
    new_version = re.search(r'name="version" value="(\d+)"', html).group(1)
    assert (
        client.post(
            f"/alpha/processer/{p.id}/rediger",
            data={
                "version": new_version,
                "title": "Min titel",
                "summary": p.summary,
                "phase": "idea",
                "status": "not_assessed",
            },
        ).status_code
        == 302
    )


def test_intake_with_fagomraade_and_time_in_danish_numbers(client, make, alpha, su_engine):
    from sqlalchemy import text

    tenant, team, other, employee = alpha
    login(client, employee)
    html = client.get("/alpha/processer/ny").get_data(as_text=True)
    domain = re.search(r'<option value="([0-9a-f-]+)"[^>]*>Økonomi</option>', html).group(1)
    r = client.post(
        "/alpha/processer/ny",
        data={
            "title": "Bogføring af bilag",
            "summary": "Bilag bogføres i hånden.",
            "domain": domain,
            "occurrences_per_year": "2.400",
            "minutes_per_occurrence": "2,5",
            "visibility": "municipality",
        },
    )
    assert r.status_code == 302
    with su_engine.connect() as conn:
        row = conn.execute(
            text(
                "select occurrences_per_year, minutes_per_occurrence,"
                " (select count(*) from process_domain) from process"
            )
        ).one()
    assert row[0] == 2400 and float(row[1]) == 2.5 and row[2] == 1
    r = client.post(
        "/alpha/processer/ny", data={"title": "t", "summary": "s", "occurrences_per_year": "mange"}
    )
    assert r.status_code == 422 and "Skal være et helt tal." in r.get_data(as_text=True)


def test_link_per_fagomraade_opens_the_form_with_it_chosen(client, make, alpha):
    tenant, team, other, employee = alpha
    admin = make.user(tenant, "tenant_admin")
    login(client, employee)
    assert client.get("/alpha/processer/links").status_code == 403
    login(client, admin)
    html = client.get("/alpha/processer/links").get_data(as_text=True)
    link = re.search(
        r'href="http://localhost(/alpha/processer/ny\?fagomraade=[0-9a-f-]+)"', html
    ).group(1)
    form = client.get(link).get_data(as_text=True)
    assert re.search(r'<option value="[0-9a-f-]+" selected>Administration</option>', form)


def test_similar_ideas_are_shown_while_typing(client, make, alpha):
    tenant, team, other, employee = alpha
    make.process(team, title="Automatisk journalisering af e-mails")
    make.process(team, title="Fakturahåndtering", summary="Kreditorer betales til tiden.")
    make.process(team, title="Privat journalisering", visibility="personal")
    login(client, employee)
    html = client.get("/alpha/processer/lignende?title=journalisering af mails").get_data(
        as_text=True
    )
    assert "Automatisk journalisering af e-mails" in html
    assert "Fakturahåndtering" not in html and "Privat journalisering" not in html
    assert client.get("/alpha/processer/lignende?title=ab").get_data(as_text=True).strip() == ""


def test_numbers_and_dates_read_the_danish_way_on_the_page_and_in_the_history(client, make, alpha):
    from datetime import date

    tenant, team, _other, _employee = alpha
    process = make.process(
        team,
        phase="preanalysis",
        occurrences_per_year=1200,
        minutes_per_occurrence=7.5,
        legal_basis="Serviceloven",
        legal_basis_verified_at=date(2026, 3, 5),
    )
    login(client, team)
    r = client.patch(
        f"/api/v1/processes/{process.id}",
        json={"version": process.version, "minutes_per_occurrence": 12.25},
        headers=bearer(make.token(team)),
    )
    assert r.status_code == 200
    html = client.get(f"/alpha/processer/{process.id}").get_data(as_text=True)
    assert '<dd class="app-pre">1.200</dd>' in html
    assert '<dd class="app-pre">12,25</dd>' in html
    assert "5. mar. 2026" in html
    assert "7,5 → 12,25" in html  # the history


def test_a_deactivated_owner_stays_in_the_edit_form(client, make, alpha, app):
    from autoproces.platform.db import db
    from autoproces.platform.identity.services import set_user_active
    from autoproces.platform.tenancy import activate_tenant, tenant_by_slug

    tenant, team, other, _employee = alpha
    p = make.process(team, phase="specification", owner_id=other.id)
    with app.app_context():
        t = tenant_by_slug("alpha")
        activate_tenant(t)
        set_user_active(t, other.id, False)
        db.session.commit()
    login(client, team)
    html, version = edit_form(client, p.id)
    owner_select = html[
        html.index('id="owner_id"') : html.index("</select>", html.index('id="owner_id"'))
    ]
    assert f'value="{other.id}" selected>Otto Anden (deaktiveret)' in owner_select
    contact_select = html[html.index('id="contact_id"') :]
    contact_select = contact_select[: contact_select.index("</select>")]
    assert "Otto Anden" not in contact_select  # not offered where nobody chose them
    # Saving the form unchanged keeps the owner (it used to be dropped without a word).
    form = dict(re.findall(r'<input[^>]*name="([a-z_]+)"[^>]*value="([^"]*)"', html))
    form.update(
        {
            "version": version,
            "owner_id": str(other.id),
            "contact_id": str(team.id),
            "phase": "specification",
            "status": "not_assessed",
            "visibility": "municipality",
        }
    )
    r = client.post(f"/alpha/processer/{p.id}/rediger", data=form)
    assert r.status_code == 302, r.get_data(as_text=True)[-3000:]
    html = client.get(f"/alpha/processer/{p.id}").get_data(as_text=True)
    assert "Otto Anden" in html


def test_choosing_a_phase_shows_the_fields_it_needs_and_keeps_the_input(client, make, alpha):
    """Issue 8, B9: without JavaScript, "Vis felterne for den valgte fase" draws the form
    again for the chosen phase with everything typed; htmx posts the same (refresh=1)."""
    from html_forms import field_names, submitted
    from werkzeug.datastructures import MultiDict

    tenant, team, other, employee = alpha
    p = make.process(team, phase="specification", title="Journalisering")
    login(client, team)
    html, _version = edit_form(client, p.id)
    names = field_names(html, "process-form")
    assert "technologies" not in names and "quality_gain" in names
    data = MultiDict(submitted(html, "process-form", button="refresh"))
    data.setlist("phase", ["development"])
    data.setlist("title", ["Journalisering, ny titel"])
    r = client.post(f"/alpha/processer/{p.id}/rediger", data=data)
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert 'id="technologies"' in html and 'name="vendor"' in html
    assert 'value="Journalisering, ny titel"' in html  # what was typed is kept
    assert '<option value="development" selected>' in html
    # Nothing was saved, and the page still says which phase the process is in.
    assert "Journalisering · Specifikation" in html
    show = client.get(f"/alpha/processer/{p.id}").get_data(as_text=True)
    assert "Ingen ændringer endnu." in show
    # The idea's form shows the nine assessment questions once Foranalyse is chosen.
    idea = make.process(team, title="Ny idé")
    html, _v = edit_form(client, idea.id)
    assert "quality_gain" not in field_names(html, "process-form")
    data = MultiDict(submitted(html, "process-form", button="refresh"))
    data.setlist("phase", ["preanalysis"])
    html = client.post(f"/alpha/processer/{idea.id}/rediger", data=data).get_data(as_text=True)
    names = field_names(html, "process-form")
    from autoproces.tenants.processes.models import ASSESSMENT_FIELDS

    assert set(ASSESSMENT_FIELDS) <= names
    # The phase select redraws the field groups by htmx, with the same refresh.
    select = html[html.index('<select class="form-select" id="phase"') :]
    select = select[: select.index(">")]
    assert 'hx-post="/alpha/processer/' in select and "refresh" in select
    assert 'hx-select="#field-groups"' in select and 'id="field-groups"' in html


def test_phase_errors_name_fields_by_their_labels_and_link_to_them(client, make, alpha):
    from html_forms import submitted
    from werkzeug.datastructures import MultiDict

    tenant, team, other, employee = alpha
    p = make.process(
        team, phase="specification", contact_id=None, technologies=[], title="Journalisering"
    )
    login(client, team)
    html, _v = edit_form(client, p.id)
    data = MultiDict(submitted(html, "process-form"))
    data.setlist("phase", ["development"])
    r = client.post(f"/alpha/processer/{p.id}/rediger", data=data)
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "Fasen Udvikling kræver: Teknisk kontaktperson, Anvendt teknologi." in html
    start = html.index("data-error-summary")
    summary = html[start : html.index("</ul>", start)]
    links = re.findall(r'href="#([a-z_]+)"', summary)
    # In the form's order, each pointing at a field that is on the page.
    assert links == ["phase", "contact_id", "technologies"], links
    for name in links:
        assert f'id="{name}"' in html
    assert "Journalisering · Specifikation" in html  # the stored phase, not the refused one
    # Filling in what the phase needs on the redrawn form moves the process.
    data = MultiDict(submitted(html, "process-form"))
    data.setlist("technologies", ["RPA"])
    data.setlist("contact_id", [str(team.id)])
    assert client.post(f"/alpha/processer/{p.id}/rediger", data=data).status_code == 302
    assert "Udvikling" in client.get(f"/alpha/processer/{p.id}").get_data(as_text=True)


def test_one_save_is_one_history_entry_with_only_what_changed(client, make, alpha, app):
    """Issue 8, B12: untouched empty yes/no fields stay empty (no "– → Nej"), also in the
    409 box, and a save's changes are grouped under one who-and-when."""
    from html_forms import submitted
    from werkzeug.datastructures import MultiDict

    tenant, team, other, employee = alpha
    p = make.process(team, phase="preanalysis", title="Journalisering", minutes_per_occurrence=7.5)
    login(client, team)
    html, _v = edit_form(client, p.id)
    assert 'name="gdpr_personal_data"' in html
    data = MultiDict(submitted(html, "process-form"))
    data.setlist("title", ["Journalisering af post"])
    data.setlist("minutes_per_occurrence", ["8,25"])
    assert client.post(f"/alpha/processer/{p.id}/rediger", data=data).status_code == 302
    show = client.get(f"/alpha/processer/{p.id}").get_data(as_text=True)
    history = show[
        show.index('id="history"') : show.index("</ul></li>", show.index('id="history"'))
    ]
    changes = re.findall(r"<li>([^<]*)</li>", history)
    assert changes == [
        "Titel: Journalisering → Journalisering af post",
        "Minutter pr. gang: 7,5 → 8,25",
    ], changes
    assert history.count('class="app-meta"') == 1
    # The other person's save, as the 409 box shows it: the same fields, nothing more.
    html, _v = edit_form(client, p.id)
    stale = MultiDict(submitted(html, "process-form"))
    other_client = app.test_client()
    login(other_client, other)
    theirs, _v2 = edit_form(other_client, p.id)
    data = MultiDict(submitted(theirs, "process-form"))
    data.setlist("title", ["Ottos titel"])
    assert other_client.post(f"/alpha/processer/{p.id}/rediger", data=data).status_code == 302
    stale.setlist("title", ["Min titel"])
    r = client.post(f"/alpha/processer/{p.id}/rediger", data=stale)
    assert r.status_code == 409
    box = r.get_data(as_text=True)
    box = box[box.index('id="conflict"') : box.index("</div>", box.index('id="conflict"'))]
    assert re.findall(r"<li>([^<]*)</li>", box) == ["Titel: Journalisering af post → Ottos titel"]
    assert "Nej" not in box


def test_numbers_in_the_form_read_and_write_the_danish_way(client, make, alpha):
    """Issue 8, B13: the input shows 7,5 (as the page does) and saves it back; limits are
    written with thousands separators; exponent notation is refused in so many words."""
    from html_forms import submitted
    from werkzeug.datastructures import MultiDict

    tenant, team, other, employee = alpha
    p = make.process(team, minutes_per_occurrence=7.5, occurrences_per_year=1200)
    login(client, team)
    html, _v = edit_form(client, p.id)
    assert re.search(r'id="minutes_per_occurrence"[^>]*value="7,5"', html, re.S)
    data = MultiDict(submitted(html, "process-form"))
    data.setlist("occurrences_per_year", ["20.000.000"])
    data.setlist("minutes_per_occurrence", ["1e5"])
    r = client.post(f"/alpha/processer/{p.id}/rediger", data=data)
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "Skal være mellem 0 og 10.000.000." in html
    assert "Skriv tallet uden eksponent, fx 100000 i stedet for 1e5." in html
    data.setlist("occurrences_per_year", ["1e5"])
    html = client.post(f"/alpha/processer/{p.id}/rediger", data=data).get_data(as_text=True)
    assert html.count("Skriv tallet uden eksponent") >= 2
    # The API says the same of a string with an exponent, and still takes JSON numbers.
    token = make.token(team)
    r = client.patch(
        f"/api/v1/processes/{p.id}",
        json={"version": p.version, "minutes_per_occurrence": "1e5"},
        headers=bearer(token),
    )
    assert r.status_code == 422 and "minutes_per_occurrence" in r.get_data(as_text=True)
    data.setlist("occurrences_per_year", ["1.500"])
    data.setlist("minutes_per_occurrence", ["12,25"])
    assert client.post(f"/alpha/processer/{p.id}/rediger", data=data).status_code == 302
    show = client.get(f"/alpha/processer/{p.id}").get_data(as_text=True)
    assert "Minutter pr. gang: 7,5 → 12,25" in show and "1.200 → 1.500" in show


def test_error_summary_takes_the_focus_and_follows_the_form_order(client, make, alpha):
    tenant, team, other, employee = alpha
    p = make.process(team, phase="preanalysis")
    login(client, team)
    _html, version = edit_form(client, p.id)
    r = client.post(
        f"/alpha/processer/{p.id}/rediger",
        data={
            "version": version,
            "kle_code": "nix",  # in the schema before priority_rank, in the form after it
            "priority_rank": "først",
            "title": "",
            "summary": p.summary,
            "automation_share_pct": "150",
            "occurrences_per_year": "mange",
        },
    )
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    start = html.index("data-error-summary")
    assert 'tabindex="-1"' in html[start - 200 : start]
    links = re.findall(r'href="#([a-z_]+)"', html[start : html.index("</ul>", start)])
    assert links == [
        "title",
        "occurrences_per_year",
        "automation_share_pct",
        "priority_rank",
        "kle_code",
    ], links
    # The intake form's summary takes the focus too (app.js focuses [data-error-summary]).
    login(client, employee)
    r = client.post("/alpha/processer/ny", data={"title": "", "summary": ""})
    assert r.status_code == 422 and "data-error-summary" in r.get_data(as_text=True)
    js = client.get("/static/app.js").get_data(as_text=True)
    assert 'querySelector("[data-error-summary]")' in js


def test_the_reporter_is_told_who_sees_a_private_idea_and_not_of_missing_figures(
    client, make, alpha
):
    tenant, team, other, employee = alpha
    login(client, employee)
    html = client.get("/alpha/processer/ny").get_data(as_text=True)
    hint = 'id="visibility-personal-hint">Kun du, automatiseringsteamet og lederne kan se den.'
    assert hint in html and 'aria-describedby="visibility-personal-hint"' in html
    r = client.post(
        "/alpha/processer/ny",
        data={
            "title": "Tolk",
            "summary": "Tolke bestilles pr. telefon.",
            "occurrences_per_year": "200",
            "minutes_per_occurrence": "10",
            "visibility": "personal",
        },
        follow_redirects=True,
    )
    receipt = r.get_data(as_text=True)
    assert "(mangler tal)" not in receipt
    assert "Beregnes, når automatiseringsteamet har vurderet" in receipt
    pid = re.search(r"/alpha/processer/([0-9a-f-]{36})/rediger", receipt).group(1)
    edit = client.get(f"/alpha/processer/{pid}/rediger").get_data(as_text=True)
    assert "Privat: Kun du, automatiseringsteamet og lederne kan se den." in edit


def test_the_team_deletes_a_process_from_its_page(client, make, alpha):
    tenant, team, other, employee = alpha
    p = make.process(employee, title="Slettes")
    login(client, team)
    _html, version = edit_form(client, p.id)
    r = client.post(
        f"/alpha/processer/{p.id}/rediger",
        data={"version": version, "status": "in_progress", "phase": "idea"},
    )
    assert r.status_code == 302
    login(client, employee)
    page = client.get(f"/alpha/processer/{p.id}").get_data(as_text=True)
    assert "Slet processen" not in page  # assessed: no longer the reporter's to delete
    assert client.post(f"/alpha/processer/{p.id}/slet").status_code == 403
    login(client, team)
    page = client.get(f"/alpha/processer/{p.id}").get_data(as_text=True)
    assert f'href="/alpha/processer/{p.id}/slet"' in page
    confirm = client.get(f"/alpha/processer/{p.id}/slet").get_data(as_text=True)
    assert "Slet processen?" in confirm and "Ja, slet processen" in confirm
    r = client.post(f"/alpha/processer/{p.id}/slet")
    assert r.status_code == 302 and r.headers["Location"].endswith("/alpha/processer")
    assert client.get(f"/alpha/processer/{p.id}").status_code == 404
    # The reporter may still delete their own fresh idea from its page.
    mine = make.process(employee, title="Min friske idé")
    login(client, employee)
    assert "Slet processen" in client.get(f"/alpha/processer/{mine.id}").get_data(as_text=True)
    assert client.post(f"/alpha/processer/{mine.id}/slet").status_code == 302


def test_a_favicon_served_by_the_app(client, make, alpha):
    html = client.get("/").get_data(as_text=True)
    assert '<link rel="icon" type="image/svg+xml" href="/static/favicon.svg">' in html
    r = client.get("/static/favicon.svg")
    assert r.status_code == 200 and r.mimetype == "image/svg+xml"
    r = client.get("/favicon.ico")
    assert r.status_code == 301 and r.headers["Location"].endswith("/static/favicon.svg")


def test_the_shareable_checkbox_has_the_dkfds_checkbox_wrapper(client, make, alpha):
    tenant, team, other, employee = alpha
    p = make.process(team)
    login(client, team)
    html = client.get(f"/alpha/processer/{p.id}").get_data(as_text=True)
    assert re.search(
        r'<div class="form-group-checkbox">\s*<input class="form-checkbox" type="checkbox"'
        r' id="attachment-shareable"',
        html,
    )

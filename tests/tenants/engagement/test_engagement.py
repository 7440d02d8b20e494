"""Comments, following, favourites and the e-mails followers get (queued in the outbox in
the transaction of the change)."""

from __future__ import annotations

import dataclasses
import uuid
from types import SimpleNamespace

import pytest
from helpers import app_env, bearer, login
from sqlalchemy import text


@pytest.fixture
def alpha(make):
    tenant = make.tenant("alpha", "Alfa Kommune")
    team = make.user(tenant, "automation", name="Tea Team", email="tea@alpha.dk")
    erik = make.user(tenant, "employee", name="Erik Medarbejder", email="erik@alpha.dk")
    mona = make.user(tenant, "employee", name="Mona Kollega", email="mona@alpha.dk")
    beta = make.tenant("beta", "Beta Kommune")
    stranger = make.user(beta, "automation", name="Bo Beta")
    return SimpleNamespace(
        tenant=tenant,
        team=team,
        erik=erik,
        mona=mona,
        stranger=stranger,
        team_token=make.token(team),
        erik_token=make.token(erik),
        mona_token=make.token(mona),
        stranger_token=make.token(stranger),
    )


def comments_url(process_id) -> str:
    return f"/api/v1/processes/{process_id}/comments"


def comment(client, token, process_id, body):
    return client.post(comments_url(process_id), json={"body": body}, headers=bearer(token))


def outbox(su_engine, tenant_id=None) -> list:
    with su_engine.connect() as conn:
        return conn.execute(
            text(
                "select to_address, subject, body_text, kind, status from outbox_message"
                " where :t is null or tenant_id = cast(:t as uuid) order by to_address, created_at"
            ),
            {"t": str(tenant_id) if tenant_id else None},
        ).all()


def count(su_engine, table: str, **where) -> int:
    clause = " and ".join(f"{k} = :{k}" for k in where) or "true"
    with su_engine.connect() as conn:
        return conn.scalar(text(f"select count(*) from {table} where {clause}"), where)


# --- Markdown and sanitising ---------------------------------------------------------------


def test_markdown_is_rendered_with_only_basic_tags():
    from autoproces.tenants.engagement.services import render_markdown

    html = render_markdown(
        "**fed** og *kursiv*\n\n- en\n- to\n\n> citat\n\n`kode`\n\n"
        "[OS2](https://os2.eu) [farlig](javascript:alert(1)) <script>alert(1)</script>"
        '<img src=x onerror="alert(1)"> <a href="https://x.dk" onclick="evil()">x</a>'
        '<div style="color:red">div</div><iframe src="https://evil"></iframe>'
    )
    assert "<strong>fed</strong>" in html and "<em>kursiv</em>" in html
    assert "<ul>" in html and "<li>en</li>" in html and "<blockquote>" in html
    assert "<code>kode</code>" in html
    assert '<a href="https://os2.eu" rel="noopener noreferrer">OS2</a>' in html
    for bad in (
        "<script",
        "alert(1)</",
        "onerror",
        "onclick",
        "javascript:",
        "<img",
        "style=",
        "<div",
        "<iframe",
    ):
        assert bad not in html, bad


def test_comments_are_sanitised_in_the_api_and_on_the_page(client, alpha, make):
    process = make.process(alpha.erik)
    r = comment(
        client,
        alpha.mona_token,
        process.id,
        "Se **her**: [link](https://os2.eu)\n\n<script>alert('x')</script>"
        "<img src=x onerror=alert(1)> [klik](javascript:alert(2))",
    )
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["author"] == {"id": str(alpha.mona.id), "name": "Mona Kollega"}
    assert body["body"].startswith("Se **her**")  # the Markdown as written
    html = body["body_html"]
    assert "<strong>her</strong>" in html and 'rel="noopener noreferrer"' in html
    assert "<script" not in html and "onerror" not in html and "javascript:" not in html
    listed = client.get(comments_url(process.id), headers=bearer(alpha.erik_token)).get_json()
    assert [c["id"] for c in listed] == [body["id"]]

    login(client, alpha.erik)
    page = client.get(f"/alpha/processer/{process.id}").get_data(as_text=True)
    assert "<strong>her</strong>" in page
    assert "alert('x')" not in page and "onerror" not in page and "javascript:" not in page


# --- Who may comment ---------------------------------------------------------------------


def test_anyone_who_sees_a_process_may_comment_others_get_404(client, alpha, make):
    public = make.process(alpha.erik)
    private = make.process(alpha.erik, title="Privat idé", visibility="personal")
    assert comment(client, alpha.mona_token, public.id, "God idé!").status_code == 201
    # Another employee's private idea does not exist for Mona.
    for r in (
        comment(client, alpha.mona_token, private.id, "Hej"),
        client.get(comments_url(private.id), headers=bearer(alpha.mona_token)),
        client.put(f"/api/v1/processes/{private.id}/follow", headers=bearer(alpha.mona_token)),
        client.put(f"/api/v1/processes/{private.id}/favourite", headers=bearer(alpha.mona_token)),
    ):
        assert r.status_code == 404, r.get_json()
    # The reporter and the automation team see it.
    assert comment(client, alpha.erik_token, private.id, "Note til mig selv").status_code == 201
    assert comment(client, alpha.team_token, private.id, "Vi kigger på den").status_code == 201
    # Another municipality sees nothing of alpha's, public or not.
    for pid in (public.id, private.id, uuid.uuid4()):
        assert comment(client, alpha.stranger_token, pid, "Hej").status_code == 404
        r = client.get(comments_url(pid), headers=bearer(alpha.stranger_token))
        assert r.status_code == 404
    assert client.get(comments_url(public.id)).status_code == 401


@pytest.mark.parametrize(
    "payload",
    [{}, {"body": ""}, {"body": "   \n "}, {"body": None}, {"body": 42}, {"body": "x" * 10_001}],
)
def test_bad_comments_get_422_naming_the_field(client, alpha, make, payload):
    process = make.process(alpha.erik)
    r = client.post(comments_url(process.id), json=payload, headers=bearer(alpha.erik_token))
    assert r.status_code == 422, r.get_json()
    assert set(r.get_json()["errors"]["json"]) == {"body"}


def test_a_comment_of_10000_characters_is_fine(client, alpha, make):
    process = make.process(alpha.erik)
    assert comment(client, alpha.erik_token, process.id, "x" * 10_000).status_code == 201


def test_authors_edit_and_delete_their_own_the_team_deletes_any(client, alpha, make, su_engine):
    process = make.process(alpha.erik)
    c = comment(client, alpha.mona_token, process.id, "Første udgave").get_json()
    url = f"{comments_url(process.id)}/{c['id']}"
    for token in (alpha.erik_token, alpha.team_token):
        r = client.patch(url, json={"body": "Ændret af en anden"}, headers=bearer(token))
        assert r.status_code == 403
    assert client.delete(url, headers=bearer(alpha.erik_token)).status_code == 403
    assert client.patch(url, json={"body": ""}, headers=bearer(alpha.mona_token)).status_code == 422
    r = client.patch(url, json={"body": "Anden *udgave*"}, headers=bearer(alpha.mona_token))
    assert r.status_code == 200
    assert r.get_json()["body_html"] == "<p>Anden <em>udgave</em></p>"
    assert r.get_json()["edited_at"] is not None
    # The automation team removes any comment; its text is gone, its place stays.
    assert client.delete(url, headers=bearer(alpha.team_token)).status_code == 204
    assert client.delete(url, headers=bearer(alpha.team_token)).status_code == 204
    listed = client.get(comments_url(process.id), headers=bearer(alpha.erik_token)).get_json()
    assert listed[0]["deleted"] is True and listed[0]["body"] == "" and listed[0]["body_html"] == ""
    assert (
        client.patch(url, json={"body": "igen"}, headers=bearer(alpha.mona_token)).status_code
        == 403
    )
    with su_engine.connect() as conn:
        assert conn.scalar(text("select body_markdown from process_comment")) == ""
    # Own comment, own delete; unknown ids and another tenant's ids are 404.
    own = comment(client, alpha.erik_token, process.id, "Min egen").get_json()
    assert (
        client.delete(
            f"{comments_url(process.id)}/{own['id']}", headers=bearer(alpha.erik_token)
        ).status_code
        == 204
    )
    assert (
        client.delete(
            f"{comments_url(process.id)}/{uuid.uuid4()}", headers=bearer(alpha.erik_token)
        ).status_code
        == 404
    )
    r = client.patch(url, json={"body": "x"}, headers=bearer(alpha.stranger_token))
    assert r.status_code == 404


# --- Following and favourites --------------------------------------------------------------


def test_the_reporter_follows_their_idea_and_follow_is_idempotent(client, alpha, make, su_engine):
    process = make.process(alpha.erik)
    assert count(su_engine, "process_follower", user_id=alpha.erik.id) == 1
    url = f"/api/v1/processes/{process.id}/follow"
    for _ in range(2):
        assert client.put(url, headers=bearer(alpha.mona_token)).status_code == 204
    assert count(su_engine, "process_follower", process_id=process.id) == 2
    for _ in range(2):
        assert client.delete(url, headers=bearer(alpha.mona_token)).status_code == 204
    assert count(su_engine, "process_follower", process_id=process.id) == 1


def test_favourites_are_idempotent_and_listed(client, alpha, make, su_engine):
    first = make.process(alpha.erik, title="Første")
    second = make.process(alpha.erik, title="Anden")
    for p in (first, second, first):
        r = client.put(f"/api/v1/processes/{p.id}/favourite", headers=bearer(alpha.mona_token))
        assert r.status_code == 204
    assert count(su_engine, "process_favourite", user_id=alpha.mona.id) == 2
    mine = client.get("/api/v1/me/favourites", headers=bearer(alpha.mona_token)).get_json()
    assert {p["title"] for p in mine} == {"Første", "Anden"}
    for _ in range(2):
        r = client.delete(
            f"/api/v1/processes/{first.id}/favourite", headers=bearer(alpha.mona_token)
        )
        assert r.status_code == 204
    mine = client.get("/api/v1/me/favourites", headers=bearer(alpha.mona_token)).get_json()
    assert [p["title"] for p in mine] == ["Anden"]
    assert client.get("/api/v1/me/favourites", headers=bearer(alpha.erik_token)).get_json() == []


# --- E-mail to followers (the outbox) ------------------------------------------------------


@pytest.fixture
def base_url(app, monkeypatch):
    settings = dataclasses.replace(
        app.config["AUTOPROCES_SETTINGS"], base_url="https://autoproces.example"
    )
    monkeypatch.setitem(app.config, "AUTOPROCES_SETTINGS", settings)
    return settings.base_url


def test_a_phase_change_queues_a_danish_mail_per_follower(client, alpha, make, su_engine, base_url):
    process = make.process(alpha.erik)  # Erik follows his idea
    client.put(f"/api/v1/processes/{process.id}/follow", headers=bearer(alpha.mona_token))
    client.put(f"/api/v1/processes/{process.id}/follow", headers=bearer(alpha.team_token))
    gone = make.user(alpha.tenant, "employee", email="gone@alpha.dk")
    client.put(f"/api/v1/processes/{process.id}/follow", headers=bearer(make.token(gone)))
    with su_engine.begin() as conn:
        conn.execute(text("update app_user set active = false where id = :u"), {"u": gone.id})
    domain = client.get("/api/v1/domains", headers=bearer(alpha.team_token)).get_json()[0]["id"]
    r = client.patch(
        f"/api/v1/processes/{process.id}",
        json={"version": process.version, "phase": "preanalysis", "domain_ids": [domain]},
        headers=bearer(alpha.team_token),
        environ_base={"HTTP_ACCEPT_LANGUAGE": "en"},  # the mail is Danish all the same
    )
    assert r.status_code == 200, r.get_json()
    mails = outbox(su_engine)
    # Not to Tea, who made the change, nor to the deactivated follower.
    assert [m.to_address for m in mails] == ["erik@alpha.dk", "mona@alpha.dk"]
    for m in mails:
        assert m.subject == "Ny fase for “Automatisk journalisering”: Foranalyse"
        assert m.kind == "process_changed" and m.status == "pending"
        assert "Tea Team har ændret processen “Automatisk journalisering”" in m.body_text
        assert "Fase: Idé → Foranalyse" in m.body_text
        assert f"{base_url}/alpha/processer/{process.id}" in m.body_text
    assert mails[1].body_text.startswith("Hej Mona Kollega")

    # A status change with a reason; an edit of other fields sends nothing.
    version = r.get_json()["version"]
    r = client.patch(
        f"/api/v1/processes/{process.id}",
        json={"version": version, "status": "rejected", "status_reason": "For få sager"},
        headers=bearer(alpha.team_token),
    )
    assert r.status_code == 200, r.get_json()
    r = client.patch(
        f"/api/v1/processes/{process.id}",
        json={"version": r.get_json()["version"], "title": "Ny titel"},
        headers=bearer(alpha.team_token),
    )
    assert r.status_code == 200
    mails = [m for m in outbox(su_engine) if m.subject.startswith("Ny status")]
    assert len(mails) == 2
    assert mails[0].subject == "Ny status for “Automatisk journalisering”: Afvist"
    assert "Status: Ikke vurderet → Afvist" in mails[0].body_text
    assert "Begrundelse: For få sager" in mails[0].body_text
    assert len(outbox(su_engine)) == 4


def test_a_refused_change_queues_no_mail(client, alpha, make, su_engine):
    process = make.process(alpha.erik)
    # Specification needs figures and an owner: 422, and nothing queued.
    r = client.patch(
        f"/api/v1/processes/{process.id}",
        json={"version": process.version, "phase": "specification"},
        headers=bearer(alpha.team_token),
    )
    assert r.status_code == 422
    r = client.patch(
        f"/api/v1/processes/{process.id}",
        json={"version": process.version + 5, "status": "in_progress"},
        headers=bearer(alpha.team_token),
    )
    assert r.status_code == 409
    # An employee may not move someone else's idea.
    r = client.patch(
        f"/api/v1/processes/{process.id}",
        json={"version": process.version, "status": "in_progress"},
        headers=bearer(alpha.mona_token),
    )
    assert r.status_code == 403
    assert outbox(su_engine) == []
    assert count(su_engine, "process_change") == 0


def test_mail_is_written_in_the_same_transaction(app, alpha, make, su_engine):
    """A change rolled back after notify_followers leaves no mail behind."""
    from autoproces.platform.db import db, use_tenant
    from autoproces.platform.identity.models import User
    from autoproces.tenants.processes.policy import get_process
    from autoproces.tenants.processes.services import update_process

    process = make.process(alpha.erik)
    with app.app_context():
        use_tenant(alpha.tenant.id)
        team = db.session.get(User, (alpha.tenant.id, alpha.team.id))
        loaded = get_process(team, process.id, need="edit")
        update_process(team, loaded, {"version": process.version, "status": "in_progress"})
        assert db.session.scalar(text("select count(*) from outbox_message")) == 1
        db.session.rollback()
    assert outbox(su_engine) == []


def test_a_comment_mails_followers_but_not_its_author(client, alpha, make, su_engine, base_url):
    process = make.process(alpha.erik)
    client.put(f"/api/v1/processes/{process.id}/follow", headers=bearer(alpha.team_token))
    r = comment(client, alpha.mona_token, process.id, "Vi har **samme** problem i Borgerservice")
    assert r.status_code == 201
    mails = outbox(su_engine)
    assert [m.to_address for m in mails] == ["erik@alpha.dk", "tea@alpha.dk"]
    assert mails[0].subject == "Ny kommentar til “Automatisk journalisering”"
    assert "Mona Kollega har skrevet en kommentar" in mails[0].body_text
    assert "> Vi har **samme** problem i Borgerservice" in mails[0].body_text
    assert mails[0].kind == "comment_added"
    # Mona now follows the conversation too: Erik's answer reaches her, not him.
    comment(client, alpha.erik_token, process.id, "Godt at høre")
    newest = [m.to_address for m in outbox(su_engine) if m.to_address != "tea@alpha.dk"]
    assert sorted(newest) == ["erik@alpha.dk", "mona@alpha.dk"]


def test_followers_who_can_no_longer_see_the_process_get_no_mail(client, alpha, make, su_engine):
    process = make.process(alpha.erik)
    client.put(f"/api/v1/processes/{process.id}/follow", headers=bearer(alpha.mona_token))
    r = client.patch(
        f"/api/v1/processes/{process.id}",
        json={"version": process.version, "visibility": "personal"},
        headers=bearer(alpha.erik_token),
    )
    assert r.status_code == 200, r.get_json()
    r = client.patch(
        f"/api/v1/processes/{process.id}",
        json={"version": r.get_json()["version"], "status": "in_progress"},
        headers=bearer(alpha.team_token),
    )
    assert r.status_code == 200
    assert [m.to_address for m in outbox(su_engine)] == ["erik@alpha.dk"]


# --- The pages -----------------------------------------------------------------------------


def test_the_process_page_has_comments_follow_and_favourite(client, alpha, make, su_engine):
    process = make.process(alpha.erik)
    login(client, alpha.mona)
    page = client.get(f"/alpha/processer/{process.id}").get_data(as_text=True)
    assert 'id="kommentarer"' in page and 'for="comment-body"' in page
    assert "Følg processen" in page and "Føj til mine favoritter" in page

    base = f"/alpha/processer/{process.id}"
    r = client.post(f"{base}/kommentarer", data={"body": "Hej *alle*"})
    assert r.status_code == 302 and r.headers["Location"].startswith(base + "#kommentar-")
    page = client.get(base).get_data(as_text=True)
    assert "<p>Hej <em>alle</em></p>" in page and "Din kommentar er gemt." in page
    assert "Følg ikke længere" in page  # commenting follows the process

    r = client.post(f"{base}/kommentarer", data={"body": "  "})
    assert r.status_code == 422
    assert 'class="form-error-message" id="comment-body-error">Feltet skal udfyldes.' in r.get_data(
        as_text=True
    )
    r = client.post(f"{base}/kommentarer", data={"body": "lang " * 2001})
    assert r.status_code == 422 and "lang lang" in r.get_data(as_text=True)  # kept for fixing

    assert client.post(f"{base}/favorit", data={"favourite": "1"}).status_code == 302
    assert client.post(f"{base}/favorit", data={"favourite": "1"}).status_code == 302
    favourites = client.get("/alpha/processer/favoritter").get_data(as_text=True)
    assert "Automatisk journalisering" in favourites
    assert client.post(f"{base}/foelg", data={"follow": "0"}).status_code == 302
    assert count(su_engine, "process_follower", user_id=alpha.mona.id) == 0
    assert client.post(f"{base}/foelg", data={"follow": "1"}).status_code == 302
    assert count(su_engine, "process_follower", user_id=alpha.mona.id) == 1

    comment_id = client.get(comments_url(process.id), headers=bearer(alpha.mona_token)).get_json()[
        0
    ]["id"]
    edit = f"{base}/kommentarer/{comment_id}/ret"
    assert 'name="body"' in client.get(edit).get_data(as_text=True)
    assert client.post(edit, data={"body": "Rettet"}).status_code == 302
    assert client.post(f"{base}/kommentarer/{comment_id}/slet").status_code == 302
    assert "Kommentaren er slettet." in client.get(base).get_data(as_text=True)


def test_pages_refuse_what_the_user_may_not_see(client, alpha, make, su_engine):
    private = make.process(alpha.erik, visibility="personal")
    own = comment(client, alpha.erik_token, private.id, "Privat").get_json()
    login(client, alpha.mona)
    base = f"/alpha/processer/{private.id}"
    assert client.post(f"{base}/kommentarer", data={"body": "Hej"}).status_code == 404
    assert client.post(f"{base}/foelg", data={"follow": "1"}).status_code == 404
    assert client.post(f"{base}/favorit", data={"favourite": "1"}).status_code == 404
    assert client.get(f"{base}/kommentarer/{own['id']}/ret").status_code == 404
    public = make.process(alpha.erik)
    theirs = comment(client, alpha.erik_token, public.id, "Min").get_json()
    edit = f"/alpha/processer/{public.id}/kommentarer/{theirs['id']}/ret"
    assert client.get(edit).status_code == 403
    assert client.post(edit, data={"body": "x"}).status_code == 403
    # A session of another municipality is worth nothing here.
    login(client, alpha.stranger)
    r = client.post(f"/alpha/processer/{public.id}/kommentarer", data={"body": "Hej"})
    assert r.status_code == 302 and r.headers["Location"] != f"/alpha/processer/{public.id}"
    assert count(su_engine, "process_comment") == 2


def test_an_idea_from_the_intake_form_gets_a_receipt_by_email(client, alpha, su_engine):
    login(client, alpha.erik)
    r = client.post(
        "/alpha/processer/ny",
        data={"title": "Sygemeldinger i lønsystemet", "summary": "Tastes to gange."},
    )
    assert r.status_code == 302
    [(to, subject, body, kind, status)] = outbox(su_engine, alpha.tenant.id)
    assert (to, kind, status) == ("erik@alpha.dk", "receipt", "pending")
    assert subject.startswith("Tak for din idé nr. ") and subject.endswith(": “Sygemeldinger i lønsystemet”")
    assert "Automatiseringsteamet vurderer den" in body
    assert "http://localhost/alpha/processer/" + r.headers["Location"].rsplit("/", 1)[1] in body
    # A refused idea sends nothing; nor does the API (imports and integrations create in bulk).
    client.post("/alpha/processer/ny", data={"title": "", "summary": ""})
    client.post(
        "/api/v1/processes",
        json={"title": "Fra API", "summary": "s"},
        headers=bearer(alpha.erik_token),
    )
    assert len(outbox(su_engine, alpha.tenant.id)) == 1


def test_a_forged_host_header_never_reaches_the_mail(client, alpha, make, su_engine, base_url):
    process = make.process(alpha.erik)
    r = client.post(
        comments_url(process.id),
        json={"body": "Se her"},
        headers={**bearer(alpha.mona_token), "Host": "evil.example"},
    )
    assert r.status_code == 201, r.get_data(as_text=True)
    (mail,) = outbox(su_engine)
    assert "evil.example" not in mail.body_text
    assert f"{base_url}/alpha/processer/{process.id}" in mail.body_text


def test_outside_the_demo_the_public_address_is_required(database):
    from autoproces.platform.app import create_app
    from autoproces.platform.config import ConfigError

    with pytest.raises(ConfigError, match="AUTOPROCES_BASE_URL"):
        create_app(app_env(database, AUTOPROCES_BASE_URL=""))
    with pytest.raises(ConfigError, match="public address"):
        create_app(app_env(database, AUTOPROCES_BASE_URL="autoproces.os2.eu"))
    # The demo may fall back to the request's address: it runs on the user's own machine.
    create_app(app_env(database, AUTOPROCES_BASE_URL="", AUTOPROCES_DEMO="1"))


def test_a_following_service_account_gets_no_mail(client, app, alpha, make, su_engine):
    """A service account's address (…@tjenestekonto.invalid) can never be delivered: the
    outbox queues nothing for it, the people following still get theirs."""
    from autoproces.platform.db import db
    from autoproces.platform.identity.services import create_service_account
    from autoproces.platform.tenancy import activate_tenant

    with app.app_context():
        activate_tenant(alpha.tenant)
        account = create_service_account(alpha.tenant, "ESDH", ["automation"], "test")
        db.session.commit()
        db.session.refresh(account)
        db.session.expunge(account)
    process = make.process(alpha.erik)
    r = client.put(f"/api/v1/processes/{process.id}/follow", headers=bearer(make.token(account)))
    assert r.status_code == 204
    r = client.patch(
        f"/api/v1/processes/{process.id}",
        json={"version": process.version, "status": "in_progress"},
        headers=bearer(alpha.team_token),
    )
    assert r.status_code == 200, r.get_json()
    assert [m.to_address for m in outbox(su_engine)] == ["erik@alpha.dk"]

"""Every process has a short number per municipality ("Idé nr. 42", issue 8, B14): given in
creation order, never twice (also under concurrent creates), shown on the receipt, the page,
the list, the export and in the API, and usable in the URL and in the search."""

from __future__ import annotations

import threading
import uuid

import pytest
from alembic import command
from helpers import OWNER_ROLE, bearer, login
from sqlalchemy import create_engine, text

from autoproces.platform.embedded import with_user_and_db
from autoproces.platform.migrate import alembic_config


@pytest.fixture
def two(make):
    alpha, beta = make.tenant("alpha"), make.tenant("beta")
    team = make.user(alpha, "automation", name="Tea Team")
    employee = make.user(alpha, "employee", name="Erik Medarbejder")
    beta_team = make.user(beta, "automation", name="Bo Beta")
    return alpha, beta, team, employee, beta_team


def test_numbers_count_per_municipality_and_show_everywhere(client, make, two):
    alpha, beta, team, employee, beta_team = two
    first = make.process(team, title="Journalisering")
    make.process(beta_team, title="Betas første")
    second = make.process(team, title="Fakturaer", phase="development")
    assert (first.number, second.number) == (1, 2)
    assert make.process(beta_team, title="Betas anden").number == 2
    login(client, team)
    page = client.get(f"/alpha/processer/{first.id}").get_data(as_text=True)
    assert '<p class="app-meta mb-0" id="process-number">Idé nr. 1</p>' in page
    assert "Proces nr. 2" in client.get(f"/alpha/processer/{second.id}").get_data(as_text=True)
    listing = client.get("/alpha/processer?sort=title").get_data(as_text=True)
    assert '<td class="text-align-right">2</td>' in listing
    # In the URL: /<kommune>/processer/<nr>, beside the ids.
    r = client.get("/alpha/processer/2")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/processer/{second.id}")
    assert client.get("/alpha/processer/99").status_code == 404
    # In the API, by id and by number; another municipality's number 2 is its own.
    token = make.token(team)
    assert client.get(f"/api/v1/processes/{first.id}", headers=bearer(token)).json["number"] == 1
    r = client.get("/api/v1/processes/by-number/2", headers=bearer(token))
    assert r.status_code == 200 and r.json["title"] == "Fakturaer"
    r = client.get("/api/v1/processes/by-number/2", headers=bearer(make.token(beta_team)))
    assert r.json["title"] == "Betas anden"
    # In the search: "2", "nr. 2" and "Idé nr. 2" find it first.
    for q in ("2", "nr. 2", "Idé nr. 2", "NR 2"):
        items = client.get(f"/api/v1/processes?q={q}", headers=bearer(token)).json["items"]
        assert [p["title"] for p in items][:1] == ["Fakturaer"], q
    listing = client.get("/alpha/processer?q=nr.+1").get_data(as_text=True)
    assert "Journalisering" in listing and "Fakturaer" not in listing


def test_a_private_process_is_not_found_by_its_number(client, make, two):
    alpha, beta, team, employee, beta_team = two
    make.process(team, title="Privat", visibility="personal")
    login(client, employee)
    assert client.get("/alpha/processer/1").status_code == 404
    assert (
        client.get(
            "/api/v1/processes/by-number/1", headers=bearer(make.token(employee))
        ).status_code
        == 404
    )
    listing = client.get("/alpha/processer?q=1").get_data(as_text=True)
    assert "Privat" not in listing


def test_the_receipt_names_the_number(client, make, two, su_engine):
    alpha, beta, team, employee, beta_team = two
    make.process(team, title="Først")
    login(client, employee)
    r = client.post(
        "/alpha/processer/ny",
        data={
            "title": "Bestilling af tolk",
            "summary": "Pr. telefon.",
            "visibility": "municipality",
        },
        follow_redirects=True,
    )
    html = r.get_data(as_text=True)
    assert "Din idé er modtaget som idé nr. 2." in html and "Idé nr. 2" in html
    with su_engine.connect() as conn:
        subject, body = conn.execute(
            text("select subject, body_text from outbox_message where kind = 'receipt'")
        ).one()
    assert "nr. 2" in subject and "idé nr. 2" in body


def test_concurrent_creates_in_one_municipality_never_collide(app, make, two):
    alpha, beta, team, employee, beta_team = two
    tokens = [make.token(team) for _ in range(6)] + [make.token(beta_team) for _ in range(2)]
    barrier = threading.Barrier(len(tokens))
    results: list[tuple[str, int, int]] = []
    lock = threading.Lock()

    def create(token: str) -> None:
        client = app.test_client()
        barrier.wait()
        for i in range(5):
            r = client.post(
                "/api/v1/processes",
                json={"title": f"Samtidig {i}", "summary": "s"},
                headers=bearer(token),
            )
            with lock:
                results.append((token, r.status_code, (r.json or {}).get("number")))

    threads = [threading.Thread(target=create, args=(t,)) for t in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {status for _t, status, _n in results} == {201}, results
    alpha_numbers = sorted(n for t, _s, n in results if t in tokens[:6])
    beta_numbers = sorted(n for t, _s, n in results if t in tokens[6:])
    assert alpha_numbers == list(range(1, 31))
    assert beta_numbers == list(range(1, 11))


def test_the_migration_numbers_existing_processes_in_creation_order(database):
    name = f"autoproces_num_{uuid.uuid4().hex[:8]}"
    admin = create_engine(database.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" OWNER {OWNER_ROLE}'))
    url = with_user_and_db(database.admin_url, OWNER_ROLE, name)
    engine = create_engine(url)
    try:
        cfg = alembic_config(url, "autoproces_app")
        command.upgrade(cfg, "0006")
        a, b = uuid.uuid4(), uuid.uuid4()
        with engine.begin() as conn:
            for tenant, slug in ((a, "alpha"), (b, "beta")):
                conn.execute(
                    text("insert into tenant (id, slug, name) values (:t, :s, :s)"),
                    {"t": tenant, "s": slug},
                )
        for tenant, titles in ((a, ["A3", "A1", "A2"]), (b, ["B2", "B1"])):
            with engine.begin() as conn:
                conn.execute(
                    text("select set_config('app.tenant_id', :t, true)"), {"t": str(tenant)}
                )
                for title in titles:
                    # Created in the order of the digit in the title, inserted out of order.
                    conn.execute(
                        text(
                            "insert into process (tenant_id, title, summary, created_at)"
                            " values (:t, :title, 's', now() - make_interval(days => :d))"
                        ),
                        {"t": tenant, "title": title, "d": 10 - int(title[1])},
                    )
        command.upgrade(cfg, "head")
        numbered = {}
        for tenant in (a, b):
            with engine.begin() as conn:
                conn.execute(
                    text("select set_config('app.tenant_id', :t, true)"), {"t": str(tenant)}
                )
                numbered.update(
                    dict(conn.execute(text("select title, number from process")).all())
                )
                last = conn.scalar(text("select last_number from process_number_counter"))
                numbered[f"last-{tenant == a}"] = last
        assert numbered == {
            "A1": 1,
            "A2": 2,
            "A3": 3,
            "B1": 1,
            "B2": 2,
            "last-True": 3,
            "last-False": 2,
        }
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

"""Realised runs: the CSV and API import (all or nothing), the realised-hours formula and its
SQL twin, the process page's panel, isolation, and the owner's lessons reminder."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from helpers import bearer, login
from sqlalchemy import text

from autoproces.tenants.runs.figures import realised_hours_per_year


@pytest.fixture
def alpha(make):
    tenant = make.tenant("alpha", "Alfa Kommune")
    team = make.user(tenant, "automation", name="Tea Team", email="tea@alpha.dk")
    erik = make.user(tenant, "employee", name="Erik Medarbejder", email="erik@alpha.dk")
    owner = make.user(tenant, "automation", name="Olga Ejer", email="olga@alpha.dk")
    beta = make.tenant("beta", "Beta Kommune")
    stranger = make.user(beta, "automation", name="Bo Beta")
    p1 = make.process(team)
    p2 = make.process(team, title="Lønrefusion")
    return SimpleNamespace(
        tenant=tenant,
        team=team,
        erik=erik,
        owner=owner,
        stranger=stranger,
        p1=p1,
        p2=p2,
        team_token=make.token(team),
        erik_token=make.token(erik),
        stranger_token=make.token(stranger),
    )


def stored(su_engine) -> list:
    with su_engine.connect() as conn:
        return conn.execute(
            text(
                "select p.number, r.period_start, r.period_end, r.runs, r.hours_saved, r.source"
                " from process_run r join process p on p.tenant_id = r.tenant_id"
                " and p.id = r.process_id order by p.number, r.period_start"
            )
        ).all()


def upload(client, data: bytes, name: str = "koersler.csv"):
    import io

    return client.post(
        "/alpha/koersler/indlaes",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


# --- The formula, by hand ------------------------------------------------------------------


def test_twelve_months_give_their_plain_sum():
    periods = [
        (date(2025, m, 1), date(2025 + m // 12, m % 12 + 1, 1) - timedelta(days=1), Decimal(10))
        for m in range(1, 13)
    ]
    assert realised_hours_per_year(periods) == Decimal("120.0")


def test_fewer_days_are_scaled_to_a_year():
    # January to March 2026: 90 days, 45 hours -> 45 × 365 / 90 = 182.5.
    periods = [
        (date(2026, 1, 1), date(2026, 1, 31), Decimal(15)),
        (date(2026, 2, 1), date(2026, 2, 28), Decimal(15)),
        (date(2026, 3, 1), date(2026, 3, 31), Decimal(15)),
    ]
    assert realised_hours_per_year(periods) == Decimal("182.5")


def test_periods_older_than_the_window_do_not_count():
    # The 2024 month starts more than 366 days before 31 March 2026: only March counts.
    periods = [
        (date(2024, 1, 1), date(2024, 1, 31), Decimal(1000)),
        (date(2026, 3, 1), date(2026, 3, 31), Decimal(31)),
    ]
    assert realised_hours_per_year(periods) == Decimal("365.0")
    assert realised_hours_per_year([]) is None


def test_a_gap_is_not_counted_as_days_without_savings():
    # Two months with a gap: 59 days covered (Jan 31 + Mar 31 - no, Jan + Mar = 62 days).
    periods = [
        (date(2026, 1, 1), date(2026, 1, 31), Decimal(10)),
        (date(2026, 3, 1), date(2026, 3, 31), Decimal(10)),
    ]
    # 20 × 365 / 62 = 117.741… -> 117.7
    assert realised_hours_per_year(periods) == Decimal("117.7")


def test_the_sql_twin_agrees_with_python_on_random_data(app, alpha, su_engine):
    import uuid

    from sqlalchemy import select

    from autoproces.platform.db import db, use_tenant
    from autoproces.tenants.processes.models import Process
    from autoproces.tenants.runs.figures import realised_hours_of_process_sql, realised_hours_sql
    from autoproces.tenants.runs.models import ProcessRun

    rng = random.Random(7)
    expected = {}
    with app.app_context():
        use_tenant(alpha.tenant.id)
        for process in (alpha.p1, alpha.p2):
            day = date(2023, 1, 1) + timedelta(days=rng.randrange(100))
            periods = []
            for _ in range(rng.randrange(1, 30)):
                length = rng.randrange(1, 120)
                start = day + timedelta(days=rng.randrange(0, 40))
                end = start + timedelta(days=length - 1)
                hours = Decimal(rng.randrange(0, 100_000)) / 100
                periods.append((start, end, hours))
                db.session.add(
                    ProcessRun(
                        tenant_id=alpha.tenant.id,
                        process_id=process.id,
                        period_start=start,
                        period_end=end,
                        runs=1,
                        hours_saved=hours,
                        source="api",
                    )
                )
                day = end + timedelta(days=1)
            expected[process.id] = realised_hours_per_year(periods)
        db.session.flush()
        got = {
            row.process_id: row.hours_per_year for row in db.session.execute(realised_hours_sql())
        }
        # The correlated twin (the dashboard's sums): the same, and the typed field without runs.
        p3 = Process(
            tenant_id=alpha.tenant.id,
            id=uuid.uuid4(),
            number=999,
            title="x",
            summary="y",
            realised_hours_per_year=77,
        )
        db.session.add(p3)
        db.session.flush()
        correlated = dict(
            db.session.execute(
                select(Process.id, realised_hours_of_process_sql()).where(
                    Process.tenant_id == alpha.tenant.id
                )
            ).all()
        )
        db.session.rollback()
    assert got == expected
    assert correlated == {**expected, p3.id: 77}


# --- The CSV upload ------------------------------------------------------------------------


def test_a_danish_excel_csv_is_recorded(client, alpha, su_engine):
    login(client, alpha.team)
    data = (
        "\ufeffNummer;Måned;Kørsler;Minutter pr. kørsel\r\n"
        f"{alpha.p1.number};2026-01;300;6,5\r\n"
        f"{alpha.p2.number};2026-01;10;\r\n"
    ).encode()
    r = upload(client, data)
    # The second row has neither minutes nor hours: nothing is stored.
    assert r.status_code == 422
    assert "Linje 3" in r.get_data(as_text=True)
    assert stored(su_engine) == []
    data = data.replace(b"10;\r\n", b"10;12\r\n")
    r = upload(client, data)
    assert r.status_code == 200, r.get_data(as_text=True)
    assert stored(su_engine) == [
        (alpha.p1.number, date(2026, 1, 1), date(2026, 1, 31), 300, Decimal("32.50"), "csv"),
        (alpha.p2.number, date(2026, 1, 1), date(2026, 1, 31), 10, Decimal("2.00"), "csv"),
    ]


def test_comma_separated_with_dates_and_hours(client, alpha, su_engine):
    login(client, alpha.team)
    data = f"number,from,to,runs,hours\n{alpha.p1.number},2026-02-01,2026-02-14,40,12.5\n".encode()
    assert upload(client, data).status_code == 200
    assert stored(su_engine) == [
        (alpha.p1.number, date(2026, 2, 1), date(2026, 2, 14), 40, Decimal("12.50"), "csv")
    ]


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("9999;2026-01;;;1;1", "Ukendt procesnummer 9999"),
        ("{n};;2026-02-01;2026-01-01;1;1", "Til-datoen ligger før fra-datoen"),
        ("{n};2026-01;;;-3;1", "Må ikke være negativ"),
        ("{n};2026-01;;;3;-1", "Må ikke være negativ"),
        ("{n};2026-13;;;3;1", "Skal være en måned"),
        ("{n};2026-01;;;3,5;1", "Skal være et helt tal"),
        ("{n};2026-01;;;abc;1", "Skal være et tal"),
        (
            "{n};;2026-01-01;2026-01-31;3;1\n{n};;2026-01-15;2026-02-15;3;1",
            "overlapper perioden i linje 3",
        ),
        ("{n};2099-01;;;3;1", "fremtiden"),
        ("{n};2026-01;2026-01-01;2026-01-31;3;1", "enten en måned"),
        ("{n};2026-01;;;3\x01;1", "tegn, der ikke er tilladt"),
    ],
)
def test_every_bad_row_is_named_and_nothing_is_stored(client, alpha, su_engine, row, reason):
    login(client, alpha.team)
    good = f"{alpha.p2.number};2026-01;;;5;1"
    data = (
        "Nummer;Måned;Fra;Til;Kørsler;Minutter\n" + good + "\n" + row.format(n=alpha.p1.number)
    ).encode()
    r = upload(client, data)
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert reason in page, page
    assert "Intet er gemt" in page
    assert stored(su_engine) == []


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ("Nummer;Måned\n1;2026-01".encode("latin-1"), "UTF-8"),
        (b"", "tom"),
        ("Nummer|Måned|Kørsler\n1|2026-01|3".encode(), "mangler en kolonne"),
        ("Nummer;Farve\n1;blå".encode(), "Ukendt kolonne"),
        (b'Nummer;M\xc3\xa5ned\n"1;2026-01', "CSV"),
        (b"Nummer;" + b"x" * (2 * 1024 * 1024), "større end"),
    ],
)
def test_a_bad_file_is_refused_clearly(client, alpha, su_engine, data, reason):
    login(client, alpha.team)
    r = upload(client, data)
    assert r.status_code == 422
    assert reason in r.get_data(as_text=True)
    assert stored(su_engine) == []


def test_the_same_period_again_replaces_a_partly_overlapping_one_is_refused(
    client, alpha, su_engine
):
    login(client, alpha.team)
    n = alpha.p1.number
    assert (
        upload(client, f"Nummer;Måned;Kørsler;Timer\n{n};2026-01;10;5\n".encode()).status_code
        == 200
    )
    r = upload(client, f"Nummer;Måned;Kørsler;Timer\n{n};2026-01;12;6\n".encode())
    assert r.status_code == 200 and "Erstattede perioder: 1" in r.get_data(as_text=True)
    assert [(row.runs, row.hours_saved) for row in stored(su_engine)] == [(12, Decimal("6.00"))]
    r = upload(client, f"Nummer;Fra;Til;Kørsler;Timer\n{n};2026-01-15;2026-02-14;1;1\n".encode())
    assert r.status_code == 422
    assert "overlapper en tidligere indlæst periode (2026-01-01–2026-01-31)" in r.get_data(
        as_text=True
    )
    assert [(row.runs, row.hours_saved) for row in stored(su_engine)] == [(12, Decimal("6.00"))]


def test_only_the_team_uploads(client, alpha):
    login(client, alpha.erik)
    assert client.get("/alpha/koersler/indlaes").status_code == 403
    assert upload(client, b"Nummer;Maaned\n").status_code == 403


# --- The API -------------------------------------------------------------------------------


def test_the_api_records_and_reports_realised_hours(client, alpha, su_engine):
    body = [
        {"process": alpha.p1.number, "month": "2026-01", "runs": 300, "minutes_per_run": 6},
        {
            "process": alpha.p1.number,
            "from": "2026-02-01",
            "to": "2026-02-28",
            "runs": 1,
            "hours": 28,
        },
    ]
    r = client.post("/api/v1/runs", json=body, headers=bearer(alpha.team_token))
    assert r.status_code == 201, r.get_json()
    assert r.get_json() == {"created": 2, "replaced": 0}
    r = client.get(f"/api/v1/processes/{alpha.p1.id}/runs", headers=bearer(alpha.team_token))
    got = r.get_json()
    # 30 + 28 hours over 59 days: 58 × 365 / 59 = 358.81… -> 358.8
    assert got["hours_per_year"] == "358.8"
    assert [x["from"] for x in got["runs"]] == ["2026-02-01", "2026-01-01"]


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ([{"process": 1, "month": "2026-01", "runs": -1, "hours": 1}], "1.Kørsler"),
        ([{"process": "x", "month": "2026-01", "runs": 1, "hours": 1}], "1.Nummer"),
        ([{"process": 1, "month": "\ud800", "runs": 1, "hours": 1}], "1.Måned"),
        ([{"process": 1, "month": "2026-01", "runs": True, "hours": 1}], "1.Kørsler"),
        ([{"process": 1, "month": "2026-01", "runs": 1, "hours": 1e400}], "1.Timer"),
        ([{"process": 1, "month": "2026-01", "runs": 1, "hours": "1e999999"}], "1.Timer"),
        ([{"process": 1, "month": "2026-01", "runs": "1e99999", "hours": 1}], "1.Kørsler"),
        ([{"process": 2**70, "month": "2026-01", "runs": 1, "hours": 1}], "1.Nummer"),
        (
            [{"process": 1, "month": "2026-01", "runs": 1, "minutes_per_run": 1e308}],
            "1.Minutter pr. kørsel",
        ),
        ([{"process": 1, "colour": "blå"}], "1"),
        ([1], "1"),
        ({"process": 1}, "body"),
        ([], "body"),
    ],
)
def test_bad_api_input_is_422_naming_the_entry_and_field(client, alpha, su_engine, body, key):
    import json

    raw = json.dumps(body).replace("\\\\ud800", "\\ud800")
    r = client.post(
        "/api/v1/runs", data=raw, content_type="application/json", headers=bearer(alpha.team_token)
    )
    assert r.status_code == 422, (r.status_code, r.get_data(as_text=True))
    errors = r.get_json()["errors"]["json"]
    assert key in errors or (key == "1.Måned" and "month" in str(errors)), errors
    assert stored(su_engine) == []


def test_bad_json_and_huge_bodies_are_4xx(client, alpha):
    for data in (b"{", b"\xff\xfe", b"[" + b" " * (3 * 1024 * 1024) + b"]"):
        r = client.post(
            "/api/v1/runs",
            data=data,
            content_type="application/json",
            headers=bearer(alpha.team_token),
        )
        assert 400 <= r.status_code < 500, r.status_code


def test_only_the_team_posts_runs_and_another_municipality_sees_unknown_numbers(
    client, alpha, su_engine
):
    body = [{"process": alpha.p1.number, "month": "2026-01", "runs": 1, "hours": 1}]
    assert (
        client.post("/api/v1/runs", json=body, headers=bearer(alpha.erik_token)).status_code == 403
    )
    r = client.post("/api/v1/runs", json=body, headers=bearer(alpha.stranger_token))
    assert r.status_code == 422 and "1.Nummer" in r.get_json()["errors"]["json"]
    r = client.get(f"/api/v1/processes/{alpha.p1.id}/runs", headers=bearer(alpha.stranger_token))
    assert r.status_code == 404
    assert stored(su_engine) == []


# --- The process page ----------------------------------------------------------------------


def test_the_process_page_shows_realised_against_expected(client, alpha):
    body = [{"process": alpha.p1.number, "month": "2026-01", "runs": 31, "hours": 31}]
    assert (
        client.post("/api/v1/runs", json=body, headers=bearer(alpha.team_token)).status_code == 201
    )
    login(client, alpha.erik)
    page = client.get(f"/alpha/processer/{alpha.p1.id}").get_data(as_text=True)
    assert "Realiseret gevinst" in page
    assert 'data-testid="realised-hours">365<' in page
    assert "/alpha/koersler/indlaes" not in page  # the employee does not upload
    login(client, alpha.team)
    page = client.get(f"/alpha/processer/{alpha.p1.id}").get_data(as_text=True)
    assert "/alpha/koersler/indlaes" in page


# --- The lessons reminder ------------------------------------------------------------------


def _in_operation(make, alpha, started: date):
    return make.process(
        alpha.team,
        title="Fakturascanning",
        phase="operation",
        owner_id=alpha.owner.id,
        put_into_operation_at=started,
    )


def _remind(app, today: date) -> int:
    from autoproces.platform.db import db
    from autoproces.platform.tenancy import activate_tenant, tenant_by_slug
    from autoproces.tenants.runs.services import send_lessons_reminders

    with app.app_context():
        activate_tenant(tenant_by_slug("alpha"))
        sent = send_lessons_reminders("alpha", today)
        db.session.commit()
        return sent


def test_the_owner_is_asked_once_three_months_into_operation(app, make, alpha, su_engine):
    process = _in_operation(make, alpha, date(2026, 1, 31))
    # A clock step: the day before three months (30 April, the end of the shorter month)…
    assert _remind(app, date(2026, 4, 29)) == 0
    assert mails_of_kind(su_engine) == []
    # …then on it, and again later: one e-mail.
    assert _remind(app, date(2026, 4, 30)) == 1
    assert _remind(app, date(2026, 4, 30)) == 0
    assert _remind(app, date(2026, 6, 1)) == 0
    [(to, subject, body)] = mails_of_kind(su_engine)
    assert to == "olga@alpha.dk"
    assert subject == "Erfaringer fra Fakturascanning efter tre måneder i drift"
    assert f"/alpha/processer/{process.id}/rediger" in body
    assert "faglig kontaktperson" in body


def test_no_reminder_for_processes_long_in_operation_or_not_in_operation(
    app, make, alpha, su_engine
):
    _in_operation(make, alpha, date(2024, 1, 1))  # a year and more: before this feature
    make.process(alpha.team, title="Idé", owner_id=alpha.owner.id)
    assert _remind(app, date(2026, 4, 30)) == 0
    assert mails_of_kind(su_engine) == []


def test_two_workers_at_once_send_one_reminder(app, make, alpha, su_engine):
    """The second transaction waits for the first's reminder row, then inserts nothing."""
    import threading

    _in_operation(make, alpha, date(2026, 1, 1))
    barrier = threading.Barrier(2)
    results = []

    def worker() -> None:
        from autoproces.platform.db import db
        from autoproces.platform.tenancy import activate_tenant, tenant_by_slug
        from autoproces.tenants.runs.services import send_lessons_reminders

        with app.app_context():
            activate_tenant(tenant_by_slug("alpha"))
            barrier.wait()
            results.append(send_lessons_reminders("alpha", date(2026, 5, 1)))
            db.session.commit()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [0, 1]
    assert len(mails_of_kind(su_engine)) == 1


def test_the_cli_queues_and_the_worker_delivers_through_smtp(app, database, make, alpha, su_engine):
    import email
    import socket
    from email import policy

    from aiosmtpd.controller import Controller
    from click.testing import CliRunner
    from helpers import app_env

    from autoproces.platform.cli import main

    received = []

    class Collect:
        async def handle_DATA(self, server, session, envelope):
            received.append(
                email.message_from_bytes(envelope.original_content, policy=policy.default)
            )
            return "250 OK"

    _in_operation(make, alpha, date(2026, 1, 15))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(Collect(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        env = app_env(database, SMTP_HOST="127.0.0.1", SMTP_PORT=str(port), SMTP_FROM="a@k.dk")
        daily = ["daily", "--job", "runs.lessons", "--today"]
        result = CliRunner().invoke(main, [*daily, "2026-04-15"], env=env)
        assert result.exit_code == 0, result.output
        assert "runs.lessons: 1" in result.output
        result = CliRunner().invoke(main, [*daily, "2026-04-16"], env=env)
        assert "runs.lessons: 0" in result.output
        result = CliRunner().invoke(main, ["worker", "--once"], env=env)
        assert result.exit_code == 0, result.output
    finally:
        controller.stop()
    [message] = received
    assert message["To"] == "olga@alpha.dk"
    assert "tre måneder i drift" in message["Subject"]
    bad = CliRunner().invoke(main, ["daily", "--today", "i morgen"], env=env)
    assert bad.exit_code == 2


def mails_of_kind(su_engine, kind: str = "runs.lessons") -> list:
    with su_engine.connect() as conn:
        return conn.execute(
            text(
                "select to_address, subject, body_text from outbox_message where kind = :k"
                " order by created_at"
            ),
            {"k": kind},
        ).all()


def test_the_api_process_representation_carries_realised_hours_from_runs(client, alpha):
    headers = bearer(alpha.team_token)
    r = client.get(f"/api/v1/processes/{alpha.p1.id}", headers=headers)
    assert r.get_json()["realised_hours_from_runs"] is None
    body = [{"process": alpha.p1.number, "month": "2026-01", "runs": 31, "hours": 31}]
    assert client.post("/api/v1/runs", json=body, headers=headers).status_code == 201
    r = client.get(f"/api/v1/processes/{alpha.p1.id}", headers=headers)
    assert r.get_json()["realised_hours_from_runs"] == "365.0"
    listed = client.get("/api/v1/processes", headers=headers).get_json()
    items = listed["items"] if isinstance(listed, dict) else listed
    by_id = {p["id"]: p["realised_hours_from_runs"] for p in items}
    assert by_id == {str(alpha.p1.id): "365.0", str(alpha.p2.id): None}


def test_without_a_date_the_historys_change_to_operation_counts(app, make, alpha, su_engine):
    process = _in_operation(make, alpha, date(2026, 1, 1))
    with su_engine.begin() as conn:
        conn.execute(
            text("update process set put_into_operation_at = null where id = :p"), {"p": process.id}
        )
        conn.execute(
            text(
                "insert into process_change (tenant_id, process_id, changed_at, field, old_value,"
                " new_value) values (:t, :p, '2026-02-10 09:00+00', 'phase', '\"implementation\"',"
                " '\"operation\"')"
            ),
            {"t": alpha.tenant.id, "p": process.id},
        )
    assert _remind(app, date(2026, 5, 9)) == 0
    assert _remind(app, date(2026, 5, 10)) == 1
    assert len(mails_of_kind(su_engine)) == 1


def test_five_thousand_rows_are_recorded_at_once(client, alpha, su_engine):
    """The limit's worth of rows: 2,500 single days for each of two processes."""
    import time

    login(client, alpha.team)
    lines = ["Nummer;Fra;Til;Kørsler;Timer"]
    for process in (alpha.p1, alpha.p2):
        for d in range(2500):
            day = (date(2019, 1, 1) + timedelta(days=d)).isoformat()
            lines.append(f"{process.number};{day};{day};2;1,5")
    started = time.perf_counter()
    r = upload(client, "\n".join(lines).encode())
    elapsed = time.perf_counter() - started
    assert r.status_code == 200, r.get_data(as_text=True)[-3000:]
    assert len(stored(su_engine)) == 5000
    assert elapsed < 20, elapsed

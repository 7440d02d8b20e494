"""The catalogue under concurrent writes, on real PostgreSQL connections: each request runs
in its own thread with its own test client (so its own session and transaction). Where a
race needs one transaction to be in the middle of its work while the other runs, a
superuser connection holds that transaction open, as a slow concurrent request would.
Every answer is a clear 2xx/4xx and the rows stay consistent; never a 500, never half
written."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
from helpers import bearer, operator_login
from reuse_world import build, publish
from sqlalchemy import text


@pytest.fixture
def world(app, make):
    return build(app, make)


def call(app, method: str, url: str, token: str | None = None, **kw) -> int:
    """One request on its own client; an exception (a 500 under TESTING) is answered 500."""
    c = app.test_client()
    headers = bearer(token) if token else {}
    try:
        return getattr(c, method)(url, headers=headers, **kw).status_code
    except Exception:
        import traceback

        traceback.print_exc()
        return 500


def at_once(*calls) -> list[int]:
    """Run the calls (functions answering a status) in threads released together."""
    barrier = threading.Barrier(len(calls))
    results: list[int] = [0] * len(calls)

    def run(i, fn):
        barrier.wait()
        results[i] = fn()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def in_background(fn) -> tuple[threading.Thread, list[int]]:
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(fn()))
    thread.start()
    return thread, result


def waits_for_lock(su_engine, timeout: float = 10) -> None:
    """Until some backend waits for a lock (the request under test reached the held row)."""
    deadline = time.monotonic() + timeout
    with su_engine.connect() as conn:
        while time.monotonic() < deadline:
            waiting = conn.scalar(
                text("select count(*) from pg_stat_activity where wait_event_type = 'Lock'")
            )
            if waiting:
                return
            time.sleep(0.02)
    raise AssertionError("no request waited for the held lock")


def entry_row(su_engine, entry_id):
    with su_engine.connect() as conn:
        return conn.execute(
            text(
                "select current_version, withdrawn_at, hidden_at, reuse_count, interest_count"
                " from catalogue_entry where id = :e"
            ),
            {"e": entry_id},
        ).one()


def scalar(su_engine, sql: str, **params):
    with su_engine.connect() as conn:
        return conn.scalar(text(sql), params)


# --- interest ----------------------------------------------------------------------------


def test_interest_signalled_while_another_request_of_the_municipality_adds_it(
    app, world, su_engine
):
    # Two people of Beta press "Vi vil også gerne" at once: the second insert meets the
    # first's row when it commits. It must update that row, not fail on the primary key.
    url = f"/api/v1/catalogue/{world.entry_id}/interest"
    with su_engine.connect() as held:
        held.execute(
            text(
                "insert into catalogue_interest (tenant_id, entry_id, user_id, wants_to_help)"
                " values (:t, :e, :u, false)"
            ),
            {"t": world.beta.id, "e": world.entry_id, "u": world.bea.id},
        )
        thread, result = in_background(
            lambda: call(app, "post", url, world.bo_token, json={"wants_to_help": True})
        )
        waits_for_lock(su_engine)
        held.commit()
        thread.join(timeout=30)
    assert result == [200]
    rows = scalar(
        su_engine, "select count(*) from catalogue_interest where entry_id = :e", e=world.entry_id
    )
    assert rows == 1
    assert scalar(su_engine, "select wants_to_help from catalogue_interest") is True
    assert entry_row(su_engine, world.entry_id).interest_count == 1


def test_interest_toggled_concurrently_keeps_the_count_right(app, make, world, su_engine):
    url = f"/api/v1/catalogue/{world.entry_id}/interest"
    tokens = [world.bo_token, make.token(world.bea), make.token(world.mia)]
    statuses: Counter[int] = Counter()
    for _round in range(5):
        statuses.update(
            at_once(
                *(lambda t=t: call(app, "post", url, t, json={}) for t in tokens),
                *(lambda t=t: call(app, "delete", url, t) for t in tokens),
            )
        )
        stored = scalar(
            su_engine,
            "select count(*) from catalogue_interest where entry_id = :e",
            e=world.entry_id,
        )
        assert stored in (0, 1)
        assert entry_row(su_engine, world.entry_id).interest_count == stored
    assert set(statuses) <= {200, 204}, statuses


def test_two_municipalities_signalling_interest_at_once_are_both_counted(app, world, su_engine):
    # Gamma's interest is in the middle of its transaction (its row written, the entry's
    # count locked) while Beta's comes: Beta's count must include Gamma's once it commits.
    url = f"/api/v1/catalogue/{world.entry_id}/interest"
    with su_engine.connect() as held:
        held.execute(
            text(
                "insert into catalogue_interest (tenant_id, entry_id, user_id) values (:t, :e, :u)"
            ),
            {"t": world.gamma.id, "e": world.entry_id, "u": world.gitte.id},
        )
        held.execute(
            text("update catalogue_entry set interest_count = 1 where id = :e"),
            {"e": world.entry_id},
        )
        thread, result = in_background(lambda: call(app, "post", url, world.bo_token, json={}))
        waits_for_lock(su_engine)
        held.commit()
        thread.join(timeout=30)
    assert result == [200]
    assert entry_row(su_engine, world.entry_id).interest_count == 2


# --- copy --------------------------------------------------------------------------------


def test_two_municipalities_copying_at_once_are_both_counted(app, world, su_engine):
    url = f"/api/v1/catalogue/{world.entry_id}/copy"
    with su_engine.connect() as held:
        held.execute(
            text("insert into catalogue_reuse (tenant_id, entry_id) values (:t, :e)"),
            {"t": world.gamma.id, "e": world.entry_id},
        )
        held.execute(
            text("update catalogue_entry set reuse_count = 1 where id = :e"),
            {"e": world.entry_id},
        )
        thread, result = in_background(lambda: call(app, "post", url, world.bo_token))
        waits_for_lock(su_engine)
        held.commit()
        thread.join(timeout=30)
    assert result == [201]
    assert entry_row(su_engine, world.entry_id).reuse_count == 2


def test_a_copy_waiting_for_a_withdraw_is_refused(app, world, su_engine):
    # The publisher's withdraw holds the entry when Beta's copy comes: once it commits the
    # entry is withdrawn, and the copy is refused (422), not made from a withdrawn entry.
    with su_engine.connect() as held:
        held.execute(
            text("update catalogue_entry set withdrawn_at = now() where id = :e"),
            {"e": world.entry_id},
        )
        thread, result = in_background(
            lambda: call(app, "post", f"/api/v1/catalogue/{world.entry_id}/copy", world.bo_token)
        )
        waits_for_lock(su_engine)
        held.commit()
        thread.join(timeout=30)
    assert result == [422]
    copies = scalar(su_engine, "select count(*) from process where tenant_id = :t", t=world.beta.id)
    assert copies == 0
    assert entry_row(su_engine, world.entry_id).reuse_count == 0


def test_a_copy_waiting_for_the_operator_hiding_the_entry_is_not_found(app, world, su_engine):
    with su_engine.connect() as held:
        held.execute(
            text("update catalogue_entry set hidden_at = now(), hidden_reason = 'x' where id = :e"),
            {"e": world.entry_id},
        )
        thread, result = in_background(
            lambda: call(app, "post", f"/api/v1/catalogue/{world.entry_id}/copy", world.bo_token)
        )
        waits_for_lock(su_engine)
        held.commit()
        thread.join(timeout=30)
    assert result == [404]
    copies = scalar(su_engine, "select count(*) from process where tenant_id = :t", t=world.beta.id)
    assert copies == 0


def test_withdraw_and_copy_at_once_agree(app, world, su_engine):
    for _round in range(3):
        copy, withdraw = at_once(
            lambda: call(app, "post", f"/api/v1/catalogue/{world.entry_id}/copy", world.bo_token),
            lambda: call(
                app, "post", f"/api/v1/catalogue/{world.entry_id}/withdraw", world.team_token
            ),
        )
        assert withdraw == 200
        assert copy in (201, 422)
        row = entry_row(su_engine, world.entry_id)
        assert row.withdrawn_at is not None
        copies = scalar(
            su_engine,
            "select count(*) from process where tenant_id = :t and copied_from_entry_id = :e",
            t=world.beta.id,
            e=world.entry_id,
        )
        assert row.reuse_count == (1 if copies else 0)
        publish(app, world.team, world.process.id, title=f"Ny titel {_round}")


# --- publish -----------------------------------------------------------------------------


def _preview(app, token, process_id) -> str:
    r = app.test_client().post(
        f"/api/v1/processes/{process_id}/publish/preview", json={}, headers=bearer(token)
    )
    assert r.status_code == 200, r.get_json()
    return r.get_json()["fingerprint"]


def test_two_publishes_of_one_process_at_once_make_one_entry_and_one_version(
    app, make, world, su_engine
):
    process = make.process(world.team, title="Ny proces til kataloget", summary="Kort.")
    url = f"/api/v1/processes/{process.id}/publish"
    fingerprint = _preview(app, world.team_token, process.id)
    body = {"fingerprint": fingerprint, "size_band": "small"}
    statuses = at_once(*(lambda: call(app, "post", url, world.team_token, json=body),) * 4)
    assert set(statuses) <= {201, 409}, statuses
    assert 201 in statuses
    with su_engine.connect() as conn:
        entries = conn.scalars(
            text("select entry_id from catalogue_source where process_id = :p"), {"p": process.id}
        ).all()
        assert len(entries) == 1
        numbers = conn.scalars(
            text("select number from catalogue_version where entry_id = :e order by number"),
            {"e": entries[0]},
        ).all()
    # The same publish again (a double click) adds no version and tells no follower.
    assert numbers == [1]
    assert entry_row(su_engine, entries[0]).current_version == 1


def test_a_publish_waiting_for_the_process_being_deleted_answers_404(app, make, world, su_engine):
    process = make.process(world.team, title="Slettes snart", summary="Kort.")
    fingerprint = _preview(app, world.team_token, process.id)
    url = f"/api/v1/processes/{process.id}/publish"
    with su_engine.connect() as held:
        held.execute(text("delete from process where id = :p"), {"p": process.id})
        thread, result = in_background(
            lambda: call(
                app,
                "post",
                url,
                world.team_token,
                json={"fingerprint": fingerprint, "size_band": "small"},
            )
        )
        waits_for_lock(su_engine)
        held.commit()
        thread.join(timeout=30)
    assert result == [404]
    assert scalar(su_engine, "select count(*) from catalogue_entry") == 1  # world's only


def test_operator_hide_and_republish_at_once_keep_both(app, make, world, su_engine):
    operator = make.operator()
    console = app.test_client()
    operator_login(console, operator)

    def hide() -> int:
        try:
            return console.post(
                f"/operator/katalog/{world.entry_id}/skjul", data={"reason": "Personoplysninger"}
            ).status_code
        except Exception:
            return 500

    def republish() -> int:
        try:
            publish(app, world.team, world.process.id, title="Rettet titel")
            return 201
        except Exception as e:  # a conflict is an honest answer; anything else is not
            from autoproces.platform.errors import Conflict

            return 409 if isinstance(e, Conflict) else 500

    hidden, published = at_once(hide, republish)
    assert hidden == 302 and published in (201, 409)
    row = entry_row(su_engine, world.entry_id)
    assert row.hidden_at is not None  # republishing never un-hides
    assert row.current_version == (2 if published == 201 else 1)


def test_two_people_of_one_municipality_copying_at_once(app, make, world, su_engine):
    url = f"/api/v1/catalogue/{world.entry_id}/copy"
    tokens = [world.bo_token, make.token(world.bea), make.token(world.mia)]
    statuses = at_once(*(lambda t=t: call(app, "post", url, t) for t in tokens))
    assert statuses == [201, 201, 201]
    with su_engine.connect() as conn:
        numbers = conn.scalars(
            text("select number from process where tenant_id = :t"), {"t": world.beta.id}
        ).all()
    assert len(set(numbers)) == 3
    assert entry_row(su_engine, world.entry_id).reuse_count == 1

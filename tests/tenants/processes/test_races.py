"""Writes that race a delete answer 404/409, never 500: real threads, each with its own
database connection, started together at a barrier, 40 rounds each."""

from __future__ import annotations

import io
import threading
from collections import Counter

import pytest
from helpers import bearer

ROUNDS = 40
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture
def team(make):
    tenant = make.tenant("alpha", "Alfa Kommune")
    user = make.user(tenant, "automation", name="Tea Team")
    return user, make.token(user)


def race(app, first, second) -> tuple[int, int]:
    """Run `first(client)` and `second(client)` at the same moment; their status codes."""
    barrier = threading.Barrier(2)
    results: dict[int, int] = {}

    def run(index: int, call) -> None:
        client = app.test_client()
        barrier.wait()
        try:
            results[index] = call(client).status_code
        except Exception:  # TESTING propagates what would have been a 500
            results[index] = 500

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate((first, second))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results[0], results[1]


def test_patching_an_attachment_while_it_is_deleted_is_never_a_500(app, client, make, team):
    user, token = team
    seen: Counter[int] = Counter()
    for _ in range(ROUNDS):
        process = make.process(user)
        base = f"/api/v1/processes/{process.id}/attachments"
        r = client.post(
            base,
            data={"file": [(io.BytesIO(PDF), "a.pdf")]},
            headers=bearer(token),
            content_type="multipart/form-data",
        )
        assert r.status_code == 201
        at = f"{base}/{r.get_json()[0]['id']}"
        deleted, patched = race(
            app,
            lambda c, at=at: c.delete(at, headers=bearer(token)),
            lambda c, at=at: c.patch(
                at, json={"description": "ny", "shareable": True}, headers=bearer(token)
            ),
        )
        assert deleted == 204
        assert patched in (200, 404, 409), patched
        seen[patched] += 1
    # Both orders happened: the race was really run, not serialised by the test.
    assert seen[404] > 0, seen


def test_commenting_while_the_process_is_deleted_is_never_a_500(app, make, team):
    user, token = team
    seen: Counter[int] = Counter()
    for _ in range(ROUNDS):
        process = make.process(user)
        at = f"/api/v1/processes/{process.id}"
        deleted, commented = race(
            app,
            lambda c, at=at: c.delete(at, headers=bearer(token)),
            lambda c, at=at: c.post(f"{at}/comments", json={"body": "Hej"}, headers=bearer(token)),
        )
        assert deleted == 204
        assert commented in (201, 404, 409), commented
        seen[commented] += 1
    assert seen[404] > 0, seen


def test_changing_a_process_while_it_is_deleted_is_never_a_500(app, make, team):
    user, token = team
    seen: Counter[str] = Counter()
    for _ in range(ROUNDS):
        process = make.process(user)
        at = f"/api/v1/processes/{process.id}"
        deleted, patched = race(
            app,
            lambda c, at=at: c.delete(at, headers=bearer(token)),
            lambda c, at=at: c.patch(
                at, json={"version": 1, "description": "ny"}, headers=bearer(token)
            ),
        )
        # A delete that loses to a change meets a new version: 409 (a row changed meanwhile).
        assert deleted in (204, 409), deleted
        assert patched in (200, 404, 409), patched
        seen[f"delete {deleted}"] += 1
        seen[f"patch {patched}"] += 1
    print(dict(seen))
    assert seen["patch 404"] + seen["delete 409"] > 0, seen

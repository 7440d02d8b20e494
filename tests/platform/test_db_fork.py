"""A forked process never speaks through its parent's database connection."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, text

import autoproces.platform.db  # noqa: F401  (installs the fork guards on every engine)


def _in_child(fn) -> str:
    """Run `fn` in a forked child; its result (a string) comes back through a pipe."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.write(write, fn().encode())
        except BaseException as e:  # noqa: BLE001
            os.write(write, f"error: {e!r}".encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as f:
        out = f.read()
    os.waitpid(pid, 0)
    return out


@pytest.fixture
def engine(database):
    engine = create_engine(database.app_url)
    yield engine
    engine.dispose()


def _backend_pid(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(text("select pg_backend_pid()"))


def test_a_forked_child_opens_its_own_connection_and_leaves_the_parents_alone(engine):
    parent_backend = _backend_pid(engine)  # now pooled, and inherited by the fork
    child_backend = _in_child(lambda: str(_backend_pid(engine)))
    assert child_backend.isdigit(), child_backend
    assert int(child_backend) != parent_backend
    # The child did not close the parent's socket on its way out.
    assert _backend_pid(engine) == parent_backend


def test_a_connection_from_another_process_is_refused_at_checkout(engine, monkeypatch):
    import weakref

    from autoproces.platform import db as platform_db

    parent_backend = _backend_pid(engine)
    # Hide the engine from the at-fork disposal: the pid guard alone must still give the
    # child a session of its own.
    monkeypatch.setattr(platform_db, "_engines", weakref.WeakSet())
    child_backend = _in_child(lambda: str(_backend_pid(engine)))
    assert child_backend.isdigit(), child_backend
    assert int(child_backend) != parent_backend
    assert _backend_pid(engine) == parent_backend

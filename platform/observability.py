"""What `autoproces serve` and `autoproces worker` set up before the app exists: the log
format (logs.py) and the directory prometheus_client's multiprocess mode writes to
(metrics.py, which must not be imported before it is set)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .logs import configure, logging_config

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def prepare_multiprocess_dir(env: Mapping[str, str] | None = None) -> Path:
    """Set PROMETHEUS_MULTIPROC_DIR for this process and the workers it forks, emptied: the
    one given, or a fresh temporary directory. Values left by an earlier start would be
    counted again, and a live gauge of a process long gone would never leave the sum."""
    env = os.environ if env is None else env
    given = (env.get(MULTIPROC_ENV) or "").strip()
    if given:
        path = Path(given)
        path.mkdir(parents=True, exist_ok=True)
        for entry in path.glob("*.db"):
            entry.unlink()
    else:
        path = Path(tempfile.mkdtemp(prefix="autoproces-metrics-"))
    os.environ[MULTIPROC_ENV] = str(path)
    return path


def _child_exit(server: Any, worker: Any) -> None:
    from .metrics import child_exit

    child_exit(server, worker)


def prepare_serve(log_format: str) -> Callable[[], None]:
    """Before `serve` builds the app: logs as `log_format`, the metrics directory ready.
    Returns what undoes both when the command ends (in the process that called this only:
    a gunicorn worker ending must not take the master's directory with it)."""
    before = os.environ.get(MULTIPROC_ENV)
    restore_logging = configure(log_format)
    path = prepare_multiprocess_dir()
    pid = os.getpid()

    def undo() -> None:
        if os.getpid() != pid:
            return
        restore_logging()
        if before is None:
            os.environ.pop(MULTIPROC_ENV, None)
            shutil.rmtree(path, ignore_errors=True)  # our own temporary one
        else:
            os.environ[MULTIPROC_ENV] = before

    return undo


def gunicorn_settings(log_format: str) -> dict[str, Any]:
    """gunicorn's settings for logs and metrics: its access log off (it would print query
    strings; logs.py writes the request line), its own messages in our format, and a worker
    that exits marked dead for the metrics."""
    return {
        "accesslog": None,
        "logconfig_dict": logging_config(log_format),
        "child_exit": _child_exit,
    }

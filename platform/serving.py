"""How `autoproces serve` runs gunicorn so that it stops without dropping a request.

On SIGTERM (Kubernetes ending a pod) gunicorn's master closes its listening socket and lets
each worker finish the request it is in, for up to the graceful timeout. But the workers
share that socket and keep it open until they exit, so while one still finishes a request,
new connections queue on it unanswered and are reset when it exits. Here the master first
tells the workers to stop, then shuts the shared socket down, for every process at once: new
connections are refused at once (the load balancer tries another pod) while the requests in
flight complete.
"""

from __future__ import annotations

import socket
import sys
import time
from typing import Any

# gunicorn kills a worker silent this long; a web request's statement gives up before
# (AUTOPROCES_DB_STATEMENT_TIMEOUT, 20 s), so a slow database is a 503, not a killed worker.
WORKER_TIMEOUT_SECONDS = 30
# How long the requests in flight get after SIGTERM (the pod's terminationGracePeriodSeconds
# must be longer).
GRACEFUL_TIMEOUT_SECONDS = 30
SETTINGS = {"timeout": WORKER_TIMEOUT_SECONDS, "graceful_timeout": GRACEFUL_TIMEOUT_SECONDS}


def run(application: Any) -> None:
    """Run a gunicorn `BaseApplication` with the graceful stop above."""
    import signal

    from gunicorn.arbiter import Arbiter

    class GracefulArbiter(Arbiter):  # type: ignore[misc]
        told = False  # the workers have had their SIGTERM

        def kill_workers(self, sig: int) -> None:
            # Once only: a second SIGTERM reaching a worker as its interpreter exits (the
            # default action restored) would kill it mid-exit.
            if sig != signal.SIGTERM or not self.told:
                super().kill_workers(sig)

        def stop(self, graceful: bool = True) -> None:
            # Only a master that shares its sockets with no other (no USR2 re-exec, no
            # systemd socket) may shut them down: shutdown() acts on every copy.
            alone = self.reexec_pid == self.master_pid == 0 and not self.systemd
            if graceful and alone and self.LISTENERS:
                # Idle workers leave before the socket goes (an idle worker woken by the
                # shutdown would fail in accept()); a busy one finishes its request first.
                self.kill_workers(signal.SIGTERM)
                self.told = True
                time.sleep(0.2)
                for listener in self.LISTENERS:
                    try:
                        listener.sock.shutdown(socket.SHUT_RD)
                    except OSError:
                        pass  # not connected or already shut: nothing to refuse
            super().stop(graceful)

    try:
        GracefulArbiter(application).run()
    except RuntimeError as e:
        print(f"\nError: {e}\n", file=sys.stderr)
        sys.exit(1)

"""`autoproces worker --metrics-port`: the worker is its own process (its own pod in the
chart), so it answers its own scrapes: passes, e-mails sent and not sent, behind the same
token as the web app's `/metrics`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from helpers import SmtpServer, app_env, bearer, free_port
from prometheus_client.parser import text_string_to_metric_families
from test_outbox import queue

TOKEN = "worker-metrics-token-5x"


def _metric(body: str, name: str) -> float:
    return sum(
        s.value
        for family in text_string_to_metric_families(body)
        for s in family.samples
        if s.name == name
    )


@pytest.mark.slow
def test_the_worker_answers_its_own_scrapes(database, app, make, tmp_path):
    smtp = SmtpServer()
    smtp.start()
    tenant = make.tenant("workermetrik")
    port = free_port()
    env = {
        **os.environ,
        **app_env(
            database,
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=str(smtp.port),
            AUTOPROCES_METRICS_TOKEN=TOKEN,
        ),
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "autoproces"),
                "worker",
                "--interval",
                "0.2",
                "--no-daily",
                "--metrics-host",
                "127.0.0.1",
                "--metrics-port",
                str(port),
            ],
            env=env,
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/metrics"

    def scrape_until(name: str, wanted: float) -> str:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                r = requests.get(url, headers=bearer(TOKEN), timeout=5)
                if r.status_code == 200 and _metric(r.text, name) >= wanted:
                    return r.text
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, (name, log.read_text()[-2000:])
            time.sleep(0.2)

    try:
        queue(app, tenant, 3)
        body = scrape_until("autoproces_worker_messages_sent_total", 3)
        assert _metric(body, "autoproces_worker_passes_total") >= 1
        assert _metric(body, "autoproces_worker_last_pass_timestamp_seconds") > time.time() - 60
        assert len(smtp.messages) == 3
        # The mail server goes away: what could not be sent is counted, and kept.
        smtp.stop()
        queue(app, tenant, 2)
        body = scrape_until("autoproces_worker_messages_failed_total", 2)
        assert _metric(body, "autoproces_worker_messages_sent_total") == 3
        assert requests.get(url, timeout=5).status_code == 401
        assert requests.get(url, headers=bearer("wrong"), timeout=5).status_code == 401
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        smtp.stop()
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    logged = [json.loads(line) for line in lines if not line.startswith("Sent ")]
    assert any("unreachable" in e["message"] for e in logged)  # JSON, as under `serve`
    assert TOKEN not in log.read_text()

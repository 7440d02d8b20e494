"""A bounded fuzz run with schemathesis over the whole OpenAPI document: valid and invalid
requests for every operation, with a valid token, some aimed at a real process. None may
answer 5xx. The figures (requests, 5xx) are printed and written to fuzz-figures.json in
the test's temporary folder."""

from __future__ import annotations

import json
import time
from collections import Counter

import pytest
import schemathesis
from helpers import bearer
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.slow

# Examples per operation and generation mode: about 30 operations × 2 modes × this, within
# a couple of minutes on a shared two-core machine.
EXAMPLES = 20


def _publish(app, token: str, process_id) -> str:
    """Publish the process to the catalogue through the API: the new entry's id."""
    c = app.test_client()
    url = f"/api/v1/processes/{process_id}/publish"
    preview = c.post(f"{url}/preview", json={}, headers=bearer(token)).get_json()
    answer = c.post(
        url,
        json={"fingerprint": preview["fingerprint"], "size_band": "small"},
        headers=bearer(token),
    )
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["id"]


def test_no_request_from_the_openapi_document_gets_a_5xx(app, make, tmp_path):
    tenant = make.tenant("alpha", "Alfa Kommune")
    team = make.user(tenant, "automation")
    token = make.token(team)
    real = [str(make.process(team, title=f"Proces {i}").id) for i in range(3)]
    # Catalogue entries to aim at: another municipality's (copy, interest, contact get past
    # their 404) and the caller's own (withdraw, and the refusals of reusing one's own).
    other = make.user(make.tenant("beta", "Beta Kommune"), "automation")
    entries = [
        _publish(app, make.token(other), make.process(other, title="Delt proces").id),
        _publish(app, token, real[0]),
    ]
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    counts: Counter[str] = Counter()
    failures: list[str] = []
    started = time.monotonic()

    def fuzz(operation, mode) -> None:
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,  # the same requests every run: a failure can be repeated
            suppress_health_check=list(HealthCheck),
            phases=[Phase.generate],
        )
        @given(case=operation.as_strategy(generation_mode=mode), aim=st.integers(0, 3))
        def run(case, aim):
            params = case.path_parameters or {}
            # Aim some at a real process, so the checks behind the 404 run too.
            if "process_id" in params and aim < len(real) and operation.method != "delete":
                params["process_id"] = real[aim]
            if "entry_id" in params and aim < len(entries):
                params["entry_id"] = entries[aim]
                if "number" in params:
                    params["number"] = 1
            try:
                response = case.call(headers=bearer(token))
                status = response.status_code
            except Exception as e:  # TESTING propagates what would have been a 500
                status = 500
                failures.append(f"{operation.label} [{mode.value}]: {e!r}"[:500])
            counts["requests"] += 1
            if status >= 500:
                counts["5xx"] += 1
                if len(failures) < 20:
                    failures.append(f"{operation.label} [{mode.value}] → {status}: {case!r}"[:500])

        run()

    catalogue = Counter()
    for result in schema.get_all_operations():
        operation = result.ok()
        before = counts["requests"]
        for mode in schemathesis.GenerationMode:
            fuzz(operation, mode)
        counts["operations"] += 1
        if "/catalogue" in operation.path or "/publish" in operation.path:
            catalogue["operations"] += 1
            catalogue["requests"] += counts["requests"] - before

    figures = {
        "5xx": 0,
        **counts,
        "catalogue_operations": catalogue["operations"],
        "catalogue_requests": catalogue["requests"],
        "seconds": round(time.monotonic() - started, 1),
    }
    (tmp_path / "fuzz-figures.json").write_text(json.dumps(figures))
    print("\nfuzz figures:", figures)
    assert counts["operations"] >= 25
    # Every catalogue operation of the API (api.py, reuse_api.py) was in the run.
    assert catalogue["operations"] >= 11, catalogue
    assert counts["requests"] >= counts["operations"] * EXAMPLES
    assert failures == []
    assert counts["5xx"] == 0

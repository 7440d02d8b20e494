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


def test_no_request_from_the_openapi_document_gets_a_5xx(app, make, tmp_path):
    tenant = make.tenant("alpha", "Alfa Kommune")
    team = make.user(tenant, "automation")
    token = make.token(team)
    real = [str(make.process(team, title=f"Proces {i}").id) for i in range(3)]
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

    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in schemathesis.GenerationMode:
            fuzz(operation, mode)
        counts["operations"] += 1

    figures = {"5xx": 0, **counts, "seconds": round(time.monotonic() - started, 1)}
    (tmp_path / "fuzz-figures.json").write_text(json.dumps(figures))
    print("\nfuzz figures:", figures)
    assert counts["operations"] >= 25
    assert counts["requests"] >= counts["operations"] * EXAMPLES
    assert failures == []
    assert counts["5xx"] == 0

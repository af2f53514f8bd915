"""A PromQL step against a real Prometheus (Debian package) scraping a target this test
serves, run through the API with its threshold passing and failing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from warroom.clock import FakeClock
from warroom.runtime import Runtime
from warroom.testing.receivers import HttpReceiver, ScriptedResponse
from warroom.testing.runbooks import RealPrometheus, ok, run_step, start_run, write_org
from warroom.testing.runtime import Users, make_runtime

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(
    not Path(RealPrometheus.BINARY).exists(), reason="prometheus is not installed")]

METRICS = ("# TYPE frontend_error_ratio gauge\n"
           'frontend_error_ratio{pod="web-1"} 0.02\n'
           'frontend_error_ratio{pod="web-2"} 0.4\n')
ERRORS: dict[str, Any] = {
    "id": "frontend-errors", "title": "Frontend error ratio",
    "parameters": [{"name": "pod", "default": "web-1"}],
    "steps": [
        {"id": "one-pod-ok", "title": "Pod error ratio below 5%", "phase": "verify",
         "executor": {"type": "promql", "query": 'frontend_error_ratio{pod="{{ pod }}"}',
                      "threshold": {"op": "<", "value": 0.05}}},
        {"id": "all-pods-ok", "title": "All pods below 5%", "phase": "verify",
         "executor": {"type": "promql", "query": "frontend_error_ratio",
                      "threshold": {"op": "<", "value": 0.05}}},
    ],
}


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealPrometheus]:
    with HttpReceiver(default=ScriptedResponse(body=METRICS)) as target:
        workdir = tmp_path_factory.mktemp("prometheus")
        with RealPrometheus(workdir, [f"127.0.0.1:{target.port}"]) as prom:
            prom.wait_for("frontend_error_ratio")
            yield prom


@pytest.fixture
def runtime(db_url: str, tmp_path: Path, clock: FakeClock,
            prometheus: RealPrometheus) -> Iterator[Runtime]:
    config = write_org(tmp_path, [ERRORS], extra={"prometheus_url": prometheus.url})
    rt = make_runtime(db_url, tmp_path, clock, config)
    yield rt
    rt.engine.dispose()


def test_promql_threshold_passes_for_a_healthy_pod_and_fails_for_a_sick_one(
        client: TestClient, users: Users) -> None:
    run = start_run(client, users, "frontend-errors")
    healthy = ok(run_step(client, users, run["id"], "one-pod-ok"))
    assert healthy["state"] == "ok"
    assert healthy["rendered"] == 'frontend_error_ratio{pod="web-1"}'
    output = client.get(healthy["output_url"], headers=users.headers("viewer")).text
    assert 'pod="web-1"' in output and output.endswith(" 0.02")
    sick = ok(run_step(client, users, run["id"], "all-pods-ok"))
    assert sick["state"] == "failed"
    assert 'pod="web-2"} = 0.4' in sick["detail"]


def test_a_label_value_cannot_break_out_of_the_promql_string(
        client: TestClient, users: Users) -> None:
    run = start_run(client, users, "frontend-errors", None, pod='web-1"} or vector(1) #')
    step = ok(run_step(client, users, run["id"], "one-pod-ok"))
    assert step["state"] == "failed" and "no data" in step["detail"]

"""Runs through the HTTP API on both engines: registry, suggestions, attach, shell steps in
enabled and dry-run modes, manual steps, skip/retry, artifacts and standalone chains."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from warroom.clock import FakeClock
from warroom.domain.events import verify_chain
from warroom.domain.incident import Draft
from warroom.runbooks.journal import load_run_events
from warroom.runtime import Runtime
from warroom.services.incidents import IncidentService
from warroom.store import db
from warroom.store.runbooks import incident_artifacts
from warroom.testing.runbooks import declare, ok, run_step, start_run, timeline, write_org
from warroom.testing.runtime import Users, make_runtime

DIAG: dict[str, Any] = {
    "id": "web-diag", "title": "Web diagnosis",
    "applies_to": {"services": ["frontend"], "alerts": ["alertname=WebDown"]},
    "parameters": [{"name": "target", "default": "world", "source": "label:instance"},
                   {"name": "token", "secret": True, "default": "s3cret"}],
    "steps": [
        {"id": "hello", "title": "Say hello", "phase": "diagnose",
         "executor": {"type": "shell", "command": "echo hello {{ target }}; echo done >&2"}},
        {"id": "fails", "title": "A failing check", "phase": "diagnose",
         "executor": {"type": "shell", "command": "echo broken; exit 3"}},
        {"id": "look", "title": "Look at the dashboard", "phase": "diagnose"},
        {"id": "auth", "title": "Authenticated probe", "phase": "diagnose",
         "executor": {"type": "shell", "command": "echo -n {{ token }} | wc -c"}},
    ],
}
OTHER: dict[str, Any] = {"id": "api-only", "title": "API things",
                         "applies_to": {"services": ["api"]},
                         "steps": [{"id": "a", "title": "A"}]}
BROKEN: dict[str, Any] = {"id": "broken", "title": "Broken",
                          "steps": [{"id": "x", "title": "X", "executor": {
                              "type": "shell", "command": "echo {{ nope }}"}}]}


@pytest.fixture
def mode() -> str:
    return "enabled"


@pytest.fixture
def runtime(db_url: str, tmp_path: Path, clock: FakeClock, mode: str) -> Iterator[Runtime]:
    config = write_org(tmp_path, [DIAG, OTHER, BROKEN], execution=mode)
    rt = make_runtime(db_url, tmp_path, clock, config)
    yield rt
    rt.engine.dispose()


def test_registry_lists_runbooks_with_lint_findings(client: TestClient, users: Users) -> None:
    data = ok(client.get("/api/v1/runbooks", headers=users.headers("viewer")))
    assert {i["id"]: i["runnable"] for i in data["items"]} == {
        "api-only": True, "broken": False, "web-diag": True}
    assert data["execution"] == "enabled"
    one = ok(client.get("/api/v1/runbooks/broken", headers=users.headers("viewer")))
    codes = [f["code"] for f in one["findings"]]
    assert "undeclared-parameter" in codes
    assert one["findings"][0]["where"].endswith("broken.yaml:" + str(one["findings"][0]["line"]))
    refused = client.post("/api/v1/runs", headers=users.headers("responder"),
                          json={"runbook": "broken"})
    assert refused.status_code == 422 and "lint errors" in refused.json()["detail"]


def test_suggestions_rank_matching_runbook_and_attach_is_an_event(
        client: TestClient, users: Users) -> None:
    inc = declare(client, users)
    items = ok(client.get(f"/api/v1/incidents/{inc}/runbooks/suggested",
                          headers=users.headers("viewer")))["items"]
    assert [i["runbook_id"] for i in items] == ["web-diag"]
    assert "service 'frontend'" in items[0]["reasons"]
    ok(client.post(f"/api/v1/incidents/{inc}/runbooks", headers=users.headers("responder"),
                   json={"runbook": "web-diag"}), 201)
    assert client.post(f"/api/v1/incidents/{inc}/runbooks", headers=users.headers("viewer"),
                       json={"runbook": "web-diag"}).status_code == 403
    assert client.delete(f"/api/v1/incidents/{inc}/runbooks/web-diag",
                         headers=users.headers("responder")).status_code == 204
    kinds = [e["kind"] for e in timeline(client, users, inc)]
    assert kinds[-2:] == ["runbook_attached", "runbook_detached"]


def test_shell_step_output_is_captured_as_an_artifact_and_in_the_timeline(
        client: TestClient, users: Users, runtime: Runtime) -> None:
    inc = declare(client, users)
    run = start_run(client, users, "web-diag", inc, target="there")
    step = ok(run_step(client, users, run["id"], "hello"))
    assert step["state"] == "ok" and step["exit_code"] == 0
    out = client.get(step["output_url"], headers=users.headers("viewer"))
    assert out.text == "hello there\ndone\n"
    failed = ok(run_step(client, users, run["id"], "fails"))
    assert failed["state"] == "failed" and failed["exit_code"] == 3
    events = [e for e in timeline(client, users, inc) if e["kind"].startswith("runbook_step")]
    assert [(e["kind"], e["data"]["step_id"]) for e in events] == [
        ("runbook_step_started", "hello"), ("runbook_step_finished", "hello"),
        ("runbook_step_started", "fails"), ("runbook_step_finished", "fails")]
    with db.read(runtime.engine) as conn:
        logs = incident_artifacts(conn, ok(client.get(
            f"/api/v1/incidents/{inc}", headers=users.headers("viewer")))["id"])
    assert logs[f"{step['output_sha256']}.log"] == b"hello there\ndone\n"
    finished = events[1]["data"]
    assert finished["rendered"] == "echo hello there; echo done >&2"
    assert finished["output_sha256"] == step["output_sha256"]
    assert finished["outcome"] == "ok" and finished["exit_code"] == 0
    assert events[1]["actor"] == "responder"


def test_parameter_text_never_becomes_code(client: TestClient, users: Users,
                                           tmp_path: Path) -> None:
    """A value for an alert-sourced parameter must be one inert word, even when a person
    typed it at start: otherwise the step is refused before anything runs."""
    marker = tmp_path / "pwned"
    run = start_run(client, users, "web-diag", None, target=f"x; touch {marker} $(id)")
    refused = run_step(client, users, run["id"], "hello")
    assert refused.status_code == 422, refused.text
    detail = refused.json()["detail"]
    assert "step 'hello'" in detail and "parameter 'target'" in detail
    assert "label:instance" in detail and "';' at position 2" in detail
    assert "pattern: <regex>" in detail and "free_text: true" in detail
    assert not marker.exists()
    steps = ok(client.get(f"/api/v1/runs/{run['id']}", headers=users.headers("viewer")))
    assert {s["step_id"]: s["state"] for s in steps["steps"]}["hello"] == "pending"
    fine = start_run(client, users, "web-diag", None, target="web-1.example.com:9100")
    step = ok(run_step(client, users, fine["id"], "hello"))
    assert step["state"] == "ok"
    out = client.get(step["output_url"], headers=users.headers("viewer")).text
    assert out.startswith("hello web-1.example.com:9100\n")


@pytest.mark.parametrize("mode", ["dry-run"])
def test_dry_run_shows_the_rendered_command_and_runs_nothing(
        client: TestClient, users: Users, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    run = start_run(client, users, "web-diag", None, target=f"$(touch {marker})")
    refused = run_step(client, users, run["id"], "hello")
    assert refused.status_code == 422 and "'$' at position 1" in refused.json()["detail"]
    run = start_run(client, users, "web-diag", None, target="web-1")
    step = ok(run_step(client, users, run["id"], "hello"))
    assert step["state"] == "skipped" and step["mode"] == "dry-run"
    assert step["rendered"] == "echo hello web-1; echo done >&2"
    assert "dry-run" in step["detail"]
    assert not marker.exists()


def test_manual_steps_are_done_with_a_note_and_skips_need_a_reason(
        client: TestClient, users: Users) -> None:
    inc = declare(client, users)
    run = start_run(client, users, "web-diag", inc)
    rid = run["id"]
    assert run_step(client, users, rid, "look").status_code == 422
    done = ok(client.post(f"/api/v1/runs/{rid}/steps/look/done",
                          headers=users.headers("responder"), json={"note": "graphs flat"}))
    assert done["state"] == "done_manually" and done["note"] == "graphs flat"
    assert client.post(f"/api/v1/runs/{rid}/steps/hello/skip", headers=users.headers(
        "responder"), json={"reason": ""}).status_code == 422
    ok(client.post(f"/api/v1/runs/{rid}/steps/hello/skip", headers=users.headers("responder"),
                   json={"reason": "known"}))
    assert client.post(f"/api/v1/runs/{rid}/steps/fails/retry",
                       headers=users.headers("responder")).status_code == 409
    ok(run_step(client, users, rid, "fails"))
    retried = ok(client.post(f"/api/v1/runs/{rid}/steps/fails/retry",
                             headers=users.headers("responder")))
    assert retried["state"] == "failed" and retried["attempts"] == 2
    ok(client.post(f"/api/v1/runs/{rid}/steps/fails/skip", headers=users.headers("responder"),
                   json={"reason": "flaky"}))
    final = ok(client.get(f"/api/v1/runs/{rid}", headers=users.headers("viewer")))
    assert final["status"] == "open"  # 'auth' is still pending
    ok(client.post(f"/api/v1/runs/{rid}/steps/auth/skip", headers=users.headers("responder"),
                   json={"reason": "not needed"}))
    final = ok(client.get(f"/api/v1/runs/{rid}", headers=users.headers("viewer")))
    assert final["status"] == "completed"
    assert {s["step_id"]: s["state"] for s in final["steps"]} == {
        "hello": "skipped", "fails": "skipped", "look": "done_manually", "auth": "skipped"}
    finished = [e["data"] for e in timeline(client, users, inc)
                if e["kind"] == "runbook_step_finished"]
    assert {"step_id": "hello", "outcome": "skipped", "reason": "known"}.items() <= \
        finished[1].items()
    assert timeline(client, users, inc)[-1]["kind"] == "runbook_run_completed"


def test_viewers_cannot_run_steps(client: TestClient, users: Users) -> None:
    run = start_run(client, users, "web-diag")
    assert run_step(client, users, run["id"], "hello", who="viewer").status_code == 403


def test_standalone_run_events_form_a_verifiable_chain(
        client: TestClient, users: Users, runtime: Runtime) -> None:
    run = start_run(client, users, "web-diag")
    ok(run_step(client, users, run["id"], "hello"))
    events = ok(client.get(f"/api/v1/runs/{run['id']}/events",
                           headers=users.headers("viewer")))["events"]
    assert [e["kind"] for e in events] == ["runbook_run_started", "runbook_step_started",
                                           "runbook_step_finished"]
    with db.read(runtime.engine) as conn:
        chain = load_run_events(conn, run["id"])
    assert verify_chain(chain, chain=f"run:{run['id']}") is None
    listed = ok(client.get("/api/v1/runs", params={"runbook": "web-diag"},
                           headers=users.headers("viewer")))
    assert [r["id"] for r in listed["items"]] == [run["id"]]


def test_step_output_of_a_restricted_incident_is_hidden_from_outsiders(
        client: TestClient, users: Users) -> None:
    inc = declare(client, users, title="Token leak", type="security")
    run = start_run(client, users, "web-diag", inc, target="secret-host")
    step = ok(run_step(client, users, run["id"], "hello"))
    assert client.get(step["output_url"], headers=users.headers("viewer")).status_code == 404
    assert client.get(f"/api/v1/runs/{run['id']}",
                      headers=users.headers("viewer")).status_code == 404
    assert client.get(step["output_url"], headers=users.headers("responder")).text.startswith(
        "hello secret-host")


def test_alerts_on_the_incident_drive_suggestions_and_fill_sourced_parameters(
        client: TestClient, users: Users, runtime: Runtime) -> None:
    inc = declare(client, users, services=["api"])
    IncidentService(runtime).append_system(inc, [Draft("alert_attached", {
        "labels": {"alertname": "WebDown", "instance": "web-7:443"},
        "annotations": {"summary": "down"}})], "warroom")
    items = ok(client.get(f"/api/v1/incidents/{inc}/runbooks/suggested",
                          headers=users.headers("viewer")))["items"]
    assert items[0]["runbook_id"] == "web-diag"
    assert any("alertname=WebDown" in r for r in items[0]["reasons"])
    run = start_run(client, users, "web-diag", inc)
    step = ok(run_step(client, users, run["id"], "hello"))
    assert step["rendered"] == "echo hello web-7:443; echo done >&2"


def test_secret_parameters_are_never_stored_or_shown(client: TestClient, users: Users) -> None:
    refused = client.post("/api/v1/runs", headers=users.headers("responder"),
                          json={"runbook": "web-diag", "params": {"token": "abc"}})
    assert refused.status_code == 422 and "never stored" in refused.json()["detail"]
    run = start_run(client, users, "web-diag")
    step = ok(run_step(client, users, run["id"], "auth"))
    assert step["rendered"] == "echo -n '<secret>' | wc -c"
    assert client.get(step["output_url"], headers=users.headers("viewer")).text.strip() == "6"

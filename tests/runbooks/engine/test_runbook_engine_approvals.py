"""Approvals, revert deadlines, scheduled runs and automation guard rails, on both engines,
through the API and the engine worker with a FakeClock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from warroom.clock import FakeClock
from warroom.engine.worker import Worker
from warroom.runbooks.approvals import is_satisfied
from warroom.runbooks.automation import run_step_for_rule
from warroom.runbooks.scheduling import latest_due
from warroom.runtime import Runtime
from warroom.store import db
from warroom.store.engine import outbox
from warroom.testing.receivers import HttpReceiver
from warroom.testing.runbooks import declare, ok, run_step, start_run, timeline, write_org
from warroom.testing.runtime import Users, make_runtime

GATED: dict[str, Any] = {
    "id": "gated", "title": "Gated changes", "applies_to": {"services": ["frontend"]},
    "steps": [
        {"id": "bypass", "title": "Bypass the policy", "phase": "mitigate", "dangerous": True,
         "requires_approval": {"roles": ["commander"], "count": 1},
         "revert": {"within": "1h", "step": "undo"},
         "executor": {"type": "shell", "command": "echo bypassed"}},
        {"id": "two-keys", "title": "Needs two people", "phase": "mitigate",
         "requires_approval": {"roles": ["sre"], "count": 2},
         "executor": {"type": "shell", "command": "echo two"}},
        {"id": "ic-and-sec", "title": "IC and security", "phase": "mitigate",
         "requires_approval": {"roles": ["incident_commander", "security"], "count": 2},
         "executor": {"type": "shell", "command": "echo both"}},
        {"id": "sign-bypass", "title": "Sign the bypass form", "phase": "mitigate",
         "requires_approval": {"roles": ["security"], "count": 1}},
        {"id": "check", "title": "Check", "phase": "verify",
         "executor": {"type": "shell", "command": "echo fine"}},
        {"id": "undo", "title": "Undo the bypass", "phase": "recover",
         "executor": {"type": "shell", "command": "echo undone"}},
    ],
}
AUTO: dict[str, Any] = {
    "id": "auto-fix", "title": "Automatic fixes",
    "steps": [
        {"id": "restart", "title": "Restart", "phase": "mitigate", "auto": True,
         "executor": {"type": "shell", "command": "echo restarted"}},
        {"id": "by-hand", "title": "Restart by hand", "phase": "mitigate",
         "executor": {"type": "shell", "command": "echo manual"}},
        {"id": "verify", "title": "Verify", "phase": "verify"},
    ],
}
NIGHTLY: dict[str, Any] = {
    "id": "nightly-backup-check", "title": "Nightly backup verification",
    "schedule": "0 2 * * *",
    "steps": [
        {"id": "list", "title": "List backups", "phase": "verify",
         "executor": {"type": "shell", "command": "echo backup-ok"}},
        {"id": "sign-off", "title": "Sign off", "phase": "verify"},
    ],
}


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    with HttpReceiver() as r:
        yield r


@pytest.fixture
def runtime(db_url: str, tmp_path: Path, clock: FakeClock,
            receiver: HttpReceiver) -> Iterator[Runtime]:
    org = {"services": [{"name": "frontend"}, {"name": "api"}],
           "channels": {"chat": {"type": "webhook", "url": receiver.url_for("/hook")}}}
    config = write_org(tmp_path, [GATED, AUTO, NIGHTLY], org=org, extra={
        "notify": {"channels": ["chat"]},
        "automation": {"max_runs_per_service_per_hour": 2, "cooldown": "5m"}})
    rt = make_runtime(db_url, tmp_path, clock, config)
    yield rt
    rt.engine.dispose()


def _request(client: TestClient, users: Users, run_id: str, step: str,
             who: str = "responder") -> dict[str, Any]:
    result: dict[str, Any] = ok(client.post(
        f"/api/v1/runs/{run_id}/steps/{step}/approval", headers=users.headers(who),
        json={"reason": "customers are down"}), 201)
    return result


def _decide(client: TestClient, users: Users, req: str, verb: str, who: str) -> Any:
    return client.post(f"/api/v1/approvals/{req}/{verb}", headers=users.headers(who),
                       json={"reason": f"{who} says {verb}"})


def test_gated_step_cannot_run_before_approval_and_self_approval_is_refused(
        client: TestClient, users: Users, runtime: Runtime) -> None:
    inc = declare(client, users)
    run = start_run(client, users, "gated", inc)
    blocked = run_step(client, users, run["id"], "bypass")
    assert blocked.status_code == 409 and "request-approval" in blocked.json()["detail"]
    req = _request(client, users, run["id"], "bypass", who="commander")
    own = _decide(client, users, req["id"], "approve", "commander")
    assert own.status_code == 403 and "their own request" in own.json()["detail"]
    assert run_step(client, users, run["id"], "bypass").status_code == 409
    with db.read(runtime.engine) as conn:
        queued = conn.execute(sa.select(outbox.c.kind, outbox.c.channel)).all()
    assert [(r.kind, r.channel) for r in queued] == [("approval_request", "chat")]


def test_wrong_role_is_refused_and_the_right_one_unlocks_the_step(
        client: TestClient, users: Users) -> None:
    inc = declare(client, users)
    run = start_run(client, users, "gated", inc)
    req = _request(client, users, run["id"], "bypass")
    wrong = _decide(client, users, req["id"], "approve", "responder2")
    assert wrong.status_code == 403 and "commander" in wrong.json()["detail"]
    granted = ok(_decide(client, users, req["id"], "approve", "commander"))
    assert granted["status"] == "granted"
    step = ok(run_step(client, users, run["id"], "bypass"))
    assert step["state"] == "ok"
    again = _decide(client, users, req["id"], "revoke", "commander")
    assert again.status_code == 409  # used: the step already ran
    kinds = [e["kind"] for e in timeline(client, users, inc)]
    assert kinds.index("approval_requested") < kinds.index("approval_granted") < \
        kinds.index("runbook_step_started")
    granted_event = next(e for e in timeline(client, users, inc)
                         if e["kind"] == "approval_granted")
    assert granted_event["actor"] == "commander"
    assert granted_event["data"]["reason"] == "commander says approve"


def test_count_two_needs_two_distinct_people_and_revoke_takes_one_back(
        client: TestClient, users: Users) -> None:
    run = start_run(client, users, "gated")
    req = _request(client, users, run["id"], "two-keys", who="admin")
    first = ok(_decide(client, users, req["id"], "approve", "responder"))
    assert first["status"] == "pending" and first["approvals"] == 1
    twice = _decide(client, users, req["id"], "approve", "responder")
    assert twice.status_code == 409
    assert run_step(client, users, run["id"], "two-keys").status_code == 409
    ok(_decide(client, users, req["id"], "revoke", "responder"))
    second = ok(_decide(client, users, req["id"], "approve", "responder2"))
    assert second["status"] == "pending" and second["approvals"] == 1
    third = ok(_decide(client, users, req["id"], "approve", "commander"))
    assert third["status"] == "granted"
    assert ok(run_step(client, users, run["id"], "two-keys", who="admin"))["state"] == "ok"


def test_ic_plus_security_needs_one_of_each_and_denial_ends_the_request(
        client: TestClient, users: Users) -> None:
    run = start_run(client, users, "gated")
    req = _request(client, users, run["id"], "ic-and-sec")
    ok(_decide(client, users, req["id"], "approve", "commander"))
    after_admin = ok(_decide(client, users, req["id"], "approve", "admin"))
    assert after_admin["status"] == "pending"  # two commanders, no security
    assert ok(_decide(client, users, req["id"], "approve", "security"))["status"] == "granted"
    req2 = _request(client, users, run["id"], "bypass")
    denied = ok(_decide(client, users, req2["id"], "deny", "commander"))
    assert denied["status"] == "denied"
    assert _decide(client, users, req2["id"], "approve", "admin").status_code == 409


APPROVER_ROLES = st.dictionaries(
    st.sampled_from(["ann", "ben", "cat", "dan"]),
    st.lists(st.sampled_from(["ic", "security", "sre"]), unique=True).map(tuple), max_size=4)


@given(grants=APPROVER_ROLES, extra=APPROVER_ROLES,
       roles=st.lists(st.sampled_from(["ic", "security", "sre"]), min_size=1, unique=True),
       count=st.integers(1, 3))
def test_approvals_need_count_distinct_role_holders_and_more_never_hurt(
        grants: dict[str, tuple[str, ...]], extra: dict[str, tuple[str, ...]],
        roles: list[str], count: int) -> None:
    held = {who: tuple(r for r in have if r in roles) for who, have in grants.items()}
    if is_satisfied(roles, count, held):
        assert sum(1 for have in held.values() if have) >= count
        more = {**{w: tuple(r for r in h if r in roles) for w, h in extra.items()}, **held}
        assert is_satisfied(roles, count, more)


def test_is_satisfied_covers_each_role_with_a_different_person() -> None:
    roles = ["incident_commander", "security"]
    assert not is_satisfied(roles, 2, {"a": ("incident_commander", "security")})
    assert is_satisfied(roles, 2, {"a": ("incident_commander", "security"),
                                   "b": ("security",)})
    assert not is_satisfied(roles, 2, {"a": ("incident_commander",),
                                       "b": ("incident_commander",)})
    assert is_satisfied(["sre"], 1, {"a": ("sre",)})


def test_revert_deadline_reminds_then_breaches_on_the_fake_clock(
        client: TestClient, users: Users, runtime: Runtime, clock: FakeClock) -> None:
    inc = declare(client, users)
    run = start_run(client, users, "gated", inc)
    req = _request(client, users, run["id"], "bypass")
    ok(_decide(client, users, req["id"], "approve", "commander"))
    ok(run_step(client, users, run["id"], "bypass"))
    worker = Worker(runtime)
    clock.advance(timedelta(minutes=44))
    worker.run_once()
    assert "revert_due" not in [e["kind"] for e in timeline(client, users, inc)]
    clock.advance(timedelta(minutes=1))
    worker.run_once()
    due = [e for e in timeline(client, users, inc) if e["kind"] == "revert_due"]
    assert len(due) == 1 and due[0]["data"]["step_id"] == "bypass"
    assert due[0]["data"]["remaining_s"] == 15 * 60
    clock.advance(timedelta(minutes=15))
    worker.run_once()
    kinds = [e["kind"] for e in timeline(client, users, inc)]
    assert kinds.count("revert_breached") == 1
    worker.stop()
    with db.read(runtime.engine) as conn:
        kinds_sent = [r.kind for r in conn.execute(sa.select(outbox.c.kind)
                                                   .order_by(outbox.c.id))]
    assert kinds_sent == ["approval_request", "reminder", "sla_breach"]


def test_running_the_revert_step_clears_the_deadline(
        client: TestClient, users: Users, runtime: Runtime, clock: FakeClock) -> None:
    inc = declare(client, users)
    run = start_run(client, users, "gated", inc)
    req = _request(client, users, run["id"], "bypass")
    ok(_decide(client, users, req["id"], "approve", "commander"))
    ok(run_step(client, users, run["id"], "bypass"))
    clock.advance(timedelta(minutes=10))
    assert ok(run_step(client, users, run["id"], "undo"))["state"] == "ok"
    worker = Worker(runtime)
    clock.advance(timedelta(hours=2))
    worker.run_once()
    worker.stop()
    kinds = [e["kind"] for e in timeline(client, users, inc)]
    assert "revert_deadline_started" in kinds and "revert_cleared" in kinds
    shown = ok(client.get(f"/api/v1/runs/{run['id']}", headers=users.headers("viewer")))
    assert [(d["step_id"], d["status"]) for d in shown["revert_deadlines"]] == [
        ("bypass", "reverted")]
    assert "revert_due" not in kinds and "revert_breached" not in kinds


def test_scheduled_runbook_starts_a_run_at_its_cron_time(
        client: TestClient, users: Users, runtime: Runtime, clock: FakeClock) -> None:
    clock.set(clock.now().replace(hour=1, minute=0, second=0, microsecond=0))
    worker = Worker(runtime)
    worker.run_once()  # first sight: remembers the schedule, runs nothing
    history = ok(client.get("/api/v1/runs", params={"runbook": "nightly-backup-check"},
                            headers=users.headers("viewer")))
    assert history["items"] == []
    clock.advance(timedelta(minutes=59))
    worker.run_once()
    assert ok(client.get("/api/v1/runs", params={"runbook": "nightly-backup-check"},
                         headers=users.headers("viewer")))["items"] == []
    clock.advance(timedelta(minutes=1))  # 02:00 exactly
    worker.run_once()
    clock.advance(timedelta(minutes=5))  # the same cron time is never run twice
    worker.run_once()
    worker.stop()
    items = ok(client.get("/api/v1/runs", params={"runbook": "nightly-backup-check"},
                          headers=users.headers("viewer")))["items"]
    assert len(items) == 1
    run = items[0]
    assert run["created_at"].startswith(run["scheduled_for"][:16])  # started on time
    assert run["trigger"] == "schedule" and run["scheduled_for"].endswith("T02:00:00.000000Z")
    states = {s["step_id"]: s["state"] for s in run["steps"]}
    assert states == {"list": "ok", "sign-off": "pending"}


def test_automation_runs_auto_steps_within_the_guard_rails(
        client: TestClient, users: Users, runtime: Runtime, clock: FakeClock) -> None:
    inc = declare(client, users)
    refused = run_step_for_rule(runtime, None, inc, "auto-fix", "by-hand", "cpu-high")
    assert refused.status == "refused" and "auto: true" in refused.reason
    gated = run_step_for_rule(runtime, None, inc, "gated", "bypass", "cpu-high")
    assert gated.status == "refused"
    first = run_step_for_rule(runtime, None, inc, "auto-fix", "restart", "cpu-high")
    assert first.status == "ran" and first.step_state == "ok"
    cooling = run_step_for_rule(runtime, None, inc, "auto-fix", "restart", "cpu-high")
    assert cooling.status == "refused" and "cool-down" in cooling.reason
    clock.advance(timedelta(minutes=6))
    with runtime.engine.begin() as conn:  # inside someone else's transaction: queued
        queued = run_step_for_rule(runtime, conn, inc, "auto-fix", "restart", "cpu-high")
    assert queued.status == "queued"
    worker = Worker(runtime)
    worker.run_once()
    worker.stop()
    clock.advance(timedelta(minutes=6))
    capped = run_step_for_rule(runtime, None, inc, "auto-fix", "restart", "cpu-high")
    assert capped.status == "refused" and "cap 2" in capped.reason
    events = timeline(client, users, inc)
    ran = [e for e in events if e["kind"] == "runbook_step_finished"]
    assert len(ran) == 2 and {e["actor"] for e in ran} == {"rule:cpu-high"}
    assert all(e["data"]["rule"] == "cpu-high" for e in ran)
    assert [e["kind"] for e in events].count("runbook_automation_refused") == 4


def test_a_gated_manual_step_needs_its_approval_before_it_is_marked_done(
        client: TestClient, users: Users) -> None:
    run = start_run(client, users, "gated")
    url = f"/api/v1/runs/{run['id']}/steps/sign-bypass/done"
    early = client.post(url, headers=users.headers("responder"), json={"note": "signed"})
    assert early.status_code == 409
    req = _request(client, users, run["id"], "sign-bypass")
    ok(_decide(client, users, req["id"], "approve", "security"))
    done = ok(client.post(url, headers=users.headers("responder"), json={"note": "signed"}))
    assert done["state"] == "done_manually"
    assert ok(client.get(f"/api/v1/approvals/{req['id']}",
                         headers=users.headers("viewer")))["status"] == "used"


@pytest.mark.parametrize(("now", "due"), [
    ("2026-01-05T02:00:00", "2026-01-05T02:00:00"),
    ("2026-01-05T02:00:59", "2026-01-05T02:00:00"),
    ("2026-01-05T01:59:59", "2026-01-04T02:00:00"),
])
def test_latest_due_includes_the_current_instant(now: str, due: str) -> None:
    at = datetime.fromisoformat(now).replace(tzinfo=UTC)
    assert latest_due("0 2 * * *", at) == datetime.fromisoformat(due).replace(tzinfo=UTC)

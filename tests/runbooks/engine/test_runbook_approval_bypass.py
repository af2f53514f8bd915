"""Approval means other people whose authority was not self-granted: responders try every
self-assignment path through the API and never get a grant; authority handed down by a
commander still works."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from warroom.clock import FakeClock
from warroom.runtime import Runtime
from warroom.services.principal import SYSTEM
from warroom.services.users import UserService
from warroom.testing.runbooks import declare, ok, run_step, start_run, write_org
from warroom.testing.runtime import Users, make_runtime, make_users

GATED: dict[str, Any] = {
    "id": "gated", "title": "Gated",
    "parameters": [{"name": "pod", "default": "web-1"}, {"name": "ns", "default": "prod"},
                   {"name": "token", "secret": True, "default": "s3cret-approved"}],
    "steps": [
        {"id": "auth", "title": "Call the admin API", "phase": "mitigate",
         "requires_approval": {"roles": ["commander"], "count": 1},
         "executor": {"type": "shell", "command": "echo {{token}} | wc -c"}},
        {"id": "envns", "title": "Delete in a namespace", "phase": "mitigate",
         "requires_approval": {"roles": ["commander"], "count": 1},
         "executor": {"type": "shell", "command": 'kubectl -n "$WR_P_NS" delete pod web-1'}},
        {"id": "kill", "title": "Delete a pod", "phase": "mitigate",
         "requires_approval": {"roles": ["commander"], "count": 1},
         "executor": {"type": "shell", "command": "kubectl delete pod {{pod}}"}},
        {"id": "both", "title": "Commander and security", "phase": "mitigate",
         "requires_approval": {"roles": ["commander", "security"], "count": 2},
         "executor": {"type": "shell", "command": "echo both"}},
        {"id": "sec", "title": "Security only", "phase": "mitigate",
         "requires_approval": {"roles": ["security"], "count": 1},
         "executor": {"type": "shell", "command": "echo sec"}},
        {"id": "lead", "title": "Tech lead", "phase": "mitigate",
         "requires_approval": {"roles": ["tech_lead"], "count": 1},
         "executor": {"type": "shell", "command": "echo lead"}},
    ],
}
# a = requester, b and c = colluding responders, boss = a commander-level user
PEOPLE = {"a": "responder", "b": "responder", "c": "responder", "boss": "commander",
          "viewer": "viewer"}


@pytest.fixture
def runtime(db_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[Runtime]:
    config = write_org(tmp_path, [GATED], execution="dry-run")
    rt = make_runtime(db_url, tmp_path, clock, config)
    yield rt
    rt.engine.dispose()


@pytest.fixture
def users(runtime: Runtime) -> Users:
    return make_users(runtime, PEOPLE)


def _role(client: TestClient, users: Users, inc: str, who: str, role: str,
          user: str | None) -> Any:
    return client.post(f"/api/v1/incidents/{inc}/roles", headers=users.headers(who),
                       json={"role": role, "user": user})


def _ask(client: TestClient, users: Users, run: str, step: str, who: str = "a") -> str:
    req = ok(client.post(f"/api/v1/runs/{run}/steps/{step}/approval",
                         headers=users.headers(who), json={"reason": "customers down"}), 201)
    return str(req["id"])


def _approve(client: TestClient, users: Users, req: str, who: str) -> Any:
    return client.post(f"/api/v1/approvals/{req}/approve", headers=users.headers(who),
                       json={"reason": "ok"})


def _events(client: TestClient, users: Users, inc: str) -> list[dict[str, Any]]:
    data = ok(client.get(f"/api/v1/incidents/{inc}/timeline", headers=users.headers("a")))
    events: list[dict[str, Any]] = data["events"]
    return events


def _status(client: TestClient, users: Users, req: str) -> str:
    return str(ok(client.get(f"/api/v1/approvals/{req}", headers=users.headers("a")))["status"])


def test_responders_cannot_grant_themselves_or_each_other_approval_roles(
        client: TestClient, users: Users, clock: FakeClock) -> None:
    inc = declare(client, users, who="a")
    run = start_run(client, users, "gated", inc, who="a")
    req = _ask(client, users, run["id"], "both")
    clock.advance(60)
    attempts = [("b", "commander", "b"), ("c", "security_lead", "c"), ("b", "security_lead", "c"),
                ("c", "commander", "b"), ("a", "commander", "b"), ("a", "security_lead", "c"),
                ("b", "tech_lead", "b")]
    for who, role, user in attempts:
        refused = _role(client, users, inc, who, role, user)
        assert refused.status_code == 403, (who, role, user, refused.text)
        detail = refused.json()["detail"]
        assert f"assigning the incident role {role} carries approval rights" in detail
        assert "needs the commander user role (or admin), or being this incident's commander"\
            in detail
        assert f"{who} has the responder user role and is not its commander" in detail
    for who in ("b", "c"):
        denied = _approve(client, users, req, who)
        assert denied.status_code == 403
        detail = denied.json()["detail"]
        assert "commander (the commander user role or above, or this incident's commander " \
               "role)" in detail
        assert "security (the security flag, or this incident's security_lead role)" in detail
        assert f"{who} has the responder user role, which qualifies for none" in detail
    assert _approve(client, users, req, "a").status_code == 403  # the requester
    assert _status(client, users, req) == "pending"
    assert run_step(client, users, run["id"], "both", who="a").status_code == 409
    roles = ok(client.get(f"/api/v1/incidents/{inc}", headers=users.headers("a")))["roles"]
    assert roles == {}
    # harmless roles stay open to responders, and so does giving up your own
    assert _role(client, users, inc, "b", "scribe", "b").status_code == 200
    assert _role(client, users, inc, "b", "scribe", None).status_code == 200


def test_self_assigned_roles_never_count_even_for_a_commander(
        client: TestClient, users: Users, runtime: Runtime, clock: FakeClock) -> None:
    UserService(runtime).create(SYSTEM, "sec", role="responder", is_security=True)
    sec_headers = {"Authorization": "Bearer " + UserService(runtime).create_token(
        SYSTEM, "sec").token}
    inc = declare(client, users, who="a")
    run = start_run(client, users, "gated", inc, who="a")
    req = _ask(client, users, run["id"], "sec")
    clock.advance(60)
    # boss may assign roles, but one assigned to themselves is not authority over others
    assert _role(client, users, inc, "boss", "security_lead", "boss").status_code == 200
    denied = _approve(client, users, req, "boss")
    assert denied.status_code == 403
    assert "incident role security_lead (which does not count: boss assigned the incident " \
           "role security_lead to themselves)" in denied.json()["detail"]
    # a security-flagged user qualifies by their own account
    granted = client.post(f"/api/v1/approvals/{req}/approve", headers=sec_headers,
                          json={"reason": "ok"})
    assert granted.status_code == 200 and granted.json()["status"] == "granted"


def test_the_requester_cannot_hand_out_the_qualifying_role_after_asking(
        client: TestClient, users: Users, clock: FakeClock) -> None:
    inc = declare(client, users, who="a")
    assert _role(client, users, inc, "boss", "commander", "a").status_code == 200  # a is IC
    run = start_run(client, users, "gated", inc, who="a")
    req = _ask(client, users, run["id"], "sec")
    clock.advance(60)
    assert _role(client, users, inc, "a", "security_lead", "c").status_code == 200
    denied = _approve(client, users, req, "c")
    assert denied.status_code == 403
    assert "security_lead was given to c by the requester, a, after the request" in \
        denied.json()["detail"]
    view = ok(client.get(f"/api/v1/approvals/{req}", headers=users.headers("c")))
    assert view["can_approve"] is False and "after the request" in view[
        "cannot_approve_reason"]


def test_authority_handed_down_by_a_commander_still_grants(
        client: TestClient, users: Users, clock: FakeClock) -> None:
    inc = declare(client, users, who="a")
    assert _role(client, users, inc, "boss", "commander", "b").status_code == 200
    clock.advance(60)
    # b, the incident commander, hands security_lead to c before the request
    assert _role(client, users, inc, "b", "security_lead", "c").status_code == 200
    assert _role(client, users, inc, "b", "tech_lead", "c").status_code == 200
    run = start_run(client, users, "gated", inc, who="a")
    req = _ask(client, users, run["id"], "both")
    before = ok(client.get(f"/api/v1/approvals/{req}", headers=users.headers("b")))
    assert before["can_approve"] is True and before["cannot_approve_reason"] is None
    assert before["rendered"] == "echo both"
    assert before["target"].startswith("shell on the warroom runner")
    mine = ok(client.get(f"/api/v1/approvals/{req}", headers=users.headers("a")))
    assert mine["can_approve"] is False and "own request" in mine["cannot_approve_reason"]
    assert ok(_approve(client, users, req, "b"))["status"] == "pending"
    assert ok(_approve(client, users, req, "c"))["status"] == "granted"
    [listed] = ok(client.get(f"/api/v1/approvals?incident={inc}",
                             headers=users.headers("c")))["items"]
    assert listed["id"] == req and listed["can_approve"] is False  # c already approved
    shown = ok(client.get(f"/api/v1/runs/{run['id']}", headers=users.headers("c")))
    [listed] = [r for r in shown["approvals"] if r["id"] == req]
    assert listed["status"] == "granted" and listed["rendered"] == "echo both"
    assert run_step(client, users, run["id"], "both", who="a").status_code == 200
    # only someone with authority takes a role away from someone else
    taken = _role(client, users, inc, "a", "tech_lead", None)
    assert taken.status_code == 403
    assert "taking the incident role tech_lead away from c needs" in taken.json()["detail"]
    assert _role(client, users, inc, "b", "tech_lead", None).status_code == 200


def test_a_responder_may_name_someone_who_already_holds_the_authority(
        client: TestClient, users: Users) -> None:
    inc = declare(client, users, who="a")
    assert _role(client, users, inc, "a", "commander", "boss").status_code == 200
    refused = client.post("/api/v1/incidents", headers=users.headers("a"), json={
        "title": "x", "severity": "P1", "commander": "a"})
    assert refused.status_code == 403 and "carries approval rights" in refused.json()["detail"]


def test_the_command_that_runs_is_the_one_that_was_approved(
        client: TestClient, users: Users) -> None:
    inc = declare(client, users, who="a")
    run = start_run(client, users, "gated", inc, who="a")
    req = _ask(client, users, run["id"], "kill")
    shown = ok(client.get(f"/api/v1/approvals/{req}", headers=users.headers("boss")))
    assert shown["rendered"] == "kubectl delete pod web-1" and shown["can_approve"] is True
    assert ok(_approve(client, users, req, "boss"))["status"] == "granted"
    swapped = client.post(f"/api/v1/runs/{run['id']}/steps/kill/run",
                          headers=users.headers("a"), json={"params": {"pod": "db-0"}})
    assert swapped.status_code == 409
    assert "would now run 'kubectl delete pod db-0', but request" in swapped.json()["detail"]
    assert "approved 'kubectl delete pod web-1'" in swapped.json()["detail"]
    ran = ok(run_step(client, users, run["id"], "kill", who="a"))
    assert ran["rendered"] == "kubectl delete pod web-1"


def test_a_secret_swapped_after_approval_is_refused_without_revealing_it(
        client: TestClient, users: Users) -> None:
    inc = declare(client, users, who="a")
    run = start_run(client, users, "gated", inc, who="a")
    req = _ask(client, users, run["id"], "auth")
    shown = ok(client.get(f"/api/v1/approvals/{req}", headers=users.headers("boss")))
    assert shown["rendered"] == "echo '<secret>' | wc -c"
    assert shown["parameters"]["token"] == "<secret>"
    assert ok(_approve(client, users, req, "boss"))["status"] == "granted"
    swapped = client.post(f"/api/v1/runs/{run['id']}/steps/auth/run",
                          headers=users.headers("a"), json={"params": {"token": "stolen"}})
    assert swapped.status_code == 409, swapped.text
    detail = swapped.json()["detail"]
    assert f"than request {req} approved (secret token changed since)" in detail
    assert "stolen" not in detail and "s3cret" not in detail
    assert "s3cret" not in str(_events(client, users, inc))
    ran = ok(run_step(client, users, run["id"], "auth", who="a"))
    assert ran["rendered"] == "echo '<secret>' | wc -c"


def test_a_value_passed_through_the_environment_is_shown_and_pinned(
        client: TestClient, users: Users) -> None:
    inc = declare(client, users, who="a")
    run = start_run(client, users, "gated", inc, who="a")
    req = _ask(client, users, run["id"], "envns")
    shown = ok(client.get(f"/api/v1/approvals/{req}", headers=users.headers("boss")))
    assert shown["rendered"] == 'kubectl -n "$WR_P_NS" delete pod web-1'
    assert shown["parameters"] == {"pod": "web-1", "ns": "prod", "token": "<secret>"}
    [requested] = [e for e in _events(client, users, inc) if e["kind"] == "approval_requested"]
    assert requested["data"]["parameters"]["ns"] == "prod"
    assert ok(_approve(client, users, req, "boss"))["status"] == "granted"
    swapped = client.post(f"/api/v1/runs/{run['id']}/steps/envns/run",
                          headers=users.headers("a"), json={"params": {"ns": "kube-system"}})
    assert swapped.status_code == 409, swapped.text
    assert "(ns changed since)" in swapped.json()["detail"]
    assert ok(run_step(client, users, run["id"], "envns", who="a"))["state"] == "skipped"

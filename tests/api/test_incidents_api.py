"""The incident API end to end on both engines: commands, errors, visibility, pagination."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from warroom.clock import FakeClock
from warroom.runtime import Runtime
from warroom.store import db
from warroom.testing.runtime import Users


def declare(client: TestClient, users: Users, who: str = "responder", **body: Any
            ) -> dict[str, Any]:
    payload = {"title": "Checkout returns 500", "severity": "P2", **body}
    resp = client.post("/api/v1/incidents", json=payload, headers=users.headers(who))
    assert resp.status_code == 201, resp.text
    return resp.json()["incident"]  # type: ignore[no-any-return]


def test_full_lifecycle_is_recorded_with_actor_and_time(
        client: TestClient, users: Users, clock: FakeClock) -> None:
    inc = declare(client, users)
    ref = inc["human_id"]
    assert ref == "INC-2026-0001"
    steps = [("acknowledge", {}, "responder"),
             ("severity", {"severity": "P0", "reason": "checkout fully down"}, "responder"),
             ("roles", {"role": "commander", "user": "commander"}, "responder"),
             ("notes", {"text": "rolled back deploy 4512"}, "commander"),
             ("resolve", {"summary": "rollback fixed it"}, "commander")]
    for path, body, who in steps:
        clock.advance(60)
        resp = client.post(f"/api/v1/incidents/{ref}/{path}", json=body,
                           headers=users.headers(who))
        assert resp.status_code == 200, resp.text
    everything = client.get(f"/api/v1/incidents/{ref}/timeline",
                            headers=users.headers("viewer")).json()["events"]
    # Other subsystems (paging, postmortems) add their own events; the commands' are these.
    commands = {"declared", "acknowledged", "severity_changed", "role_assigned", "note_added",
                "resolved"}
    timeline = [e for e in everything if e["kind"] in commands]
    assert [e["kind"] for e in timeline] == ["declared", "acknowledged", "severity_changed",
                                             "role_assigned", "note_added", "resolved"]
    assert [e["actor"] for e in timeline] == ["responder"] * 4 + ["commander"] * 2
    assert timeline[4]["at"] == "2026-01-05T09:04:00.000000Z"
    assert [e["seq"] for e in everything] == list(range(1, len(everything) + 1))
    got = client.get(f"/api/v1/incidents/{inc['id']}", headers=users.headers("viewer")).json()
    assert got["status"] == "resolved" and got["severity"] == "P0"
    assert got["roles"] == {"commander": "commander"}
    assert got["milestones"]["acknowledged"] == "2026-01-05T09:01:00.000000Z"
    verify = client.get(f"/api/v1/incidents/{ref}/verify", headers=users.headers("viewer"))
    assert verify.json()["intact"] is True


def test_invalid_transition_is_409_naming_current_and_allowed(
        client: TestClient, users: Users) -> None:
    ref = declare(client, users)["human_id"]
    client.post(f"/api/v1/incidents/{ref}/resolve", json={}, headers=users.headers("responder"))
    resp = client.post(f"/api/v1/incidents/{ref}/acknowledge",
                       headers=users.headers("responder"))
    assert resp.status_code == 409
    assert resp.headers["content-type"] == "application/problem+json"
    body = resp.json()
    assert body["current_status"] == "resolved" and body["allowed"] == ["closed"]
    assert "resolved" in body["detail"]


def test_unknown_severity_and_type_are_422_listing_allowed(
        client: TestClient, users: Users) -> None:
    resp = client.post("/api/v1/incidents", json={"title": "x", "severity": "P9"},
                       headers=users.headers("responder"))
    assert resp.status_code == 422
    assert resp.json()["allowed"] == ["P0", "P1", "P2", "P3"]
    resp = client.post("/api/v1/incidents", json={"title": "x", "severity": "P1",
                                                  "type": "alien"},
                       headers=users.headers("responder"))
    assert resp.status_code == 422 and "service_outage" in resp.json()["detail"]


def test_malformed_json_is_400_and_oversized_body_is_413(
        client: TestClient, users: Users) -> None:
    resp = client.post("/api/v1/incidents", content=b'{"title": ',
                       headers={**users.headers("responder"),
                                "content-type": "application/json"})
    assert resp.status_code == 400 and resp.json()["title"] == "Malformed JSON"
    big = {"title": "x", "severity": "P1", "impact": "y" * 2_000_000}
    resp = client.post("/api/v1/incidents", json=big, headers=users.headers("responder"))
    assert resp.status_code == 413
    assert client.get("/api/v1/incidents", headers=users.headers("admin")).json()["count"] == 0


def test_failed_request_leaves_nothing_half_written(client: TestClient, users: Users) -> None:
    # The commander assignment is part of the declare transaction; a bad role user fails it.
    resp = client.post("/api/v1/incidents", json={"title": "x", "severity": "P1",
                                                  "commander": "   "},
                       headers=users.headers("responder"))
    assert resp.status_code == 422
    assert client.get("/api/v1/incidents", headers=users.headers("admin")).json()["count"] == 0
    ref = declare(client, users)["human_id"]
    before = client.get(f"/api/v1/incidents/{ref}", headers=users.headers("admin")).json()
    resp = client.post(f"/api/v1/incidents/{ref}/notes", json={"text": "   "},
                       headers=users.headers("responder"))
    assert resp.status_code == 422
    after = client.get(f"/api/v1/incidents/{ref}", headers=users.headers("admin")).json()
    assert before == after


def test_unauthenticated_and_underprivileged_calls_change_nothing(
        client: TestClient, users: Users) -> None:
    assert client.post("/api/v1/incidents", json={"title": "x", "severity": "P1"}
                       ).status_code == 401
    assert client.post("/api/v1/incidents", json={"title": "x", "severity": "P1"},
                       headers={"Authorization": "Bearer wr_forged"}).status_code == 401
    assert client.post("/api/v1/incidents", json={"title": "x", "severity": "P1"},
                       headers=users.headers("viewer")).status_code == 403
    ref = declare(client, users)["human_id"]
    head = client.get(f"/api/v1/incidents/{ref}", headers=users.headers("admin")).json()
    assert client.post(f"/api/v1/incidents/{ref}/acknowledge").status_code == 401
    assert client.post(f"/api/v1/incidents/{ref}/acknowledge",
                       headers=users.headers("viewer")).status_code == 403
    assert client.post(f"/api/v1/incidents/{ref}/close",
                       headers=users.headers("responder")).status_code == 403
    again = client.get(f"/api/v1/incidents/{ref}", headers=users.headers("admin")).json()
    assert again["head_hash"] == head["head_hash"]
    assert again["event_count"] == head["event_count"]


def test_restricted_incidents_do_not_leak_through_list_count_search_or_get(
        client: TestClient, users: Users) -> None:
    secret = declare(client, users, who="security", title="Leaked signing key",
                     type="security", severity="P0")
    assert secret["visibility"] == "restricted"
    declare(client, users, title="Slow search")
    for outsider in ("viewer", "responder2", "commander"):
        h = users.headers(outsider)
        listing = client.get("/api/v1/incidents", headers=h).json()
        assert listing["count"] == 1
        assert [i["title"] for i in listing["items"]] == ["Slow search"]
        assert client.get("/api/v1/incidents", params={"q": "signing"}, headers=h
                          ).json()["count"] == 0
        assert client.get(f"/api/v1/incidents/{secret['human_id']}", headers=h
                          ).status_code == 404
        assert client.get(f"/api/v1/incidents/{secret['id']}/timeline", headers=h
                          ).status_code == 404
        # A viewer is refused by role before existence is looked at, so 403 leaks nothing.
        assert client.post(f"/api/v1/incidents/{secret['human_id']}/notes",
                           json={"text": "hi"}, headers=h).status_code == (
            403 if outsider == "viewer" else 404)
    for insider in ("security", "admin"):
        assert client.get("/api/v1/incidents", headers=users.headers(insider)
                          ).json()["count"] == 2
    # Becoming a participant grants visibility.
    client.post(f"/api/v1/incidents/{secret['human_id']}/responders",
                json={"user": "responder2"}, headers=users.headers("security"))
    assert client.get(f"/api/v1/incidents/{secret['human_id']}",
                      headers=users.headers("responder2")).status_code == 200


def test_list_filters_and_cursor_pagination(client: TestClient, users: Users,
                                            clock: FakeClock) -> None:
    for i in range(7):
        clock.advance(10)
        declare(client, users, title=f"incident {i}", severity="P1" if i % 2 else "P3",
                services=["api"] if i < 3 else [])
    h = users.headers("viewer")
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/api/v1/incidents", params=params, headers=h).json()
        seen += [i["title"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [f"incident {i}" for i in range(6, -1, -1)]
    assert client.get("/api/v1/incidents", params={"severity": "P1"}, headers=h
                      ).json()["count"] == 3
    assert client.get("/api/v1/incidents", params={"service": "api"}, headers=h
                      ).json()["count"] == 3
    assert client.get("/api/v1/incidents", params={"q": "INCIDENT 4"}, headers=h
                      ).json()["count"] == 1
    bad = client.get("/api/v1/incidents", params={"cursor": "!!"}, headers=h)
    assert bad.status_code == 422


def test_ack_deadline_comes_from_the_severity_scheme(client: TestClient, users: Users,
                                                     clock: FakeClock) -> None:
    inc = declare(client, users, severity="P0")
    assert inc["ack_deadline"] == "2026-01-05T09:05:00.000000Z"
    assert inc["ack_sla_breached"] is False
    clock.advance(301)
    again = client.get(f"/api/v1/incidents/{inc['human_id']}", headers=users.headers("viewer"))
    assert again.json()["ack_sla_breached"] is True


def test_openapi_and_ops_endpoints(client: TestClient, runtime: Runtime) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/incidents/{ref}/acknowledge" in spec["paths"]
    assert client.get("/healthz").json()["status"] == "ok"
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["migrations"] == db.migration_state(runtime.engine)[1]
    assert client.get("/nope").headers["content-type"] == "application/problem+json"

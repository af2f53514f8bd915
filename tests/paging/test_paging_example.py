"""The example organisation's P0 matrix, as the engine plans it for a real incident."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from warroom.api.app import create_app
from warroom.clock import FakeClock
from warroom.paging.directory import directory
from warroom.testing.runtime import REPO, make_runtime, make_users


def test_example_p0_matrix_is_planned_as_the_teams_wrote_it(
        db_url: str, tmp_path: Path, clock: FakeClock) -> None:
    runtime = make_runtime(db_url, tmp_path, clock, REPO / "examples" / "org")
    users = make_users(runtime)
    with TestClient(create_app(runtime)) as client:
        resp = client.post("/api/v1/incidents", headers=users.headers("responder"),
                           json={"title": "API down", "severity": "P0", "services": ["api"]})
        ref = resp.json()["incident"]["human_id"]
        view = client.get(f"/api/v1/incidents/{ref}/escalation",
                          headers=users.headers("viewer")).json()
    runtime.engine.dispose()
    assert view["policy"] == "sre-escalation"
    assert [(s["due_at"][11:16], s["targets"]) for s in view["steps"]] == [
        ("09:00", [{"kind": "schedule", "id": "sre-primary", "via": None}]),
        ("09:05", [{"kind": "channel", "id": "team-chat", "via": None}]),
        ("09:10", [{"kind": "user", "id": "mgr-maya", "via": "email"}]),
        ("09:20", [{"kind": "user", "id": "dir-dan", "via": "voice"}]),
        ("09:30", [{"kind": "channel", "id": "exec-briefing", "via": None}]),
    ]
    assert view["sla"]["ack_deadline"] == "2026-01-05T09:05:00.000000Z"
    assert view["updates"]["next_due_at"] == "2026-01-05T09:15:00.000000Z"
    assert {t["kind"] for t in view["timers"]} >= {"paging.step", "paging.ack_sla",
                                                   "paging.update_due", "paging.war_room"}


def test_example_pages_link_to_this_server_not_a_placeholder(
        db_url: str, tmp_path: Path, clock: FakeClock) -> None:
    # The example used to pin communications.base_url to https://warroom.example.com, so every
    # incident and acknowledge link in its pages was dead even with WARROOM_PUBLIC_URL set.
    runtime = make_runtime(db_url, tmp_path, clock, REPO / "examples" / "org")
    try:
        found = directory(runtime)
        public = runtime.settings.public_url
        assert "example.com" not in public
        assert found.communications.base_url == public
        assert found.ack_links is not None and found.ack_links.public_url == public.rstrip("/")
        assert found.ack_links.url("i", "alice", clock.now()).startswith(f"{public}/ack/")
    finally:
        runtime.engine.dispose()

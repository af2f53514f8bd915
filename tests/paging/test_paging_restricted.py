"""A restricted incident's messages stay among those allowed: its reminders, ack-SLA breach,
channel escalations and updates reach only the security responders' channels, its chat room is
private, and nothing about it reaches a public channel."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from warroom.clock import FakeClock
from warroom.testing.paging import PagingRig, paging_rig
from warroom.testing.receivers import HttpReceiver, ReceivedRequest

CHANNELS: dict[str, dict[str, Any]] = {
    "security-chat": {"type": "webhook", "url": "PLACEHOLDER/security-chat",
                      "rate_limit": {"per_second": 1000, "burst": 1000}},
    "public-hook": {"type": "webhook", "url": "PLACEHOLDER/public-hook",
                    "audiences": ["public"],
                    "rate_limit": {"per_second": 1000, "burst": 1000}},
}


def _extra(url: str) -> dict[str, object]:
    channels = {name: {**cfg, "url": str(cfg["url"]).replace("PLACEHOLDER", url)}
                for name, cfg in CHANNELS.items()}
    return {"channels": channels,
            "communications": {"restricted_channels": ["security-chat"]}}


def _to(receiver: HttpReceiver, path: str) -> list[ReceivedRequest]:
    return [r for r in receiver.requests if r.path == path]


def _events(rig: PagingRig, ref: str, kind: str = "") -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = rig.get(f"/api/v1/incidents/{ref}/timeline",
                                           who="security").json()["events"]
    return [e for e in events if not kind or e["kind"] == kind]


def test_restricted_incident_messages_reach_only_security_channels(
        db_url: str, tmp_path: Path, clock: FakeClock) -> None:
    # The extra channels point at a receiver of their own, so nothing is confused with
    # the rig's team channel.
    with HttpReceiver() as side, paging_rig(db_url, tmp_path, clock,
                                            extra=_extra(side.url)) as rig:
        ref = rig.declare("P0", type="security")
        assert ref.startswith("SEC-")  # restricted from the start: its own sequence
        normal = rig.declare("P0")
        assert normal == "INC-2026-0001"  # no gap in the INC- numbers
        rig.run()
        [opened] = _events(rig, ref, "war_room_opened")
        creates = [r.json() for r in rig.paths("/slack-api/conversations.create")]
        by_name = {"#" + c["name"]: c for c in creates}
        assert by_name[opened["data"]["chat_channel"]]["is_private"] is True
        assert any(c["is_private"] is False for c in creates)  # the normal incident's room

        # Past the ack SLA (5 min), the update cadence and the +10 min channel step.
        for _ in range(4):
            rig.clock.advance(timedelta(minutes=5))
            rig.run()
        assert _events(rig, ref, "ack_sla_breached")
        resp = rig.post(f"/api/v1/incidents/{ref}/updates",
                        {"audience": "public", "body": "All fine."}, who="security")
        assert resp.status_code == 422, resp.text  # refused: it could never be public
        assert "restricted incident never gets public updates" in resp.json()["detail"]
        rig.run()

        team_chat = [r.json()["text"] for r in rig.paths("/team-chat")]
        assert team_chat, "the normal incident still reaches the team channel"
        assert not [t for t in team_chat if ref in t], team_chat
        assert not _to(side, "/public-hook")
        secured = [r.json() for r in _to(side, "/security-chat")]
        kinds = {m["kind"] for m in secured}
        assert {"sla_breach", "escalation"} <= kinds, kinds
        assert all(m["incident"]["human_id"] == ref for m in secured)
        [breach] = _events(rig, ref, "ack_sla_breached")
        assert breach["data"]["channels"] == ["security-chat"]

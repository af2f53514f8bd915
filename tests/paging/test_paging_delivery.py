"""Delivery seen from paging: results on the timeline, dead letters with a manual retry, a
receiver that is down for minutes, war-room setup when Slack refuses, update audiences."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from warroom.clock import FakeClock
from warroom.testing.paging import PagingRig, paging_rig, slack_like
from warroom.testing.receivers import ReceivedRequest, ScriptedResponse


@pytest.fixture
def rig(db_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[PagingRig]:
    with paging_rig(db_url, tmp_path, clock) as found:
        yield found


def test_a_rejected_page_is_a_dead_letter_that_an_admin_can_retry(rig: PagingRig) -> None:
    def reject_pager(request: ReceivedRequest) -> ScriptedResponse:
        if request.path == "/pager":
            return ScriptedResponse(400, b"bad request")
        return slack_like(request)

    rig.hooks.responder = reject_pager
    ref = rig.declare()
    rig.run()
    [failed] = rig.events(ref, "notification_failed")
    assert (failed["data"]["channel"], failed["data"]["status"], failed["data"]["outcome"]) == (
        "pager", "400", "dead")

    assert rig.get("/api/v1/notifications?status=dead", who="commander").status_code == 403
    [dead] = rig.get("/api/v1/notifications?status=dead", who="admin").json()["items"]
    assert (dead["channel"], dead["destination"], dead["kind"]) == ("pager", "alice", "page")
    bad_status = rig.get("/api/v1/notifications?status=lost", who="admin")
    assert bad_status.status_code == 422

    rig.hooks.responder = slack_like
    resp = rig.post(f"/api/v1/notifications/{dead['id']}/retry", who="admin")
    assert resp.status_code == 200, resp.text
    again = rig.post(f"/api/v1/notifications/{dead['id']}/retry", who="admin")
    assert again.status_code == 409
    rig.run()
    assert len(rig.pages_for("alice")) == 2  # the rejected attempt, then the retry
    assert any(e["data"]["channel"] == "pager" for e in rig.events(ref, "notification_sent"))


def test_a_receiver_down_for_minutes_gets_everything_once_in_order(
        db_url: str, tmp_path: Path, clock: FakeClock) -> None:
    with paging_rig(db_url, tmp_path, clock, extra={
            "communications": {"audience_channels": {"internal": ["pager"]}}}) as rig:
        down = True
        accepted: list[ReceivedRequest] = []

        def outage(request: ReceivedRequest) -> ScriptedResponse:
            if request.path != "/pager":
                return slack_like(request)
            if down:
                return ScriptedResponse(503, b"down")
            accepted.append(request)
            return ScriptedResponse(200, b"ok")

        rig.hooks.responder = outage
        ref = rig.declare()
        rig.run()
        rig.post(f"/api/v1/incidents/{ref}/acknowledge")
        for n in range(3):
            rig.post(f"/api/v1/incidents/{ref}/updates", {"body": f"update {n}"})
            rig.run()
        for _ in range(8):  # four minutes of outage
            rig.clock.advance(timedelta(seconds=30))
            rig.run()
        assert accepted == []
        assert len(rig.paths("/pager")) > 4  # it kept retrying
        down = False
        for _ in range(40):
            rig.clock.advance(timedelta(seconds=30))
            rig.run()
        bodies = [r.json() for r in accepted]
        # The reminder is the next update falling due 15 minutes after the last one.
        assert [b["kind"] for b in bodies] == ["page", "update", "update", "update", "reminder"]
        assert [b["body"].split("Progress: ")[1].splitlines()[0] for b in bodies[1:4]] == [
            "update 0", "update 1", "update 2"]
        assert len({r.header("Idempotency-Key") for r in accepted}) == 5
        rows = rig.get("/api/v1/notifications", who="admin").json()["items"]
        assert sorted(r["status"] for r in rows if r["channel"] == "pager") == ["sent"] * 5


def test_war_room_is_opened_without_chat_when_slack_refuses(rig: PagingRig) -> None:
    def refuse(request: ReceivedRequest) -> ScriptedResponse:
        if request.path.endswith("/conversations.create"):
            return ScriptedResponse(200, {"ok": False, "error": "missing_scope"})
        return slack_like(request)

    rig.hooks.responder = refuse
    ref = rig.declare("P1")
    rig.run()
    [opened] = rig.events(ref, "war_room_opened")
    assert opened["data"]["bridge_url"] == f"https://meet.example.com/{ref.lower()}"
    assert opened["data"]["chat_channel"] is None
    assert "channels:manage" in opened["data"]["chat_error"]
    [page] = rig.pages_for("alice")
    assert "Bridge: https://meet.example.com/" in page["body"]
    view = rig.get(f"/api/v1/incidents/{ref}/escalation").json()
    assert view["war_room"]["bridge_url"] == opened["data"]["bridge_url"]


def test_customer_updates_go_only_to_customer_channels(
        db_url: str, tmp_path: Path, clock: FakeClock) -> None:
    with paging_rig(db_url, tmp_path, clock, extra={
            "communications": {"audience_channels": {"customer": ["pager"]},
                               "status_page_url": "https://status.example.com"}}) as rig:
        ref = rig.declare()
        rig.run()
        before = len(rig.paths("/team-chat"))
        resp = rig.post(f"/api/v1/incidents/{ref}/updates",
                        {"audience": "customer", "body": "We rolled back."})
        assert resp.status_code == 201, resp.text
        rig.run()
        [update] = [r.json() for r in rig.paths("/pager") if r.json()["kind"] == "update"]
        assert update["audience"] == "customer"
        assert update["subject"] == "api - Update"
        assert "We rolled back." in update["body"]
        assert len(rig.paths("/team-chat")) == before


def test_preview_renders_a_template_against_the_real_incident(rig: PagingRig) -> None:
    ref = rig.declare(commander="alice")
    rig.run()
    resp = rig.post(f"/api/v1/incidents/{ref}/updates/preview",
                    {"template": "initial", "audience": "internal"})
    assert resp.status_code == 200, resp.text
    preview = resp.json()
    assert preview["subject"] == "INCIDENT DECLARED — [P0] Checkout down"
    assert "Incident Commander: Alice Adams (@alice)" in preview["body"]
    assert f"Bridge: https://meet.example.com/{ref.lower()}" in preview["body"]
    draft = rig.post(f"/api/v1/incidents/{ref}/updates/preview",
                     {"text": "Subject: {{ human_id }} is {{ status }}\nhi"}).json()
    assert draft["subject"] == f"{ref} is triggered"
    broken = rig.post(f"/api/v1/incidents/{ref}/updates/preview", {"text": "{{ owner }}"})
    assert broken.status_code == 422
    assert "'owner' is undefined" in broken.json()["detail"]
    assert "update_posted" not in rig.kinds(ref)
    empty = rig.post(f"/api/v1/incidents/{ref}/updates", {"audience": "internal"})
    assert empty.status_code == 422

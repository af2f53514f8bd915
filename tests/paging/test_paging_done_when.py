"""Done-when, end to end through the HTTP app: an Alertmanager alert declares a P0, the
on-call is paged on a webhook and by email, escalation follows the fake clock, an ack stops
it, updates reach the internal channel and a missed update raises a reminder. Both engines."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from warroom.clock import FakeClock
from warroom.testing.paging import ALERTMANAGER_KEY, PagingRig, alertmanager_payload, paging_rig


@pytest.fixture
def rig(db_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[PagingRig]:
    with paging_rig(db_url, tmp_path, clock) as found:
        yield found


def test_alert_pages_escalates_on_time_and_ack_stops_it(rig: PagingRig) -> None:
    resp = rig.client.post(f"/api/v1/intake/alertmanager/{ALERTMANAGER_KEY}",
                           json=alertmanager_payload())
    assert resp.status_code < 300, resp.text
    [incident] = rig.get("/api/v1/incidents").json()["items"]
    ref = incident["human_id"]
    assert incident["severity"] == "P0"

    rig.run()
    [page] = rig.pages_for("alice")
    assert page["kind"] == "page"
    assert page["subject"].startswith("INCIDENT DECLARED — [P0]")
    bridge = f"https://meet.example.com/{ref.lower()}"
    assert f"Bridge: {bridge}" in page["body"]
    assert f"Chat: #{ref.lower()}" in page["body"]
    [mail] = rig.smtp.wait_for(1)
    assert mail.message["To"] == "alice@example.org"
    assert "INCIDENT DECLARED" in str(mail.message["Subject"])
    assert [r.json()["name"] for r in rig.paths("/slack-api/conversations.create")] == [
        ref.lower()]
    assert rig.pages_for("bob") == []
    kinds = rig.kinds(ref)
    assert {"war_room_opened", "escalated", "page_queued", "notification_sent"} <= set(kinds)

    rig.clock.advance(timedelta(minutes=4, seconds=59))
    rig.run()
    assert rig.pages_for("bob") == []
    rig.clock.advance(timedelta(seconds=1))
    rig.run()
    [bob_page] = rig.pages_for("bob")
    assert bob_page["kind"] == "escalation"
    [sms] = rig.paths("/sms")  # alice's personal rule: SMS after 5 minutes unacknowledged
    assert sms.form()["To"] == "+15550100101"
    assert "ack_sla_breached" in rig.kinds(ref)
    assert any("ACK SLA BREACHED" in r.json()["text"] for r in rig.paths("/team-chat"))

    view = rig.get(f"/api/v1/incidents/{ref}/escalation").json()
    assert [s["index"] for s in view["fired"]] == [0, 1]
    assert view["next_step"]["index"] == 2
    assert view["sla"]["breached"] is True

    ack = rig.post(f"/api/v1/incidents/{ref}/acknowledge")
    assert ack.status_code == 200, ack.text
    chat_before = len(rig.paths("/team-chat"))
    rig.clock.advance(timedelta(minutes=30))
    rig.run()
    assert [e["data"]["step"] for e in rig.events(ref, "escalated")] == [0, 1]
    assert not any(r.json()["text"].startswith("INCIDENT DECLARED")
                   for r in rig.paths("/team-chat")[chat_before:])
    assert rig.get(f"/api/v1/incidents/{ref}/escalation").json()["next_step"] is None


def test_updates_reach_the_internal_channel_and_a_missed_update_reminds(
        rig: PagingRig) -> None:
    ref = rig.declare(commander="alice")
    rig.run()
    rig.post(f"/api/v1/incidents/{ref}/acknowledge")

    posted = rig.post(f"/api/v1/incidents/{ref}/updates",
                      {"status": "identified", "audience": "internal",
                       "body": "Rolled back the deploy."})
    assert posted.status_code == 201, posted.text
    rig.run()
    [update] = [r.json() for r in rig.paths("/team-chat")
                if "INCIDENT UPDATE" in r.json()["text"]]
    assert f"INCIDENT UPDATE — [P0] {ref}: Checkout down" in update["text"]
    assert "Progress: Rolled back the deploy." in update["text"]
    assert "Status: Identified" in update["text"]
    assert "Next update in 15 minutes" in update["text"]
    [event] = rig.events(ref, "update_posted")
    assert (event["data"]["audience"], event["data"]["status"], event["data"]["body"]) == (
        "internal", "identified", "Rolled back the deploy.")

    alice_before = len(rig.pages_for("alice"))
    rig.clock.advance(timedelta(minutes=15))
    rig.run()
    reminders = [p for p in rig.pages_for("alice")[alice_before:] if p["kind"] == "reminder"]
    assert len(reminders) == 1
    assert reminders[0]["subject"].startswith(f"UPDATE DUE — [P0] {ref}")
    assert "update_due" in rig.kinds(ref)
    assert "update_missed" not in rig.kinds(ref)
    rig.clock.advance(timedelta(minutes=5))
    rig.run()
    [missed] = rig.events(ref, "update_missed")
    assert missed["data"]["grace"] == 300

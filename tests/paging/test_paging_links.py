"""Pages say where to click: every message links to the incident, a page to a person carries a
signed, single-use, expiring acknowledge link that acknowledges as them, durations read
`2m 52s`, and the email does not repeat the bridge and status lines. Delivered through a real
SMTP server and local HTTP receivers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from warroom.clock import FakeClock
from warroom.testing.paging import ALERTMANAGER_KEY, PagingRig, alertmanager_payload, paging_rig


@pytest.fixture
def rig(db_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[PagingRig]:
    with paging_rig(db_url, tmp_path, clock) as found:
        yield found


def _links(page: dict[str, Any]) -> dict[str, str]:
    return {link["label"]: link["url"] for link in page["links"]}


def _path(url: str, rig: PagingRig) -> str:
    base = rig.runtime.settings.public_url
    assert url.startswith(base + "/"), (url, base)
    return url.removeprefix(base)


def test_a_page_links_the_incident_and_acknowledges_as_the_paged_person_once(
        rig: PagingRig) -> None:
    ref = rig.declare("P0")
    rig.run()
    [page] = rig.pages_for("alice")
    links = _links(page)
    assert _path(links["Incident"], rig) == f"/incidents/{ref}"
    ack = _path(links["Acknowledge"], rig)
    assert ack.startswith("/ack/")
    # The email to the same person carries both links too, each once, and its own link.
    [mail] = [m for m in rig.smtp.wait_for(1) if "alice@example.org" in m.rcpt_tos]
    text = mail.text().replace("\r\n", "\n")
    assert f"Incident: {links['Incident']}" in text
    found = re.findall(r"^Acknowledge: (\S+)$", text, re.M)
    assert len(found) == 1, repr(text)
    [mail_ack] = found
    assert mail_ack.startswith(rig.runtime.settings.public_url + "/ack/")
    assert mail_ack != links["Acknowledge"]  # each message gets its own single-use link
    assert f'href="{links["Incident"]}"' in mail.html()

    # GET (a link preview, a curious click) only shows what the link will do.
    shown = rig.client.get(ack)
    assert shown.status_code == 200
    assert f"Acknowledge {ref}?" in shown.text and "<form method=\"post\">" in shown.text
    assert rig.get(f"/api/v1/incidents/{ref}").json()["status"] == "triggered"

    done = rig.client.post(ack)
    assert done.status_code == 200, done.text
    assert f"{ref} acknowledged as alice" in done.text or "acknowledged as alice" in done.text
    assert rig.get(f"/api/v1/incidents/{ref}").json()["status"] == "acknowledged"
    [acked] = rig.events(ref, "acknowledged")
    assert acked["actor"] == "alice"
    # Escalation stopped: bob is never paged.
    rig.clock.advance(timedelta(minutes=6))
    rig.run()
    assert rig.pages_for("bob") == []

    again = rig.client.post(ack, headers={"Accept": "application/json"})
    assert again.status_code == 410
    assert again.json()["detail"] == "this acknowledge link was already used"
    assert rig.client.post(_path(mail_ack, rig)).status_code == 409  # already acknowledged


def test_a_forged_or_expired_acknowledge_link_does_nothing(rig: PagingRig) -> None:
    ref = rig.declare("P0")
    rig.run()
    ack = _path(_links(rig.pages_for("alice")[0])["Acknowledge"], rig)
    payload, mac = ack.removeprefix("/ack/").split(".")
    forged = f"/ack/{payload}.{mac[:-2]}{'AA' if mac[-2:] != 'AA' else 'BB'}"
    assert rig.client.post(forged).status_code == 404
    assert rig.client.get(forged).status_code == 404
    rig.clock.advance(timedelta(hours=24, seconds=1))
    expired = rig.client.post(ack, headers={"Accept": "application/json"})
    assert expired.status_code == 410
    assert "expired" in expired.json()["detail"]
    assert rig.get(f"/api/v1/incidents/{ref}").json()["status"] == "triggered"
    assert rig.events(ref, "acknowledged") == []


def test_durations_read_like_people_write_them_and_mail_shows_the_bridge_once(
        rig: PagingRig) -> None:
    ref = rig.declare("P0")
    rig.run()
    [mail] = rig.smtp.wait_for(1)
    text = mail.text().replace("\r\n", "\n")
    assert text.count("https://meet.example.com/") == 1, text
    assert text.count("https://status.example.com") == 1, text
    assert rig.post(f"/api/v1/incidents/{ref}/acknowledge").status_code == 200
    rig.clock.advance(timedelta(minutes=2, seconds=52, milliseconds=300))
    resolved = rig.post(f"/api/v1/incidents/{ref}/updates",
                        {"status": "resolved", "body": "Rolled back the deploy."})
    assert resolved.status_code == 201, resolved.text
    rig.run()
    chat = [r.json()["text"] for r in rig.paths("/team-chat")]
    resolutions = [t for t in chat if "RESOLVED" in t]
    assert len(resolutions) == 1, chat
    [resolution] = resolutions
    assert "Duration: 2m 52s" in resolution, resolution
    assert "ms" not in re.findall(r"Duration: (.*)", resolution)[0]
    # Slack without blocks: the links ride in the text, Slack-style.
    assert f"<{rig.runtime.settings.public_url}/incidents/{ref}|Incident>" in resolution \
        or f"{rig.runtime.settings.public_url}/incidents/{ref}" in resolution


SLACK_USERS = {"users": [
    {"name": "alice", "display_name": "Alice Adams", "role": "commander",
     "contact_methods": [{"kind": "slack", "address": "@alice"}],
     "notification_rules": [{"contact": "slack"}]},
    {"name": "bob", "role": "responder",
     "contact_methods": [{"kind": "webhook", "address": "bob"}]}]}


def test_a_slack_page_carries_both_links_and_a_team_channel_gets_no_ack_link(
        db_url: str, tmp_path: Path, clock: FakeClock) -> None:
    with paging_rig(db_url, tmp_path, clock, extra=SLACK_USERS) as rig:
        ref = rig.declare("P0")
        rig.run()
        [dm] = [r.json() for r in rig.paths("/team-chat") if r.json().get("channel") == "@alice"]
        base = rig.runtime.settings.public_url
        assert f"<{base}/incidents/{ref}|Incident>" in dm["text"]
        [ack] = re.findall(rf"<({re.escape(base)}/ack/[^|>]+)\|Acknowledge>", dm["text"])
        # Nobody acknowledges: at +10 min the policy reaches the team channel itself.
        rig.clock.advance(timedelta(minutes=10))
        rig.run()
        declared = [r.json()["text"] for r in rig.paths("/team-chat")
                    if not r.json().get("channel") and "INCIDENT DECLARED" in r.json()["text"]]
        assert declared, [r.json() for r in rig.paths("/team-chat")]
        assert all(f"{base}/incidents/{ref}" in t and "/ack/" not in t for t in declared)
        assert rig.client.post(_path(ack, rig)).status_code == 200
        [acked] = rig.events(ref, "acknowledged")
        assert acked["actor"] == "alice"


def _auto_monitoring(rig: PagingRig) -> str:
    """An Alertmanager alert declares a P0; its resolve moves the incident to `monitoring`
    on warroom's own (a system transition: paging goes on, nobody acknowledged)."""
    intake = f"/api/v1/intake/alertmanager/{ALERTMANAGER_KEY}"
    assert rig.client.post(intake, json=alertmanager_payload()).status_code < 300
    [incident] = rig.get("/api/v1/incidents").json()["items"]
    ref: str = incident["human_id"]
    rig.run()
    resolved = alertmanager_payload()
    resolved["status"] = "resolved"
    alerts: Any = resolved["alerts"]
    alerts[0].update(status="resolved", endsAt="2026-01-05T09:01:00Z")
    assert rig.client.post(intake, json=resolved).status_code < 300
    rig.run()
    state = rig.get(f"/api/v1/incidents/{ref}").json()
    assert state["status"] == "monitoring", state
    [moved] = rig.events(ref, "status_changed")
    assert moved["data"].get("system") is True
    return ref


def test_an_incident_moved_to_monitoring_by_warroom_can_still_be_acknowledged(
        rig: PagingRig) -> None:
    ref = _auto_monitoring(rig)
    acked = rig.post(f"/api/v1/incidents/{ref}/acknowledge")
    assert acked.status_code == 200, acked.text
    state = rig.get(f"/api/v1/incidents/{ref}").json()
    assert state["status"] == "monitoring"  # the status is kept; the milestone is set
    assert state["milestones"]["acknowledged"] is not None, state
    rig.clock.advance(timedelta(minutes=30))
    rig.run()
    assert rig.pages_for("bob") == []  # escalation stopped
    again = rig.post(f"/api/v1/incidents/{ref}/acknowledge")
    assert again.status_code == 409  # once acknowledged, there is nothing left to ack


def test_an_ack_link_acknowledges_an_auto_monitoring_incident_and_a_refusal_keeps_it(
        rig: PagingRig) -> None:
    ref = _auto_monitoring(rig)
    [page] = rig.pages_for("alice")
    ack = _path(_links(page)["Acknowledge"], rig)
    shown = rig.client.get(ack)
    assert shown.status_code == 200 and "<form method=\"post\">" in shown.text, shown.text
    # Someone else acknowledges first: the link's POST is refused (a real problem+json) and
    # the link is not spent.
    assert rig.post(f"/api/v1/incidents/{ref}/acknowledge", who="commander").status_code == 200
    refused = rig.client.post(ack, headers={"Accept": "application/json"})
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("application/problem+json")
    body = refused.json()
    assert body["status"] == 409 and body["incident_status"] == "monitoring", body
    assert rig.client.get(ack, headers={"Accept": "application/json"}).json()["used"] is False


def test_an_ack_link_posted_on_an_auto_monitoring_incident_stops_paging(
        rig: PagingRig) -> None:
    ref = _auto_monitoring(rig)
    [page] = rig.pages_for("alice")
    done = rig.client.post(_path(_links(page)["Acknowledge"], rig),
                           headers={"Accept": "application/json"})
    assert done.status_code == 200, done.text
    [acked] = rig.events(ref, "acknowledged")
    assert acked["actor"] == "alice"
    assert rig.get(f"/api/v1/incidents/{ref}").json()["status"] == "monitoring"
    rig.clock.advance(timedelta(minutes=30))
    rig.run()
    assert rig.pages_for("bob") == []

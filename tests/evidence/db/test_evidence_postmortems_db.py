"""Postmortems in the store: the draft written on resolve, revisions, the review workflow,
Markdown and HTML export, and the overdue-review reminder on the fake clock."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from warroom.api.app import create_app
from warroom.clock import FakeClock, isoformat
from warroom.engine.worker import Worker
from warroom.runtime import Runtime
from warroom.services.principal import Principal
from warroom.testing.evidence_db import ResolvedP0, scripted_p0, settle
from warroom.testing.receivers import HttpReceiver
from warroom.testing.runtime import Users


def _kinds(client: TestClient, users: Users, ref: str) -> list[str]:
    events = client.get(f"/api/v1/incidents/{ref}/timeline",
                        headers=users.headers("viewer")).json()["events"]
    return [e["kind"] for e in events]


def test_resolving_drafts_a_postmortem_whose_timeline_has_the_scripted_times(
        runtime: Runtime, client: TestClient, users: Users, clock: FakeClock,
        commander: Principal) -> None:
    story = scripted_p0(runtime, clock, commander, run_worker=False)
    url = f"/api/v1/incidents/{story.human_id}/postmortem"
    assert client.get(url, headers=users.headers("viewer")).status_code == 404
    settle(runtime)  # the engine writes the draft right after the resolve commits
    resp = client.get(url, headers=users.headers("viewer"))
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert (body["status"], body["revision"], body["author"]) == ("draft", 1, "warroom")
    assert body["due_at"] == isoformat(story.resolved + timedelta(hours=48))  # P0: 48h
    timeline = body["markdown"].split("## Timeline\n")[1].split("\n\n")[0].splitlines()
    assert timeline == [
        "- 09:00 UTC - Incident declared — P0 by commander (+0s)",
        "- 09:01 UTC - First alert — CheckoutDown: 5xx rate 100% (+1m)",
        "- 09:03 UTC - Acknowledged — by commander (+3m)",
        "- 09:15 UTC - Root cause identified — by commander (+15m)",
        "- 09:19 UTC - Mitigation applied — Roll back checkout deploy by commander (+19m)",
        "- 09:40 UTC - Resolved — by commander (+40m)",
    ]
    kinds = _kinds(client, users, story.human_id)
    assert kinds.index("resolved") < kinds.index("postmortem_drafted")
    settle(runtime)
    assert _kinds(client, users, story.human_id).count("postmortem_drafted") == 1


def test_put_adds_a_revision_and_keeps_the_history(
        runtime: Runtime, client: TestClient, users: Users, clock: FakeClock,
        commander: Principal) -> None:
    story = scripted_p0(runtime, clock, commander)
    url = f"/api/v1/incidents/{story.human_id}/postmortem"
    clock.advance(timedelta(hours=1))
    resp = client.put(url, json={"markdown": "# PIR\n\n## Root Cause\nA bad deploy.\n"},
                      headers=users.headers("responder"))
    assert resp.status_code == 200, resp.text
    assert (resp.json()["revision"], resp.json()["author"]) == (2, "responder")
    revisions = client.get(f"{url}/revisions", headers=users.headers("viewer")).json()
    assert [(r["revision"], r["author"]) for r in revisions["revisions"]] == [
        (1, "warroom"), (2, "responder")]
    assert revisions["revisions"][1]["at"] == isoformat(story.resolved + timedelta(hours=1))
    assert client.put(url, json={"markdown": "x"},
                      headers=users.headers("viewer")).status_code == 403
    assert _kinds(client, users, story.human_id)[-1] == "postmortem_revised"


def test_review_workflow_goes_draft_in_review_published_and_publishing_needs_commander(
        runtime: Runtime, client: TestClient, users: Users, clock: FakeClock,
        commander: Principal) -> None:
    story = scripted_p0(runtime, clock, commander)
    url = f"/api/v1/incidents/{story.human_id}/postmortem"

    def move(status: str, who: str) -> int:
        return int(client.post(f"{url}/status", json={"status": status},
                               headers=users.headers(who)).status_code)

    assert move("published", "commander") == 409  # not reviewed yet
    assert move("in_review", "responder") == 200
    assert move("published", "responder") == 403
    assert move("published", "commander") == 200
    got = client.get(url, headers=users.headers("viewer")).json()
    assert got["status"] == "published"
    assert got["published_at"] is not None
    assert client.put(url, json={"markdown": "late edit"},
                      headers=users.headers("commander")).status_code == 409
    assert _kinds(client, users, story.human_id)[-2:] == [
        "postmortem_status_changed", "postmortem_status_changed"]


def test_postmortem_exports_as_markdown_and_as_html_with_raw_html_escaped(
        runtime: Runtime, client: TestClient, users: Users, clock: FakeClock,
        commander: Principal) -> None:
    story = scripted_p0(runtime, clock, commander)
    url = f"/api/v1/incidents/{story.human_id}/postmortem"
    client.put(url, json={"markdown": "# PIR\n\n<script>alert(1)</script>\n\n- **bold**\n"},
               headers=users.headers("commander"))
    md = client.get(url, params={"format": "markdown"}, headers=users.headers("viewer"))
    assert md.headers["content-type"].startswith("text/markdown")
    assert md.text.startswith("# PIR")
    page = client.get(url, params={"format": "html"}, headers=users.headers("viewer"))
    assert page.headers["content-type"].startswith("text/html")
    assert "<h1>PIR</h1>" in page.text
    assert "<strong>bold</strong>" in page.text
    assert "<script>" not in page.text
    assert "&lt;script&gt;" in page.text


def test_overdue_review_records_an_event_and_reminds_the_commander(
        resolved_p0: ResolvedP0, receiver: HttpReceiver) -> None:
    runtime, clock, users = resolved_p0.runtime, resolved_p0.clock, resolved_p0.users
    story = resolved_p0.story
    worker = Worker(runtime)
    clock.set(story.resolved + timedelta(hours=47, minutes=59))
    worker.run_once()
    assert receiver.requests == []
    clock.set(story.resolved + timedelta(hours=48))
    worker.run_once()
    (reminder,) = receiver.wait_for(1)
    body = reminder.json()
    assert reminder.path == "/reminders"
    assert body["kind"] == "reminder"
    assert body["destination"] == "commander"
    assert body["subject"] == f"[{story.human_id}] Post-incident review overdue"
    with TestClient(create_app(runtime)) as client:
        kinds = _kinds(client, users, story.human_id)
        assert kinds.count("postmortem_overdue") == 1
        pm = client.get(f"/api/v1/incidents/{story.human_id}/postmortem",
                        headers=users.headers("viewer")).json()
        assert pm["overdue_at"] == isoformat(story.resolved + timedelta(hours=48))
        # A day later it reminds again, but the overdue event is recorded only once.
        clock.advance(timedelta(hours=24))
        worker.run_once()
        assert len(receiver.wait_for(2)) == 2
        assert _kinds(client, users, story.human_id).count("postmortem_overdue") == 1
        # Once published, the reminders stop.
        for status in ("in_review", "published"):
            client.post(f"/api/v1/incidents/{story.human_id}/postmortem/status",
                        json={"status": status}, headers=users.headers("commander"))
        clock.advance(timedelta(hours=48))
        worker.run_once()
        assert len(receiver.requests) == 2

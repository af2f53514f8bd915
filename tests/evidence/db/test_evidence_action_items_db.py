"""Action items: created directly or from the postmortem, updated, listed, reminded when
overdue (fake clock + Worker.run_once), and sent to the tracker webhook."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from warroom.api.app import create_app
from warroom.clock import FakeClock, isoformat
from warroom.engine.worker import Worker
from warroom.evidence.action_items import items_from_markdown
from warroom.runtime import Runtime
from warroom.services.principal import Principal
from warroom.testing.evidence_db import ResolvedP0, scripted_p0
from warroom.testing.receivers import HttpReceiver, ReceivedRequest
from warroom.testing.runtime import Users


def test_action_items_are_parsed_from_the_postmortem_list() -> None:
    markdown = ("# PIR\n\n## Action Items\n"
                "- [ ] Add a canary stage (owner: bob, due: 2026-02-01, priority: P1)\n"
                "- [x] Page the database team for replication lag\n"
                "- [ ] _Add each follow-up with an owner, a due date and a priority._\n"
                "\n## Notes\n- [ ] not an action item\n")
    assert items_from_markdown(markdown) == [
        {"title": "Add a canary stage", "owner": "bob", "due": "2026-02-01",
         "priority": "P1", "status": "open"},
        {"title": "Page the database team for replication lag", "status": "done"},
    ]


def test_items_are_created_updated_and_listed_through_the_api(
        runtime: Runtime, client: TestClient, users: Users, clock: FakeClock,
        commander: Principal) -> None:
    story = scripted_p0(runtime, clock, commander)
    url = f"/api/v1/incidents/{story.human_id}/action-items"
    created = client.post(url, json={"title": "Add a canary stage", "owner": "responder",
                                     "due_at": "2026-01-12", "priority": "P1"},
                          headers=users.headers("responder"))
    assert created.status_code == 201, created.text
    item = created.json()
    assert (item["incident"], item["status"], item["due_at"]) == (
        story.human_id, "open", "2026-01-12T23:59:59.000000Z")
    assert client.post(url, json={"title": "x"},
                       headers=users.headers("viewer")).status_code == 403
    bad = client.post(url, json={"title": "x", "due_at": "next week"},
                      headers=users.headers("responder"))
    assert bad.status_code == 422
    assert "YYYY-MM-DD" in bad.json()["detail"]
    updated = client.patch(f"/api/v1/action-items/{item['id']}", json={"status": "done"},
                           headers=users.headers("responder"))
    assert updated.json()["status"] == "done"
    listed = client.get("/api/v1/action-items", params={"status": "done"},
                        headers=users.headers("viewer")).json()["items"]
    assert [i["title"] for i in listed] == ["Add a canary stage"]
    kinds = [e["kind"] for e in client.get(f"/api/v1/incidents/{story.human_id}/timeline",
                                           headers=users.headers("viewer")).json()["events"]]
    assert "action_item_created" in kinds
    assert "action_item_updated" in kinds


def test_items_come_from_the_postmortem_once(
        runtime: Runtime, client: TestClient, users: Users, clock: FakeClock,
        commander: Principal) -> None:
    story = scripted_p0(runtime, clock, commander)
    client.put(f"/api/v1/incidents/{story.human_id}/postmortem", json={"markdown": (
        "# PIR\n\n## Action Items\n- [ ] Add a canary stage (owner: responder, priority: P1)\n"
        "- [ ] Alert on deploy error budget\n")}, headers=users.headers("commander"))
    url = f"/api/v1/incidents/{story.human_id}/action-items/from-postmortem"
    first = client.post(url, headers=users.headers("commander"))
    assert first.status_code == 201, first.text
    assert [(i["title"], i["owner"], i["priority"], i["source"])
            for i in first.json()["items"]] == [
        ("Add a canary stage", "responder", "P1", "postmortem"),
        ("Alert on deploy error budget", None, "P2", "postmortem")]
    assert client.post(url, headers=users.headers("commander")).json()["items"] == []


def _item_reminders(receiver: HttpReceiver) -> list[ReceivedRequest]:
    """Reminders about action items (the overdue review reminds the commander too)."""
    return [r for r in receiver.requests
            if r.path == "/reminders" and "Action item" in r.json()["subject"]]


def test_overdue_items_remind_their_owner_and_new_items_reach_the_tracker(
        resolved_p0: ResolvedP0, receiver: HttpReceiver) -> None:
    runtime, clock, users = resolved_p0.runtime, resolved_p0.clock, resolved_p0.users
    story = resolved_p0.story
    worker = Worker(runtime)
    with TestClient(create_app(runtime)) as client:
        item = client.post(f"/api/v1/incidents/{story.human_id}/action-items", json={
            "title": "Add a canary stage", "owner": "responder",
            "due_at": isoformat(story.resolved + timedelta(days=3))},
            headers=users.headers("commander")).json()
        worker.run_once()
        tracker = [r for r in receiver.wait_for(1) if r.path == "/tracker"]
        assert tracker[0].json()["extra"]["action_item"]["title"] == "Add a canary stage"
        clock.set(story.resolved + timedelta(days=3, minutes=1))
        worker.run_once()  # the pass queues the reminder after this run's deliveries
        worker.run_once()
        receiver.wait_for(3)
        reminders = _item_reminders(receiver)
        assert len(reminders) == 1
        assert reminders[0].json()["destination"] == "responder"
        assert "Action item overdue: Add a canary stage" in reminders[0].json()["subject"]
        # Not again within remind_every (24h), and never once it is done.
        clock.advance(timedelta(hours=1))
        worker = Worker(runtime)
        worker.run_once()
        assert len(_item_reminders(receiver)) == 1
        client.patch(f"/api/v1/action-items/{item['id']}", json={"status": "done"},
                     headers=users.headers("responder"))
        clock.advance(timedelta(days=2))
        Worker(runtime).run_once()
        assert len(_item_reminders(receiver)) == 1
        events = client.get(f"/api/v1/incidents/{story.human_id}/timeline",
                            headers=users.headers("viewer")).json()["events"]
        assert [e["kind"] for e in events].count("action_item_overdue") == 1


@given(st.lists(st.tuples(
    st.text(st.characters(whitelist_categories=("L", "N"), whitelist_characters=" -"),
            min_size=1, max_size=30).map(str.strip).filter(bool),
    st.sampled_from([None, "bob", "carol"]), st.sampled_from(["P0", "P1", "P2", "P3"]),
    st.sampled_from(["open", "done"])), max_size=6))
def test_items_in_a_generated_draft_parse_back_unchanged(
        items: list[tuple[str, str | None, str, str]]) -> None:
    from warroom.evidence.postmortem import draft_postmortem
    from warroom.testing.evidence_story import scripted_p0 as story

    _, events, _ = story()
    given_items = [{"title": " ".join(t.split()), "owner": o, "priority": p, "status": s}
                   for t, o, p, s in items]
    parsed = items_from_markdown(draft_postmortem({}, events, given_items))
    assert [(i["title"], i.get("owner"), i.get("priority"), i["status"]) for i in parsed] == [
        (i["title"], i["owner"], i["priority"], i["status"]) for i in given_items]

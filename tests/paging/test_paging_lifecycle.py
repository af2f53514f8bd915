"""How incident events drive paging: severity changes re-plan, escalate-now and reassign page
at once, the ack timeout re-triggers, resolving cancels, unreachable steps are recorded."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from warroom.clock import FakeClock
from warroom.testing.paging import PagingRig, paging_rig

STEPS = [{"at": "immediately", "targets": [{"schedule": "primary"}]},
         {"at": "+5 min", "targets": [{"schedule": "secondary"}]},
         {"at": "+10 min", "targets": [{"channel": "team-chat"}]}]


def policy(**fields: Any) -> dict[str, Any]:
    return {"escalation_policies": [{"name": "sre", "steps": STEPS, **fields}]}


def with_config(extra: dict[str, Any]) -> pytest.MarkDecorator:
    """Run the test against the base config with `extra` sections replacing its own."""
    return pytest.mark.parametrize("rig", [extra], indirect=True, ids=["config"])


@pytest.fixture
def rig(db_url: str, tmp_path: Path, clock: FakeClock,
        request: pytest.FixtureRequest) -> Iterator[PagingRig]:
    extra = getattr(request, "param", None)
    with paging_rig(db_url, tmp_path, clock, extra=extra) as found:
        yield found


def chat_texts(rig: PagingRig) -> list[str]:
    return [r.json()["text"] for r in rig.paths("/team-chat")]


@with_config(policy(by_severity={"P1": [
    {"at": "immediately", "targets": [{"schedule": "primary"}]},
    {"at": "+15 min", "targets": [{"schedule": "secondary"}]}]}))
def test_raising_severity_replans_the_remaining_steps(rig: PagingRig) -> None:
    ref = rig.declare("P1")
    rig.run()
    assert len(rig.pages_for("alice")) == 1
    rig.clock.advance(timedelta(minutes=6))
    rig.run()
    assert rig.pages_for("bob") == []  # P1 pages the secondary only at +15

    assert rig.post(f"/api/v1/incidents/{ref}/severity", {"severity": "P0"}).status_code == 200
    rig.run()
    assert len(rig.pages_for("bob")) == 1  # the P0 matrix's +5 step is overdue: fires now
    assert len(rig.pages_for("alice")) == 1  # the step already reached is not repeated
    rig.clock.advance(timedelta(minutes=3, seconds=59))
    rig.run()
    assert not any(t.startswith("INCIDENT DECLARED") for t in chat_texts(rig))
    rig.clock.advance(timedelta(seconds=1))
    rig.run()
    assert any(t.startswith("INCIDENT DECLARED") for t in chat_texts(rig))
    assert [e["data"]["step"] for e in rig.events(ref, "escalated")] == [0, 1, 2]


def test_escalate_now_pages_the_next_step_without_waiting(rig: PagingRig) -> None:
    ref = rig.declare()
    rig.run()
    resp = rig.post(f"/api/v1/incidents/{ref}/escalate", {"reason": "alice is on a plane"})
    assert resp.status_code == 200, resp.text
    assert resp.json()["events"][0]["kind"] == "escalation_requested"
    rig.run()
    assert len(rig.pages_for("bob")) == 1
    rig.clock.advance(timedelta(minutes=5))
    rig.run()
    assert len(rig.pages_for("bob")) == 1


def test_reassign_pages_the_new_user_now_and_rejects_unknown_names(rig: PagingRig) -> None:
    ref = rig.declare()
    rig.run()
    rig.post(f"/api/v1/incidents/{ref}/acknowledge")
    resp = rig.post(f"/api/v1/incidents/{ref}/reassign", {"user": "carol"})
    assert resp.status_code == 200, resp.text
    rig.run()
    mails = rig.smtp.wait_for(2)  # alice's first page, then carol
    assert mails[-1].message["To"] == "carol@example.org"
    bad = rig.post(f"/api/v1/incidents/{ref}/reassign", {"user": "zed"})
    assert bad.status_code == 422
    assert "unknown user 'zed'" in bad.json()["detail"]
    viewer = rig.post(f"/api/v1/incidents/{ref}/reassign", {"user": "carol"}, who="viewer")
    assert viewer.status_code == 403


@with_config(policy(retrigger_after="30m"))
def test_ack_timeout_retriggers_paging_unless_someone_acts(rig: PagingRig) -> None:
    ref = rig.declare()
    rig.run()
    rig.post(f"/api/v1/incidents/{ref}/acknowledge")
    rig.clock.advance(timedelta(minutes=20))
    rig.post(f"/api/v1/incidents/{ref}/notes", {"text": "looking at the deploy"})
    rig.clock.advance(timedelta(minutes=20))
    rig.run()
    assert len(rig.pages_for("alice")) == 1  # the note moved the timeout to +50 min
    rig.clock.advance(timedelta(minutes=10))
    rig.run()
    assert "paging_retriggered" in rig.kinds(ref)
    assert len(rig.pages_for("alice")) == 2
    rig.post(f"/api/v1/incidents/{ref}/notes", {"text": "still here"})
    rig.clock.advance(timedelta(minutes=10))
    rig.run()
    assert rig.pages_for("bob") == []  # activity stopped the re-triggered pass


@with_config(policy(repeat=1, repeat_after="5m"))
def test_unacknowledged_policy_repeats_after_its_last_step(rig: PagingRig) -> None:
    ref = rig.declare("P2")
    for _ in range(3):
        rig.run()
        rig.clock.advance(timedelta(minutes=5))
    rig.run()
    assert len(rig.pages_for("alice")) == 2  # +0 and the second pass at +15
    assert [(e["data"]["attempt"], e["data"]["step"]) for e in rig.events(ref, "escalated")] == [
        (0, 0), (0, 1), (0, 2), (1, 0)]


def test_resolving_cancels_every_pending_paging_timer(rig: PagingRig) -> None:
    ref = rig.declare()
    rig.run()
    assert rig.get(f"/api/v1/incidents/{ref}/escalation").json()["timers"]
    rig.post(f"/api/v1/incidents/{ref}/resolve", {"summary": "rolled back"})
    assert rig.get(f"/api/v1/incidents/{ref}/escalation").json()["timers"] == []
    rig.clock.advance(timedelta(hours=2))
    rig.run()
    assert rig.pages_for("bob") == []


@with_config({"escalation_policies": [{"name": "sre", "steps": [
    {"at": "immediately", "targets": [{"user": "dave"}, {"schedule": "nobody"}]},
    {"at": "+1 min", "targets": [{"user": "bob", "via": "voice"}]}]}]})
def test_a_step_that_reaches_nobody_is_recorded_with_the_reasons(rig: PagingRig) -> None:
    ref = rig.declare()
    rig.run()
    rig.clock.advance(timedelta(minutes=1))
    rig.run()
    skipped = rig.events(ref, "escalation_step_skipped")
    assert [e["data"]["step"] for e in skipped] == [0, 1]
    assert sorted(skipped[0]["data"]["reasons"]) == ["schedule 'nobody' is not defined",
                                                     "user 'dave' has no contact methods"]
    assert skipped[1]["data"]["reasons"] == ["user 'bob' has no voice contact method"]
    assert "escalated" not in rig.kinds(ref)


def test_drill_pages_are_marked(rig: PagingRig) -> None:
    rig.declare(drill=True)
    rig.run()
    [page] = rig.pages_for("alice")
    assert page["subject"].startswith("[DRILL] INCIDENT DECLARED")
    assert page["drill"] is True


def test_p2_opens_no_war_room_and_p3_does_not_page(rig: PagingRig) -> None:
    p2 = rig.declare("P2")
    p3 = rig.declare("P3")
    rig.run()
    assert "war_room_opened" not in rig.kinds(p2)
    assert rig.paths("/slack-api") == []
    view = rig.get(f"/api/v1/incidents/{p3}/escalation").json()
    assert view["active"] is False
    assert "does not page" in view["note"]
    assert len(rig.pages_for("alice")) == 1

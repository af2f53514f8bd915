"""The on-call API: who is on call, shifts over a range, runtime overrides that beat the
layers, and iCal feeds that the icalendar library parses."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import icalendar
import pytest

from warroom.clock import FakeClock
from warroom.testing.paging import PagingRig, paging_rig


@pytest.fixture
def rig(db_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[PagingRig]:
    with paging_rig(db_url, tmp_path, clock) as found:
        yield found


def test_who_is_on_call_now_and_at_an_instant(rig: PagingRig) -> None:
    now = rig.get("/api/v1/oncall").json()
    assert now["at"] == "2026-01-05T09:00:00.000000Z"
    assert {s["schedule"]: s["on_call"] for s in now["schedules"]} == {
        "primary": "alice", "secondary": "bob"}
    one = rig.get("/api/v1/oncall?schedule=primary&at=2026-03-01T12:00:00Z").json()
    assert [s["schedule"] for s in one["schedules"]] == ["primary"]
    missing = rig.get("/api/v1/oncall?schedule=nope")
    assert missing.status_code == 404
    assert "schedules: primary, secondary" in missing.json()["detail"]


def test_a_runtime_override_wins_and_pages_the_override(rig: PagingRig) -> None:
    resp = rig.post("/api/v1/schedules/primary/overrides",
                    {"user": "carol", "start": "2026-01-05T08:00:00Z",
                     "end": "2026-01-05T12:00:00Z", "reason": "alice at the dentist"})
    assert resp.status_code == 201, resp.text
    assert resp.json()["created_by"] == "responder"
    who = rig.get("/api/v1/oncall?schedule=primary").json()["schedules"][0]
    assert (who["on_call"], who["layers"][0]["source"]) == ("carol", "override")
    shifts = rig.get("/api/v1/schedules/primary/oncall?start=2026-01-05T00:00:00Z"
                     "&end=2026-01-06T00:00:00Z").json()["shifts"]
    assert [(s["user"], s["source"]) for s in shifts] == [
        ("alice", "rotation"), ("carol", "override"), ("alice", "rotation")]
    listed = rig.get("/api/v1/schedules/primary/overrides").json()["overrides"]
    assert [o["user"] for o in listed] == ["carol"]

    rig.declare()
    rig.run()
    [mail] = rig.smtp.wait_for(1)
    assert mail.message["To"] == "carol@example.org"
    assert rig.pages_for("alice") == []


def test_overrides_need_a_responder_and_a_known_user(rig: PagingRig) -> None:
    body = {"user": "carol", "start": "2026-01-05T08:00:00Z", "end": "2026-01-05T12:00:00Z"}
    assert rig.post("/api/v1/schedules/primary/overrides", body, who="viewer").status_code == 403
    bad = rig.post("/api/v1/schedules/primary/overrides", body | {"user": "zed"})
    assert bad.status_code == 422
    assert "unknown user 'zed'" in bad.json()["detail"]
    backwards = rig.post("/api/v1/schedules/primary/overrides",
                         body | {"end": "2026-01-05T07:00:00Z"})
    assert "end must be after start" in backwards.json()["detail"]


def test_ical_feeds_parse_and_hold_the_shifts(rig: PagingRig) -> None:
    resp = rig.get("/api/v1/schedules/primary.ics?start=2026-01-05T09:00:00Z"
                   "&end=2026-01-26T09:00:00Z")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(resp.content)
    events = [c for c in calendar.walk("VEVENT")]
    assert {str(e["SUMMARY"]) for e in events} == {"On call: primary (alice)"}
    starts = sorted(e.decoded("DTSTART") for e in events)
    assert starts[0] <= datetime.fromisoformat("2026-01-05T09:00:00+00:00")
    user = rig.get("/api/v1/users/bob/oncall.ics").content
    summaries = {str(e["SUMMARY"]) for e in icalendar.Calendar.from_ical(user).walk("VEVENT")}
    assert summaries == {"On call: secondary (bob)"}
    too_long = rig.get("/api/v1/schedules/primary.ics?start=2026-01-01T00:00:00Z"
                       "&end=2028-01-01T00:00:00Z")
    assert too_long.status_code == 422


def test_escalation_policies_are_listed_read_only(rig: PagingRig) -> None:
    [policy] = rig.get("/api/v1/escalation-policies").json()["policies"]
    assert policy["name"] == "sre"
    assert [s["at"] for s in policy["steps"]] == ["0s", "5m", "10m"]
    assert policy["steps"][0]["targets"] == [{"kind": "schedule", "id": "primary", "via": None}]
    assert rig.client.get("/api/v1/escalation-policies").status_code == 401


def test_shift_range_defaults_to_four_weeks(rig: PagingRig) -> None:
    result = rig.get("/api/v1/schedules/secondary/oncall").json()
    start = datetime.fromisoformat(result["start"].replace("Z", "+00:00"))
    end = datetime.fromisoformat(result["end"].replace("Z", "+00:00"))
    assert end - start == timedelta(days=28)

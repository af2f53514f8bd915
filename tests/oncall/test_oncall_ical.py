"""iCal export: parsed back with icalendar, events match the effective timeline."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from icalendar import Calendar

from warroom.domain.schedules import (
    Layer,
    Override,
    Rotation,
    Schedule,
    ShiftLength,
    ShiftUnit,
    on_call_between,
)
from warroom.oncall.ical import schedule_calendar, user_calendar

STAMP = datetime(2026, 3, 1, tzinfo=UTC)
START = datetime(2026, 3, 20, tzinfo=UTC)
END = datetime(2026, 4, 10, tzinfo=UTC)


def weekly(name: str, people: tuple[str, ...], overrides: tuple[Override, ...] = ()) -> Schedule:
    rotation = Rotation(people, ShiftLength(ShiftUnit.WEEKS), time(9), "Europe/Berlin",
                        date(2026, 3, 2))
    return Schedule(name, (Layer("weekly", rotation),), overrides)


def events(data: bytes) -> list[Any]:
    return list(Calendar.from_ical(data).walk("VEVENT"))


def test_schedule_export_has_one_event_per_shift_in_utc() -> None:
    schedule = weekly("sre-primary", ("alice", "bob"))
    parsed = events(schedule_calendar(schedule, START, END, STAMP))
    got = [(str(e["SUMMARY"]), e.decoded("DTSTART"), e.decoded("DTEND")) for e in parsed]
    assert got == [
        # The shift running at the horizon's start keeps its real start (and stable UID).
        ("On call: sre-primary (alice)", datetime(2026, 3, 16, 8, tzinfo=UTC),
         datetime(2026, 3, 23, 8, tzinfo=UTC)),
        ("On call: sre-primary (bob)", datetime(2026, 3, 23, 8, tzinfo=UTC),
         datetime(2026, 3, 30, 7, tzinfo=UTC)),  # 09:00 CEST after the DST change
        ("On call: sre-primary (alice)", datetime(2026, 3, 30, 7, tzinfo=UTC),
         datetime(2026, 4, 6, 7, tzinfo=UTC)),
        ("On call: sre-primary (bob)", datetime(2026, 4, 6, 7, tzinfo=UTC),
         datetime(2026, 4, 10, tzinfo=UTC)),
    ]
    assert all(e.decoded("DTSTART").tzinfo is not None for e in parsed)
    assert b"DTSTART:20260316T080000Z" in schedule_calendar(schedule, START, END, STAMP)


def test_uids_are_unique_and_stable_when_the_horizon_moves() -> None:
    schedule = weekly("sre-primary", ("alice", "bob"))
    first = {e.decoded("DTSTART"): str(e["UID"]) for e in
             events(schedule_calendar(schedule, START, END, STAMP))}
    later = {e.decoded("DTSTART"): str(e["UID"]) for e in
             events(schedule_calendar(schedule, START + timedelta(days=2, hours=5),
                                      END + timedelta(days=4), STAMP))}
    assert len(set(first.values())) == len(first)
    shared = first.keys() & later.keys()
    # Including the shift clipped by the first horizon's end: its DTEND grows, its UID stays.
    assert len(shared) == 4
    assert all(first[start] == later[start] for start in shared)
    assert len(later) == 5 and set(later.values()) - set(first.values())


def test_user_export_collects_that_users_shifts_across_schedules() -> None:
    override = Override("alice", datetime(2026, 3, 24, 12, tzinfo=UTC),
                        datetime(2026, 3, 25, 12, tzinfo=UTC))
    primary = weekly("sre-primary", ("alice", "bob"), (override,))
    secondary = weekly("sre-secondary", ("bob", "alice"))
    parsed = events(user_calendar("alice", [primary, secondary], START, END, STAMP))
    summaries = [(str(e["SUMMARY"]), e.decoded("DTSTART")) for e in parsed]
    assert summaries == [
        ("On call: sre-primary (alice)", datetime(2026, 3, 16, 8, tzinfo=UTC)),
        ("On call: sre-secondary (alice)", datetime(2026, 3, 23, 8, tzinfo=UTC)),
        ("On call: sre-primary (alice)", datetime(2026, 3, 24, 12, tzinfo=UTC)),  # override
        ("On call: sre-primary (alice)", datetime(2026, 3, 30, 7, tzinfo=UTC)),
        ("On call: sre-secondary (alice)", datetime(2026, 4, 6, 7, tzinfo=UTC)),
    ]
    assert "override" in str(parsed[2]["DESCRIPTION"])
    expected = [s for s in on_call_between(primary, START, END) if s.user == "alice"]
    exported = [e for e in parsed if "sre-primary" in str(e["SUMMARY"])]
    assert [e.decoded("DTEND") for e in exported] == [s.end for s in expected]
    assert all("(bob)" not in str(e["SUMMARY"]) for e in parsed)

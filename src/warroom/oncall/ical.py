"""iCalendar export of on-call shifts, per schedule and per user, for people's own calendars.

UIDs are derived from schedule, user, layer and the shift's true start, so re-exporting over a
moving horizon updates events in place instead of duplicating them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime, timedelta

from icalendar import Calendar, Event

from warroom.clock import utc
from warroom.domain.schedules import Schedule, Shift, on_call_between

__all__ = ["schedule_calendar", "shifts_for_export", "user_calendar"]

PRODID = "-//warroom//on-call//EN"
# How far back to look for the true start of a shift already running at the horizon's start.
_MAX_LOOKBACK = timedelta(days=366)


def shifts_for_export(schedule: Schedule, start: datetime, end: datetime) -> list[Shift]:
    """Shifts overlapping [start, end), the first one with its real (unclipped) start."""
    begin, finish = utc(start), utc(end)
    lookback = timedelta(days=7)
    while True:
        shifts = [s for s in on_call_between(schedule, begin - lookback, finish) if s.end > begin]
        if not shifts or shifts[0].start > begin - lookback or lookback >= _MAX_LOOKBACK:
            return shifts
        lookback *= 2


def _uid(schedule: str, shift: Shift) -> str:
    key = f"{schedule}|{shift.user}|{shift.layer}|{shift.source}|{shift.start.isoformat()}"
    return f"{hashlib.sha256(key.encode()).hexdigest()[:32]}@warroom"


def _event(schedule: str, shift: Shift, stamp: datetime) -> Event:
    event = Event()
    event.add("uid", _uid(schedule, shift))
    event.add("dtstamp", utc(stamp))
    event.add("dtstart", utc(shift.start))
    event.add("dtend", utc(shift.end))
    event.add("summary", f"On call: {schedule} ({shift.user})")
    via = "override" if shift.source == "override" else f"layer {shift.layer}"
    event.add("description", f"{shift.user} is on call for {schedule} ({via}).")
    event.add("categories", ["on-call"])
    return event


def _calendar(name: str, events: Iterable[Event]) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    for event in events:
        calendar.add_component(event)
    data: bytes = calendar.to_ical()
    return data


def schedule_calendar(schedule: Schedule, start: datetime, end: datetime,
                      stamp: datetime) -> bytes:
    """One VEVENT per effective shift of `schedule` overlapping [start, end).

    `stamp` (DTSTAMP) is the export time, read from the caller's clock.
    """
    events = [_event(schedule.name, s, stamp) for s in shifts_for_export(schedule, start, end)]
    return _calendar(f"On call: {schedule.name}", events)


def user_calendar(user: str, schedules: Iterable[Schedule], start: datetime, end: datetime,
                  stamp: datetime) -> bytes:
    """`user`'s effective shifts across `schedules` overlapping [start, end), in time order."""
    pairs = [(schedule.name, shift) for schedule in schedules
             for shift in shifts_for_export(schedule, start, end) if shift.user == user]
    pairs.sort(key=lambda pair: (pair[1].start, pair[0]))
    return _calendar(f"On call: {user}", (_event(name, s, stamp) for name, s in pairs))

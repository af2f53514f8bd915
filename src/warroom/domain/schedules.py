"""On-call schedule math: rotations, layers, restrictions, overrides, exclusions -> who is on call.

Every wall-clock time (handoffs, restriction windows) is read in the rotation's IANA time zone, so a
daily 09:00 handoff stays at 09:00 local across DST and that shift lasts 23 or 25 hours.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from warroom.clock import utc

__all__ = [
    "Exclusion",
    "ExclusionPolicy",
    "Layer",
    "OnCallShift",
    "Override",
    "Rotation",
    "Schedule",
    "Shift",
    "ShiftLength",
    "ShiftUnit",
    "Window",
    "first_instant_at",
    "on_call_at",
    "on_call_between",
    "rotation_shift_at",
]

Source = Literal["rotation", "override"]


class ShiftUnit(enum.StrEnum):
    # minutes and hours are real elapsed time; days and weeks are calendar units in the zone
    MINUTES = "minutes"
    HOURS = "hours"
    DAYS = "days"
    WEEKS = "weeks"


class ExclusionPolicy(enum.StrEnum):
    FALL_THROUGH = "fall_through"  # the excluded slot is empty here; a lower layer covers it
    SKIP_TO_NEXT = "skip_to_next"  # the next available participant of this rotation covers it


@dataclass(frozen=True)
class ShiftLength:
    unit: ShiftUnit
    count: int = 1

    def __post_init__(self) -> None:
        if self.count < 1:
            raise ValueError(f"shift length must be at least 1 {self.unit}, got {self.count}")

    @property
    def is_calendar(self) -> bool:
        return self.unit in (ShiftUnit.DAYS, ShiftUnit.WEEKS)

    @property
    def elapsed(self) -> timedelta:
        """Length of an elapsed-time shift (minutes/hours units)."""
        return timedelta(minutes=self.count) if self.unit is ShiftUnit.MINUTES \
            else timedelta(hours=self.count)

    @property
    def days(self) -> int:
        """Calendar days per shift (days/weeks units)."""
        return self.count * (7 if self.unit is ShiftUnit.WEEKS else 1)


@dataclass(frozen=True)
class Rotation:
    """Participants take turns; shift k starts at `start` + k shift lengths, at `handoff` local."""

    participants: tuple[str, ...]
    shift: ShiftLength
    handoff: time
    time_zone: str
    start: date

    def __post_init__(self) -> None:
        if not self.participants:
            raise ValueError("a rotation needs at least one participant")
        ZoneInfo(self.time_zone)  # fail at construction, not at the first lookup

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


@dataclass(frozen=True)
class Window:
    """A weekly time-of-day window: on each of `days` (0=Monday) from `start` to `end`, local.

    `end` <= `start` means the window runs past midnight into the next day (22:00-06:00);
    an `end` of 00:00 means midnight at the end of the day.
    """

    days: frozenset[int]
    start: time
    end: time

    def __post_init__(self) -> None:
        if not self.days or not self.days <= frozenset(range(7)):
            raise ValueError("window days must be weekday numbers 0 (Monday) to 6 (Sunday)")


BUSINESS_HOURS = Window(frozenset(range(5)), time(9), time(17))
WEEKDAYS = Window(frozenset(range(5)), time(0), time(0))
WEEKENDS = Window(frozenset({5, 6}), time(0), time(0))


@dataclass(frozen=True)
class Layer:
    """A rotation, optionally restricted to weekly windows (in the rotation's zone)."""

    name: str
    rotation: Rotation
    restrictions: tuple[Window, ...] = ()
    exclusion_policy: ExclusionPolicy = ExclusionPolicy.FALL_THROUGH


@dataclass(frozen=True)
class Override:
    """`user` is on call from `start` to `end`, above every layer."""

    user: str
    start: datetime
    end: datetime
    reason: str = ""


@dataclass(frozen=True)
class Exclusion:
    """`user` is unavailable (holiday, leave) from `start` to `end`."""

    user: str
    start: datetime
    end: datetime
    reason: str = ""


@dataclass(frozen=True)
class Schedule:
    """Layers in priority order: the first layer that has someone at an instant wins."""

    name: str
    layers: tuple[Layer, ...]
    overrides: tuple[Override, ...] = ()
    exclusions: tuple[Exclusion, ...] = ()
    time_zone: str = "UTC"


@dataclass(frozen=True)
class OnCallShift:
    """One layer's (or an override's) person at an instant, with the bounds of that assignment."""

    user: str
    layer: str
    source: Source
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Shift:
    """A piece of the effective timeline: who is reached when this schedule is paged."""

    user: str
    start: datetime
    end: datetime
    layer: str
    source: Source


OVERRIDE_LAYER = "override"


def first_instant_at(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """The first UTC instant whose local wall time in `zone` on `day` is `wall` or later.

    An ambiguous time (the repeated hour in autumn) is its first occurrence; a time that does not
    exist (the skipped hour in spring) is the moment the clocks jump, i.e. the first instant after.
    """
    naive = datetime.combine(day, wall)
    first = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == naive:
        return first
    # In a gap fold=0 lands after the jump and fold=1 before it; bisect (whole seconds, as
    # zone transitions are) to the jump itself.
    low = int(naive.replace(tzinfo=zone, fold=1).timestamp())
    high = int(first.timestamp())
    while high - low > 1:
        mid = (low + high) // 2
        if datetime.fromtimestamp(mid, zone).replace(tzinfo=None) >= naive:
            high = mid
        else:
            low = mid
    return datetime.fromtimestamp(high, UTC)


def _shift_bounds(rotation: Rotation, index: int) -> tuple[datetime, datetime]:
    zone = rotation.zone
    length = rotation.shift
    if length.is_calendar:
        begin_day = rotation.start + timedelta(days=index * length.days)
        return (first_instant_at(begin_day, rotation.handoff, zone),
                first_instant_at(begin_day + timedelta(days=length.days), rotation.handoff, zone))
    epoch = first_instant_at(rotation.start, rotation.handoff, zone)
    return epoch + index * length.elapsed, epoch + (index + 1) * length.elapsed


def _shift_index(rotation: Rotation, instant: datetime) -> int:
    """The index of the shift containing `instant` (negative before the rotation starts)."""
    length = rotation.shift
    if length.is_calendar:
        local_day = instant.astimezone(rotation.zone).date()
        index = (local_day - rotation.start).days // length.days
    else:
        epoch = first_instant_at(rotation.start, rotation.handoff, rotation.zone)
        index = (instant - epoch) // length.elapsed
    # The estimate is off by at most one around the handoff time of day; settle it exactly.
    while instant < _shift_bounds(rotation, index)[0]:
        index -= 1
    while instant >= _shift_bounds(rotation, index)[1]:
        index += 1
    return index


def rotation_shift_at(rotation: Rotation,
                      instant: datetime) -> tuple[int, datetime, datetime] | None:
    """(shift index, start, end) of the rotation's shift at `instant`; None before it starts."""
    at = utc(instant)
    index = _shift_index(rotation, at)
    if index < 0:
        return None
    start, end = _shift_bounds(rotation, index)
    return index, start, end


def _window_intervals(window: Window, zone: ZoneInfo, first_day: date,
                      last_day: date) -> Iterator[tuple[datetime, datetime]]:
    """UTC intervals of `window` for windows that start on local days first_day..last_day."""
    day = first_day
    while day <= last_day:
        if day.weekday() in window.days:
            end_day = day if time(0) < window.end > window.start else day + timedelta(days=1)
            yield (first_instant_at(day, window.start, zone),
                   first_instant_at(end_day, window.end, zone))
        day += timedelta(days=1)


def _active_window(layer: Layer, at: datetime) -> tuple[datetime, datetime] | None:
    """The restriction interval containing `at`; an unrestricted layer is always active."""
    if not layer.restrictions:
        return datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC)
    zone = layer.rotation.zone
    local_day = at.astimezone(zone).date()
    found: tuple[datetime, datetime] | None = None
    for window in layer.restrictions:
        for begin, end in _window_intervals(window, zone, local_day - timedelta(days=1),
                                            local_day):
            if begin <= at < end:
                # Overlapping windows: report the union piece we can see, for honest bounds.
                found = (begin, end) if found is None else (min(found[0], begin),
                                                             max(found[1], end))
    return found


def _excluded(exclusions: Sequence[Exclusion], user: str,
              at: datetime) -> tuple[datetime, datetime] | None:
    for exclusion in exclusions:
        if exclusion.user == user and utc(exclusion.start) <= at < utc(exclusion.end):
            return utc(exclusion.start), utc(exclusion.end)
    return None


def _exclusions_after(exclusions: Sequence[Exclusion], user: str,
                           at: datetime) -> Iterator[datetime]:
    """Start instants of `user`'s exclusions that begin after `at`."""
    for exclusion in exclusions:
        if exclusion.user == user and utc(exclusion.start) > at:
            yield utc(exclusion.start)


def _layer_on_call(layer: Layer, exclusions: Sequence[Exclusion],
                   at: datetime) -> OnCallShift | None:
    window = _active_window(layer, at)
    if window is None:
        return None
    shift = rotation_shift_at(layer.rotation, at)
    if shift is None:
        return None
    index, shift_start, shift_end = shift
    start, end = max(shift_start, window[0]), min(shift_end, window[1])
    participants = layer.rotation.participants
    tries = len(participants) if layer.exclusion_policy is ExclusionPolicy.SKIP_TO_NEXT else 1
    for step in range(tries):
        user = participants[(index + step) % len(participants)]
        unavailable = _excluded(exclusions, user, at)
        if unavailable is None:
            for later in _exclusions_after(exclusions, user, at):
                end = min(end, later)
            return OnCallShift(user, layer.name, "rotation", start, end)
        start, end = max(start, unavailable[0]), min(end, unavailable[1])
    return None


def _active_override(schedule: Schedule, at: datetime) -> OnCallShift | None:
    # Later overrides win over earlier ones: the newest decision is the one people mean.
    for override in reversed(schedule.overrides):
        if utc(override.start) <= at < utc(override.end):
            return OnCallShift(override.user, OVERRIDE_LAYER, "override", utc(override.start),
                               utc(override.end))
    return None


def on_call_at(schedule: Schedule, instant: datetime) -> list[OnCallShift]:
    """Who each layer has on call at `instant`, at most one per layer, the effective one first.

    An active override comes first; then every layer with someone, in priority order.
    """
    at = utc(instant)
    result: list[OnCallShift] = []
    override = _active_override(schedule, at)
    if override is not None:
        result.append(override)
    for layer in schedule.layers:
        found = _layer_on_call(layer, schedule.exclusions, at)
        if found is not None:
            result.append(found)
    return result


def _layer_boundaries(layer: Layer, start: datetime, end: datetime) -> Iterable[datetime]:
    rotation = layer.rotation
    shift = rotation_shift_at(rotation, start)
    if shift is None:
        index = 0
        yield _shift_bounds(rotation, 0)[0]
    else:
        index = shift[0]
    while True:
        boundary = _shift_bounds(rotation, index)[1]
        if boundary >= end:
            break
        yield boundary
        index += 1
    zone = rotation.zone
    first_day = start.astimezone(zone).date() - timedelta(days=1)
    last_day = end.astimezone(zone).date()
    for window in layer.restrictions:
        for begin, finish in _window_intervals(window, zone, first_day, last_day):
            yield begin
            yield finish


def _boundaries(schedule: Schedule, start: datetime, end: datetime) -> list[datetime]:
    points: set[datetime] = {start}
    for layer in schedule.layers:
        points.update(_layer_boundaries(layer, start, end))
    spans: list[Override | Exclusion] = [*schedule.overrides, *schedule.exclusions]
    for span in spans:
        points.update((utc(span.start), utc(span.end)))
    return sorted(p for p in points if start <= p < end)


@dataclass
class _Timeline:
    shifts: list[Shift] = field(default_factory=list)

    def add(self, shift: Shift) -> None:
        last = self.shifts[-1] if self.shifts else None
        if (last is not None and last.end == shift.start and last.user == shift.user
                and last.layer == shift.layer and last.source == shift.source):
            self.shifts[-1] = Shift(last.user, last.start, shift.end, last.layer, last.source)
        else:
            self.shifts.append(shift)


def on_call_between(schedule: Schedule, start: datetime, end: datetime) -> list[Shift]:
    """The effective timeline from `start` to `end`: who is paged, when, and from which layer.

    Pieces are clipped to the range; adjacent pieces with the same user, layer and source are
    merged; gaps (nobody on call) are simply absent.
    """
    begin, finish = utc(start), utc(end)
    if finish <= begin:
        return []
    timeline = _Timeline()
    points = _boundaries(schedule, begin, finish)
    # Who is on call is constant between consecutive boundaries, so one lookup per piece suffices.
    for piece_start, piece_end in zip(points, [*points[1:], finish], strict=True):
        effective = on_call_at(schedule, piece_start)
        if effective:
            top = effective[0]
            timeline.add(Shift(top.user, piece_start, piece_end, top.layer, top.source))
    return timeline.shifts

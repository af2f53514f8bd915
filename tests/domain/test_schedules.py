"""Schedule math: rotations across DST, layers and restrictions, overrides and exclusions."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from warroom.domain.schedules import (
    BUSINESS_HOURS,
    Exclusion,
    ExclusionPolicy,
    Layer,
    Override,
    Rotation,
    Schedule,
    ShiftLength,
    ShiftUnit,
    Window,
    first_instant_at,
    on_call_at,
    on_call_between,
    rotation_shift_at,
)

BERLIN = "Europe/Berlin"
NEW_YORK = "America/New_York"
ZONES = [BERLIN, NEW_YORK, "Europe/London", "Asia/Kolkata", "Australia/Sydney", "UTC"]


def at(zone: str, year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A local wall time in `zone` as a UTC instant (unambiguous times only)."""
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def daily(zone: str, start: date, people: tuple[str, ...] = ("alice", "bob"),
          handoff: time = time(9)) -> Rotation:
    return Rotation(people, ShiftLength(ShiftUnit.DAYS), handoff, zone, start)


def single(rotation: Rotation) -> Schedule:
    return Schedule("s", (Layer("main", rotation),))


def shift_at(rotation: Rotation, instant: datetime) -> tuple[int, datetime, datetime]:
    found = rotation_shift_at(rotation, instant)
    assert found is not None
    return found


# --- DST: concrete expectations -------------------------------------------------------------

def test_berlin_daily_handoff_stays_at_nine_local_and_spring_shift_lasts_23_hours() -> None:
    rotation = daily(BERLIN, date(2026, 3, 27))
    _, start, end = shift_at(rotation, at(BERLIN, 2026, 3, 28, 12))
    assert start == datetime(2026, 3, 28, 8, tzinfo=UTC)  # 09:00 CET
    assert end == datetime(2026, 3, 29, 7, tzinfo=UTC)  # 09:00 CEST
    assert end - start == timedelta(hours=23)
    assert end.astimezone(ZoneInfo(BERLIN)).time() == time(9)


def test_berlin_daily_shift_over_autumn_change_lasts_25_hours() -> None:
    rotation = daily(BERLIN, date(2026, 10, 1))
    _, start, end = shift_at(rotation, at(BERLIN, 2026, 10, 24, 23))
    assert (start, end) == (datetime(2026, 10, 24, 7, tzinfo=UTC),
                            datetime(2026, 10, 25, 8, tzinfo=UTC))
    assert end - start == timedelta(hours=25)


def test_new_york_daily_shifts_are_23_and_25_hours_on_dst_days() -> None:
    rotation = daily(NEW_YORK, date(2026, 3, 1))
    shifts = on_call_between(single(rotation), at(NEW_YORK, 2026, 3, 7, 9),
                             at(NEW_YORK, 2026, 3, 10, 9))
    assert [s.end - s.start for s in shifts] == [timedelta(hours=23), timedelta(hours=24),
                                                 timedelta(hours=24)]
    assert shifts[0].start == datetime(2026, 3, 7, 14, tzinfo=UTC)  # 09:00 EST
    assert shifts[0].end == datetime(2026, 3, 8, 13, tzinfo=UTC)  # 09:00 EDT
    autumn = shift_at(rotation, at(NEW_YORK, 2026, 11, 1, 5))
    assert autumn[2] - autumn[1] == timedelta(hours=25)


def test_weekly_rotation_hands_off_monday_nine_local_across_dst() -> None:
    rotation = Rotation(("alice", "bob"), ShiftLength(ShiftUnit.WEEKS), time(9), BERLIN,
                        date(2026, 3, 23))
    _, start, end = shift_at(rotation, at(BERLIN, 2026, 3, 29, 12))
    assert start == datetime(2026, 3, 23, 8, tzinfo=UTC)
    assert end == datetime(2026, 3, 30, 7, tzinfo=UTC)
    assert end - start == timedelta(hours=167)
    ny = Rotation(("alice", "bob"), ShiftLength(ShiftUnit.WEEKS), time(9), NEW_YORK,
                  date(2026, 10, 26))
    _, start, end = shift_at(ny, at(NEW_YORK, 2026, 11, 1, 12))
    assert end - start == timedelta(hours=169)
    assert end.astimezone(ZoneInfo(NEW_YORK)).replace(tzinfo=None) == datetime(2026, 11, 2, 9)


def test_hourly_rotation_counts_real_hours_through_the_repeated_hour() -> None:
    people = ("alice", "bob", "carol")
    rotation = Rotation(people, ShiftLength(ShiftUnit.HOURS), time(0), BERLIN,
                        date(2026, 10, 25))
    day_start, day_end = at(BERLIN, 2026, 10, 25, 0), at(BERLIN, 2026, 10, 26, 0)
    shifts = on_call_between(single(rotation), day_start, day_end)
    assert len(shifts) == 25  # the local day has 25 real hours
    assert all(s.end - s.start == timedelta(hours=1) for s in shifts)
    assert [s.user for s in shifts] == [people[i % 3] for i in range(25)]


def test_handoff_inside_the_spring_gap_happens_when_the_clocks_jump() -> None:
    rotation = daily(BERLIN, date(2026, 3, 27), handoff=time(2, 30))
    _, start, _ = shift_at(rotation, datetime(2026, 3, 29, 1, 30, tzinfo=UTC))
    assert start == datetime(2026, 3, 29, 1, tzinfo=UTC)  # 03:00 CEST, the first instant >= 02:30
    assert first_instant_at(date(2026, 10, 25), time(2, 30), ZoneInfo(BERLIN)) == \
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # ambiguous: the first occurrence


def test_business_hours_follow_local_time_across_dst() -> None:
    layer = Layer("day", daily(NEW_YORK, date(2026, 3, 1)), (BUSINESS_HOURS,))
    schedule = Schedule("s", (layer,))
    before = on_call_between(schedule, at(NEW_YORK, 2026, 3, 6, 0), at(NEW_YORK, 2026, 3, 7, 0))
    after = on_call_between(schedule, at(NEW_YORK, 2026, 3, 9, 0), at(NEW_YORK, 2026, 3, 10, 0))
    assert [(s.start.hour, s.end.hour) for s in before] == [(14, 22)]  # EST = UTC-5
    assert [(s.start.hour, s.end.hour) for s in after] == [(13, 21)]  # EDT = UTC-4


# --- layers, restrictions, overrides, exclusions --------------------------------------------

def weekly_and_business_hours() -> Schedule:
    weekly = Layer("weekly", Rotation(("alice", "bob"), ShiftLength(ShiftUnit.WEEKS), time(9),
                                      BERLIN, date(2026, 1, 5)))
    day = Layer("day", daily(BERLIN, date(2026, 1, 5), ("erin", "dave")), (BUSINESS_HOURS,))
    return Schedule("primary", (day, weekly))


def test_higher_layer_wins_during_its_window_and_lower_layer_otherwise() -> None:
    schedule = weekly_and_business_hours()
    monday_noon = on_call_at(schedule, at(BERLIN, 2026, 1, 5, 12))
    assert [(s.user, s.layer) for s in monday_noon] == [("erin", "day"), ("alice", "weekly")]
    assert monday_noon[0].end == at(BERLIN, 2026, 1, 5, 17)
    evening = on_call_at(schedule, at(BERLIN, 2026, 1, 5, 18))
    assert [(s.user, s.layer) for s in evening] == [("alice", "weekly")]
    saturday = on_call_at(schedule, at(BERLIN, 2026, 1, 10, 12))
    assert [s.user for s in saturday] == ["alice"]


def test_window_running_past_midnight_covers_the_early_morning() -> None:
    nights = Window(frozenset({4}), time(22), time(6))  # Friday 22:00 to Saturday 06:00
    schedule = Schedule("n", (Layer("nights", daily(BERLIN, date(2026, 1, 1)), (nights,)),))
    assert on_call_at(schedule, at(BERLIN, 2026, 1, 10, 5))  # Saturday 05:00
    assert not on_call_at(schedule, at(BERLIN, 2026, 1, 10, 7))
    assert not on_call_at(schedule, at(BERLIN, 2026, 1, 9, 5))  # Friday 05:00


def test_nobody_is_on_call_before_the_rotation_starts() -> None:
    schedule = single(daily(BERLIN, date(2026, 1, 5)))
    assert on_call_at(schedule, at(BERLIN, 2026, 1, 5, 8)) == []
    assert on_call_at(schedule, at(BERLIN, 2026, 1, 5, 9))[0].user == "alice"


def test_override_wins_over_every_layer_and_the_latest_override_wins() -> None:
    base = weekly_and_business_hours()
    schedule = Schedule(base.name, base.layers, overrides=(
        Override("carol", at(BERLIN, 2026, 1, 5, 10), at(BERLIN, 2026, 1, 5, 20)),
        Override("dave", at(BERLIN, 2026, 1, 5, 11), at(BERLIN, 2026, 1, 5, 12)),
    ))
    top = on_call_at(schedule, at(BERLIN, 2026, 1, 5, 10, 30))
    assert (top[0].user, top[0].source) == ("carol", "override")
    assert on_call_at(schedule, at(BERLIN, 2026, 1, 5, 11, 30))[0].user == "dave"
    timeline = on_call_between(schedule, at(BERLIN, 2026, 1, 5, 9), at(BERLIN, 2026, 1, 5, 21))
    assert [(s.user, s.start.hour, s.end.hour) for s in timeline] == [
        ("erin", 8, 9), ("carol", 9, 10), ("dave", 10, 11), ("carol", 11, 19), ("alice", 19, 20)]


def test_exclusion_falls_through_to_the_next_layer() -> None:
    base = weekly_and_business_hours()
    schedule = Schedule(base.name, base.layers, exclusions=(
        Exclusion("erin", at(BERLIN, 2026, 1, 5, 0), at(BERLIN, 2026, 1, 6, 0), "leave"),))
    found = on_call_at(schedule, at(BERLIN, 2026, 1, 5, 12))
    assert [(s.user, s.layer) for s in found] == [("alice", "weekly")]


def test_exclusion_with_skip_to_next_hands_the_slot_to_the_next_participant() -> None:
    rotation = Rotation(("alice", "bob", "carol"), ShiftLength(ShiftUnit.WEEKS), time(9),
                        BERLIN, date(2026, 1, 5))
    layer = Layer("weekly", rotation, exclusion_policy=ExclusionPolicy.SKIP_TO_NEXT)
    schedule = Schedule("s", (layer,), exclusions=(
        Exclusion("alice", at(BERLIN, 2026, 1, 7, 0), at(BERLIN, 2026, 1, 8, 0)),
        Exclusion("bob", at(BERLIN, 2026, 1, 7, 12), at(BERLIN, 2026, 1, 8, 0)),
    ))
    timeline = on_call_between(schedule, at(BERLIN, 2026, 1, 6, 0), at(BERLIN, 2026, 1, 9, 0))
    assert [(s.user, s.start, s.end) for s in timeline] == [
        ("alice", at(BERLIN, 2026, 1, 6, 0), at(BERLIN, 2026, 1, 7, 0)),
        ("bob", at(BERLIN, 2026, 1, 7, 0), at(BERLIN, 2026, 1, 7, 12)),
        ("carol", at(BERLIN, 2026, 1, 7, 12), at(BERLIN, 2026, 1, 8, 0)),
        ("alice", at(BERLIN, 2026, 1, 8, 0), at(BERLIN, 2026, 1, 9, 0)),
    ]


def test_everyone_excluded_leaves_the_layer_empty() -> None:
    rotation = daily(BERLIN, date(2026, 1, 1), ("alice",))
    schedule = Schedule("s", (Layer("l", rotation, exclusion_policy=ExclusionPolicy.SKIP_TO_NEXT),),
                        exclusions=(Exclusion("alice", at(BERLIN, 2026, 1, 2, 0),
                                              at(BERLIN, 2026, 1, 3, 0)),))
    assert on_call_at(schedule, at(BERLIN, 2026, 1, 2, 12)) == []


def test_range_merges_consecutive_shifts_of_the_same_person() -> None:
    schedule = single(daily(BERLIN, date(2026, 1, 1), ("alice",)))
    timeline = on_call_between(schedule, at(BERLIN, 2026, 1, 2, 0), at(BERLIN, 2026, 1, 9, 0))
    assert [(s.user, s.start, s.end) for s in timeline] == [
        ("alice", at(BERLIN, 2026, 1, 2, 0), at(BERLIN, 2026, 1, 9, 0))]


# --- properties -----------------------------------------------------------------------------

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
people = st.lists(st.sampled_from(["alice", "bob", "carol", "dave", "erin"]), min_size=1,
                  max_size=4, unique=True).map(tuple)
# Handoffs and window edges from 04:00 keep clear of DST gaps and repeated hours, so the oracles
# below can read local wall time directly.
safe_times = st.builds(time, st.integers(4, 23), st.sampled_from([0, 15, 30]))
instants = st.integers(0, 2 * 365 * 24 * 60).map(lambda m: EPOCH + timedelta(minutes=m))


@st.composite
def calendar_rotations(draw: st.DrawFn) -> Rotation:
    unit = draw(st.sampled_from([ShiftUnit.DAYS, ShiftUnit.WEEKS]))
    return Rotation(draw(people), ShiftLength(unit, draw(st.integers(1, 3))), draw(safe_times),
                    draw(st.sampled_from(ZONES)), date(2026, 1, 1) + timedelta(
                        days=draw(st.integers(0, 60))))


@settings(deadline=None)
@given(calendar_rotations(), instants)
def test_calendar_rotation_matches_a_wall_clock_oracle(rotation: Rotation,
                                                       instant: datetime) -> None:
    local = instant.astimezone(rotation.zone)
    days = (local.date() - rotation.start).days - (1 if local.time() < rotation.handoff else 0)
    index = days // rotation.shift.days
    found = on_call_at(single(rotation), instant)
    if index < 0:
        assert found == []
        return
    assert [s.user for s in found] == [rotation.participants[index % len(rotation.participants)]]
    nominal = timedelta(days=rotation.shift.days)
    assert abs(found[0].end - found[0].start - nominal) <= timedelta(hours=1)
    assert found[0].start.astimezone(rotation.zone).time() == rotation.handoff


@settings(deadline=None)
@given(people, st.sampled_from([ShiftUnit.MINUTES, ShiftUnit.HOURS]), st.integers(1, 12),
       st.sampled_from(ZONES), instants)
def test_elapsed_rotation_counts_real_time(participants: tuple[str, ...], unit: ShiftUnit,
                                           count: int, zone: str, instant: datetime) -> None:
    rotation = Rotation(participants, ShiftLength(unit, count), time(6), zone, date(2026, 1, 1))
    epoch = at(zone, 2026, 1, 1, 6)
    index = (instant - epoch) // rotation.shift.elapsed
    found = on_call_at(single(rotation), instant)
    if index < 0:
        assert found == []
    else:
        assert found[0].user == participants[index % len(participants)]
        assert found[0].end - found[0].start == rotation.shift.elapsed


windows = st.builds(Window, st.frozensets(st.integers(0, 6), min_size=1), safe_times,
                    safe_times)


def window_active(window: Window, local: datetime) -> bool:
    """Independent wall-clock reading of a window (edges at or after 04:00)."""
    day, now = local.weekday(), local.time()
    if window.start < window.end:
        return day in window.days and window.start <= now < window.end
    return (day in window.days and now >= window.start) or \
        ((day - 1) % 7 in window.days and now < window.end)


@st.composite
def layers(draw: st.DrawFn, name: str) -> Layer:
    return Layer(name, draw(calendar_rotations()),
                 tuple(draw(st.lists(windows, max_size=2))),
                 draw(st.sampled_from(list(ExclusionPolicy))))


@st.composite
def spans(draw: st.DrawFn) -> tuple[str, datetime, datetime]:
    start = draw(instants)
    return (draw(st.sampled_from(["alice", "bob", "carol", "zed"])), start,
            start + timedelta(minutes=draw(st.integers(1, 20 * 24 * 60))))


@st.composite
def schedules(draw: st.DrawFn) -> Schedule:
    count = draw(st.integers(1, 3))
    return Schedule("random", tuple(draw(layers(f"layer{i}")) for i in range(count)),
                    tuple(Override(*span) for span in draw(st.lists(spans(), max_size=3))),
                    tuple(Exclusion(*span) for span in draw(st.lists(spans(), max_size=3))))


@settings(deadline=None)
@given(schedules(), instants)
def test_exactly_one_person_per_active_layer(schedule: Schedule, instant: datetime) -> None:
    plain = Schedule(schedule.name, schedule.layers)  # no overrides or exclusions
    found = on_call_at(plain, instant)
    for layer in schedule.layers:
        mine = [s for s in found if s.layer == layer.name]
        local = instant.astimezone(layer.rotation.zone)
        started = rotation_shift_at(layer.rotation, instant) is not None
        active = not layer.restrictions or any(window_active(w, local)
                                               for w in layer.restrictions)
        assert len(mine) == (1 if started and active else 0)
        if mine:
            assert mine[0].user in layer.rotation.participants
            assert mine[0].start <= instant < mine[0].end
    assert [s.layer for s in found] == [layer.name for layer in schedule.layers
                                        if any(s.layer == layer.name for s in found)]


@settings(deadline=None)
@given(schedules(), instants)
def test_an_active_override_always_wins(schedule: Schedule, instant: datetime) -> None:
    active = [o for o in schedule.overrides if o.start <= instant < o.end]
    found = on_call_at(schedule, instant)
    if active:
        assert (found[0].user, found[0].source) == (active[-1].user, "override")
        piece = [s for s in on_call_between(schedule, instant, instant + timedelta(minutes=1))]
        assert piece[0].user == active[-1].user
    else:
        assert all(s.source == "rotation" for s in found)


@settings(deadline=None, max_examples=60)
@given(schedules(), instants, st.lists(st.integers(0, 10 * 24 * 3600 - 1), min_size=1,
                                       max_size=20))
def test_range_agrees_with_instant_lookups(schedule: Schedule, start: datetime,
                                           offsets: list[int]) -> None:
    end = start + timedelta(days=10)
    timeline = on_call_between(schedule, start, end)
    for earlier, later in pairwise(timeline):
        assert earlier.end <= later.start
    assert all(start <= s.start < s.end <= end for s in timeline)
    for offset in offsets:
        instant = start + timedelta(seconds=offset)
        covering = [s for s in timeline if s.start <= instant < s.end]
        effective = on_call_at(schedule, instant)
        if effective:
            assert len(covering) == 1
            assert (covering[0].user, covering[0].layer) == (effective[0].user,
                                                             effective[0].layer)
        else:
            assert covering == []


def test_unknown_time_zone_is_rejected_when_the_rotation_is_built() -> None:
    with pytest.raises(KeyError):
        daily("Europe/Berlinn", date(2026, 1, 1))

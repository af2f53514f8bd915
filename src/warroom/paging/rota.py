"""Who is on call: the configured schedules with runtime overrides merged in, as JSON-ready
answers and iCal feeds for the API and CLI."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from warroom.clock import isoformat, utc
from warroom.domain.errors import InvalidCommand, NotFound
from warroom.domain.schedules import Schedule, on_call_at, on_call_between
from warroom.oncall.ical import schedule_calendar, user_calendar
from warroom.paging.directory import PagingDirectory, directory
from warroom.services.principal import Principal, require
from warroom.store import db
from warroom.store import paging as store

if TYPE_CHECKING:
    from warroom.runtime import Runtime

MAX_RANGE = timedelta(days=366)
DEFAULT_HORIZON = timedelta(days=28)


def merged_schedules(runtime: Runtime, ending_after: datetime | None = None
                     ) -> dict[str, Schedule]:
    """Every configured schedule, in config order, with the stored overrides merged in (they
    win): the one view of the rota that paging, the API and the console share. With
    `ending_after`, overrides that ended by then are not read (one query either way)."""
    with db.read(runtime.engine) as conn:
        overrides = store.list_overrides(conn, ending_after=ending_after)
    return directory(runtime).schedules_with(overrides)


def _configured(runtime: Runtime, name: str) -> Schedule:
    """The schedule as the config declares it; NotFound lists the schedules there are."""
    schedule = directory(runtime).schedules.get(name)
    if schedule is None:
        known = ", ".join(sorted(directory(runtime).schedules)) or "none configured"
        raise NotFound(f"no schedule {name!r}; schedules: {known}")
    return schedule


def _one(runtime: Runtime, name: str) -> Schedule:
    _configured(runtime, name)
    with db.read(runtime.engine) as conn:
        stored = store.list_overrides(conn, schedule=name)
    schedule = directory(runtime).schedule(name, stored)
    assert schedule is not None
    return schedule


def _range(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    start, end = utc(start), utc(end)
    if end <= start:
        raise InvalidCommand("end must be after start")
    if end - start > MAX_RANGE:
        raise InvalidCommand("ask for at most 366 days at a time")
    return start, end


def who(runtime: Runtime, principal: Principal | None, at: datetime | None = None,
        schedule: str | None = None) -> dict[str, Any]:
    """Who is on call per schedule at `at` (default now): the effective person first."""
    require(principal, "viewer", "reading on-call schedules")
    instant = utc(at) if at else runtime.clock.now()
    schedules = merged_schedules(runtime, instant)
    if schedule is not None:
        schedules = {schedule: _one(runtime, schedule)}
    result = []
    for name, item in sorted(schedules.items()):
        shifts = on_call_at(item, instant)
        result.append({
            "schedule": name,
            "on_call": shifts[0].user if shifts else None,
            "layers": [{"user": s.user, "layer": s.layer, "source": s.source,
                        "start": isoformat(s.start), "end": isoformat(s.end)} for s in shifts]})
    return {"at": isoformat(instant), "schedules": result}


def between(runtime: Runtime, principal: Principal | None, name: str, start: datetime | None,
            end: datetime | None) -> dict[str, Any]:
    require(principal, "viewer", "reading on-call schedules")
    now = runtime.clock.now()
    first, last = _range(start or now, end or (start or now) + DEFAULT_HORIZON)
    shifts = on_call_between(_one(runtime, name), first, last)
    return {"schedule": name, "start": isoformat(first), "end": isoformat(last),
            "shifts": [{"user": s.user, "start": isoformat(s.start), "end": isoformat(s.end),
                        "layer": s.layer, "source": s.source} for s in shifts]}


def schedule_ics(runtime: Runtime, principal: Principal | None, name: str,
                 start: datetime | None, end: datetime | None) -> bytes:
    require(principal, "viewer", "reading on-call schedules")
    now = runtime.clock.now()
    first, last = _range(start or now, end or (start or now) + DEFAULT_HORIZON)
    return schedule_calendar(_one(runtime, name), first, last, now)


def user_ics(runtime: Runtime, principal: Principal | None, user: str,
             start: datetime | None, end: datetime | None) -> bytes:
    require(principal, "viewer", "reading on-call schedules")
    now = runtime.clock.now()
    first, last = _range(start or now, end or (start or now) + DEFAULT_HORIZON)
    return user_calendar(user, merged_schedules(runtime).values(), first, last, now)


def _known_user(found: PagingDirectory, runtime: Runtime, user: str) -> bool:
    return user in found.contacts or user in {u.name for u in runtime.config.users}


def add_override(runtime: Runtime, principal: Principal | None, name: str, *, user: str,
                 start: datetime, end: datetime, reason: str = "") -> dict[str, Any]:
    """Put `user` on call for `name` from start to end (stored; beats the config's layers)."""
    who_ = require(principal, "responder", "overriding an on-call schedule")
    _configured(runtime, name)
    found = directory(runtime)
    if not _known_user(found, runtime, user):
        raise InvalidCommand(f"unknown user {user!r}; add them under users: in the config")
    first, last = _range(start, end)
    with runtime.engine.begin() as conn:
        created = store.add_override(conn, schedule=name, user=user, start=first, end=last,
                                     reason=reason, created_by=who_.name,
                                     now=runtime.clock.now())
    return created.to_json()


def overrides(runtime: Runtime, principal: Principal | None, name: str,
              ending_after: datetime | None = None) -> list[dict[str, Any]]:
    """The schedule's overrides, the config's (`id: null`) then the stored ones; with
    `ending_after`, only those that end after it (running or still to come)."""
    require(principal, "viewer", "reading on-call schedules")
    configured = [{"id": None, "schedule": name, "user": o.user, "start": isoformat(o.start),
                   "end": isoformat(o.end), "reason": o.reason, "created_by": "config"}
                  for o in _configured(runtime, name).overrides
                  if ending_after is None or o.end > ending_after]
    with db.read(runtime.engine) as conn:
        stored = [o.to_json() for o in store.list_overrides(conn, schedule=name,
                                                            ending_after=ending_after)]
    return configured + stored

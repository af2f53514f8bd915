"""Who is on call now and over the coming days, and the overrides, for the console and its
JSON twins: the schedules as paging sees them (config plus stored overrides, paging.rota)."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from warroom.clock import isoformat, parse_instant
from warroom.domain.durations import format_duration
from warroom.domain.schedules import Schedule, on_call_at, on_call_between
from warroom.oncall.config import StepConfig
from warroom.paging import rota
from warroom.paging.directory import directory
from warroom.runtime import Runtime
from warroom.services.principal import Principal, require

NEXT_PERSON_HORIZON = timedelta(days=14)


def _descriptions(runtime: Runtime) -> dict[str, str]:
    return {s.name: s.description for s in directory(runtime).oncall.schedules}


def on_call_now(runtime: Runtime, now: datetime) -> list[dict[str, Any]]:
    """One row per schedule: the person paged right now and until when.

    Runs on every dashboard request: one query (overrides still running at `now`)."""
    names = directory(runtime).display_names
    about = _descriptions(runtime)
    rows = []
    for name, schedule in rota.merged_schedules(runtime, now).items():
        effective = on_call_at(schedule, now)
        top = effective[0] if effective else None
        rows.append({
            "schedule": name, "description": about.get(name, ""),
            "time_zone": schedule.time_zone,
            "user": top.user if top else None,
            "display_name": names.get(top.user, top.user) if top else None,
            "layer": top.layer if top else None, "source": top.source if top else None,
            "until": isoformat(top.end) if top and top.end.year < 9999 else None,
            "next": _next_person(schedule, now, top.user if top else None),
        })
    return rows


def _next_person(schedule: Schedule, now: datetime, current: str | None) -> dict[str, Any] | None:
    for shift in on_call_between(schedule, now, now + NEXT_PERSON_HORIZON):
        if shift.user != current and shift.start > now:
            return {"user": shift.user, "from": isoformat(shift.start)}
    return None


def calendar(runtime: Runtime, start: datetime, days: int = 14) -> list[dict[str, Any]]:
    """Per schedule, per local day: who is on call and when (times in the schedule's zone)."""
    names = directory(runtime).display_names
    about = _descriptions(runtime)
    result = []
    # Each schedule's first local day begins less than a day before `start`, so overrides
    # that ended before then cannot show.
    for name, schedule in rota.merged_schedules(runtime, start - timedelta(days=1)).items():
        zone = ZoneInfo(schedule.time_zone)
        first_day = start.astimezone(zone).date()
        day_starts = [datetime.combine(first_day + timedelta(days=i), datetime.min.time(),
                                       tzinfo=zone) for i in range(days + 1)]
        shifts = on_call_between(schedule, day_starts[0], day_starts[-1])
        grid = []
        for begin, end in pairwise(day_starts):
            pieces = []
            for shift in shifts:
                lo, hi = max(shift.start, begin), min(shift.end, end)
                if lo < hi:
                    pieces.append({
                        "user": shift.user, "display_name": names.get(shift.user, shift.user),
                        "from": lo.astimezone(zone).strftime("%H:%M"),
                        "to": "24:00" if hi == end else hi.astimezone(zone).strftime("%H:%M"),
                        "layer": shift.layer, "source": shift.source})
            grid.append({"date": begin.date().isoformat(),
                         "weekday": begin.strftime("%a"), "shifts": pieces})
        result.append({
            "schedule": name, "description": about.get(name, ""),
            "time_zone": schedule.time_zone, "days": grid,
            "shifts": [{"user": s.user, "start": isoformat(s.start), "end": isoformat(s.end),
                        "layer": s.layer, "source": s.source} for s in shifts],
        })
    return result


def upcoming_overrides(runtime: Runtime, principal: Principal | None,
                       now: datetime) -> list[dict[str, Any]]:
    """Per schedule, its overrides running now or still to come (the config's and the stored
    ones), with their times also in the schedule's zone."""
    found = directory(runtime)
    result = []
    for name, schedule in found.schedules.items():
        zone = ZoneInfo(schedule.time_zone)
        items = rota.overrides(runtime, principal, name, ending_after=now)
        for item in items:
            item["display_name"] = found.display_names.get(item["user"], item["user"])
            item["local_start"] = _local(item["start"], zone)
            item["local_end"] = _local(item["end"], zone)
        result.append({"schedule": name, "time_zone": schedule.time_zone, "overrides": items})
    return result


def _local(instant: str, zone: ZoneInfo) -> str:
    return parse_instant(instant).astimezone(zone).strftime("%Y-%m-%d %H:%M")


def oncall_view(runtime: Runtime, principal: Principal | None, now: datetime,
                days: int) -> dict[str, Any]:
    """The /oncall page's data, shared with its JSON twin GET /api/v1/console/oncall."""
    require(principal, "viewer", "reading on-call schedules")
    return {"now": on_call_now(runtime, now), "calendar": calendar(runtime, now, days),
            "overrides": upcoming_overrides(runtime, principal, now)}


def escalation_policies(runtime: Runtime) -> list[dict[str, Any]]:
    """The policies as config declares them, for a read-only view."""
    policies = []
    services_by_policy: dict[str, list[str]] = {}
    cfg = runtime.config
    teams = {t.name: t for t in cfg.teams}
    for svc in cfg.services:
        policy = svc.escalation_policy or (
            teams[svc.team].escalation_policy if svc.team in teams else None)
        if policy:
            services_by_policy.setdefault(policy, []).append(svc.name)
    for p in directory(runtime).oncall.escalation_policies:
        policies.append({
            "name": p.name, "description": p.description, "steps": _steps(p.steps),
            "by_severity": {sev: _steps(steps) for sev, steps in p.by_severity.items()},
            "repeat": p.repeat,
            "repeat_after": format_duration(p.repeat_after) if p.repeat_after else None,
            "retrigger_after": format_duration(p.retrigger_after) if p.retrigger_after
            else None,
            "services": services_by_policy.get(p.name, []),
            "teams": [t.name for t in cfg.teams if t.escalation_policy == p.name]})
    return policies


def _steps(steps: list[StepConfig]) -> list[dict[str, Any]]:
    return [{"at": "immediately" if not step.at else f"+{format_duration(step.at)}",
             "targets": [t.model_dump(mode="json", exclude_none=True) for t in step.targets]}
            for step in steps]

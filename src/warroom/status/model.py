"""What the public status page shows, derived purely from public incidents and config.

Only normal-visibility, non-drill incidents that affect a public service ever reach this
module's inputs. Incident updates are public by construction: `update_posted` events with
`audience: public`, plus fixed sentences for status changes (never notes or reasons).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from warroom.clock import parse_instant, utc
from warroom.domain.events import Event
from warroom.domain.incident import STATUSPAGE_STATUS

COMPONENT_STATUSES = ("operational", "degraded_performance", "partial_outage", "major_outage",
                      "under_maintenance")
INCIDENT_STATUSES = ("investigating", "identified", "monitoring", "resolved", "postmortem")
IMPACTS = ("none", "minor", "major", "critical")
INDICATORS = ("none", "minor", "major", "critical")
# How much of an incident's time counts as downtime in the uptime figure, by component status.
DOWNTIME_WEIGHT = {"major_outage": 1.0, "partial_outage": 0.3, "degraded_performance": 0.0}
_STATUS_ORDER = {s: i for i, s in enumerate(("operational", "under_maintenance",
                                             "degraded_performance", "partial_outage",
                                             "major_outage"))}
GENERIC_BODY = {
    "investigating": "We are investigating this issue.",
    "identified": "The cause has been identified and a fix is being worked on.",
    "monitoring": "A fix has been applied and we are monitoring the results.",
    "resolved": "This incident has been resolved.",
}


def component_status_for(severity_rank: int) -> str:
    """The most severe level is a major outage, the next a partial one, the rest degradation."""
    return ("major_outage", "partial_outage")[severity_rank] if severity_rank < 2 \
        else "degraded_performance"


def impact_for(severity_rank: int) -> str:
    return ("critical", "major")[severity_rank] if severity_rank < 2 else "minor"


def worst(statuses: Iterable[str]) -> str:
    return max(statuses, key=lambda s: _STATUS_ORDER[s], default="operational")


@dataclass(frozen=True)
class PublicUpdate:
    id: str
    status: str  # a Statuspage incident status
    body: str
    at: datetime
    components: tuple[str, ...] = ()


@dataclass(frozen=True)
class PublicIncident:
    id: str
    name: str
    status: str
    severity_rank: int
    components: tuple[str, ...]
    created_at: datetime
    updated_at: datetime
    started_at: datetime
    monitoring_at: datetime | None
    resolved_at: datetime | None
    updates: tuple[PublicUpdate, ...]  # newest first

    @property
    def impact(self) -> str:
        return impact_for(self.severity_rank)

    @property
    def component_status(self) -> str:
        return "operational" if self.resolved else component_status_for(self.severity_rank)

    @property
    def resolved(self) -> bool:
        return self.status in ("resolved", "postmortem")


@dataclass(frozen=True)
class Maintenance:
    id: str
    name: str
    description: str
    starts: datetime
    ends: datetime
    components: tuple[str, ...]

    def status(self, now: datetime) -> str:
        if now < self.starts:
            return "scheduled"
        return "in_progress" if now < self.ends else "completed"


@dataclass(frozen=True)
class Component:
    id: str
    name: str
    description: str
    position: int
    status: str
    updated_at: datetime


@dataclass(frozen=True)
class UptimeDay:
    day: date
    status: str
    downtime_seconds: float


@dataclass(frozen=True)
class Uptime:
    days: list[UptimeDay]
    percent: float


@dataclass(frozen=True)
class IncidentRow:
    """The columns of a public incident the status page needs."""

    id: str
    human_id: str
    title: str
    severity_rank: int
    status: str  # warroom status
    services: tuple[str, ...]
    declared_at: datetime
    started_at: datetime
    updated_at: datetime
    resolved_at: datetime | None


@dataclass(frozen=True)
class PublicService:
    name: str
    component_name: str
    description: str
    position: int


@dataclass
class StatusPage:
    name: str
    url: str
    time_zone: str
    page_id: str
    now: datetime
    components: list[Component]
    incidents: list[PublicIncident]  # newest first: unresolved and recent history
    maintenances: list[Maintenance]
    uptime: dict[str, Uptime] = field(default_factory=dict)

    @property
    def updated_at(self) -> datetime:
        stamps = [c.updated_at for c in self.components]
        stamps += [i.updated_at for i in self.incidents]
        return max(stamps, default=self.now)

    @property
    def unresolved(self) -> list[PublicIncident]:
        return [i for i in self.incidents if not i.resolved]

    @property
    def indicator(self) -> str:
        impacts = [IMPACTS.index(i.impact) for i in self.unresolved]
        return INDICATORS[max(impacts, default=0)]

    @property
    def description(self) -> str:
        if self.indicator == "none" and any(c.status == "under_maintenance"
                                            for c in self.components):
            return "Service Under Maintenance"
        return {"none": "All Systems Operational", "minor": "Minor Service Outage",
                "major": "Partial System Outage", "critical": "Major System Outage"}[
            self.indicator]

    def active_maintenances(self) -> list[Maintenance]:
        return [m for m in self.maintenances if m.status(self.now) == "in_progress"]

    def upcoming_maintenances(self) -> list[Maintenance]:
        return [m for m in self.maintenances if m.status(self.now) == "scheduled"]


def public_updates(incident_id: str, events: Sequence[Event],
                   components: tuple[str, ...]) -> tuple[PublicUpdate, ...]:
    """Updates a customer may read: posted public updates and fixed status-change sentences."""
    updates: list[PublicUpdate] = []
    shown = None
    for event in events:
        status = None
        body = ""
        if event.kind == "update_posted":
            if event.data.get("audience") != "public":
                continue
            status = _public_status(event.data.get("status")) or shown or "investigating"
            body = str(event.data.get("body") or event.data.get("text") or "")
        elif event.kind == "declared":
            status = "investigating"
        elif event.kind in ("status_changed", "resolved", "reopened", "closed",
                            "acknowledged", "reactivated"):
            target = {"resolved": "resolved", "closed": "resolved",
                      "reopened": "investigating", "acknowledged": "investigating"}.get(
                event.kind) or STATUSPAGE_STATUS.get(str(event.data.get("to")))
            if target is None or target == shown:
                continue
            status = target
        if status is None:
            continue
        shown = status
        updates.append(PublicUpdate(f"{incident_id}-{event.seq}", status,
                                    body or GENERIC_BODY[status], event.at, components))
    return tuple(reversed(updates))


def _public_status(value: Any) -> str | None:
    if value in INCIDENT_STATUSES:
        return str(value)
    return STATUSPAGE_STATUS.get(str(value)) if value else None


def public_incident(row: IncidentRow, events: Sequence[Event],
                    component_names: dict[str, str]) -> PublicIncident:
    components = tuple(s for s in row.services if s in component_names)
    updates = public_updates(row.human_id, events, components)
    monitoring = next((u.at for u in reversed(updates) if u.status == "monitoring"), None)
    return PublicIncident(
        id=row.human_id, name=row.title, status=STATUSPAGE_STATUS[row.status],
        severity_rank=row.severity_rank, components=components, created_at=row.declared_at,
        updated_at=updates[0].at if updates else row.updated_at, started_at=row.started_at,
        monitoring_at=monitoring, resolved_at=row.resolved_at, updates=updates)


def uptime(rows: Sequence[IncidentRow], service: str, now: datetime,
           days: int = 90) -> Uptime:
    """Per UTC day: the worst status and weighted downtime, from incident durations."""
    first = (now - timedelta(days=days - 1)).date()
    origin = datetime(first.year, first.month, first.day, tzinfo=UTC)
    statuses: list[set[str]] = [set() for _ in range(days)]
    downtime = [0.0] * days
    for row in rows:
        if service not in row.services:
            continue
        status = component_status_for(row.severity_rank)
        start, end = max(row.started_at, origin), min(row.resolved_at or now, now)
        if end <= start:
            continue
        # Only the days the incident overlaps, so long windows stay cheap.
        for i in range((start - origin).days, min((end - origin).days, days - 1) + 1):
            day_start = origin + timedelta(days=i)
            overlap = (min(end, day_start + timedelta(days=1)) - max(start, day_start))
            if overlap.total_seconds() > 0:
                statuses[i].add(status)
                downtime[i] += overlap.total_seconds() * DOWNTIME_WEIGHT[status]
    result = [UptimeDay(first + timedelta(days=i), worst(statuses[i]),
                        min(downtime[i], 86400.0)) for i in range(days)]
    elapsed = (now - origin).total_seconds()
    lost = sum(d.downtime_seconds for d in result)
    percent = 100.0 * (1 - lost / elapsed) if elapsed > 0 else 100.0
    return Uptime(result, max(0.0, min(100.0, percent)))


def components_now(services: Sequence[PublicService], incidents: Sequence[PublicIncident],
                   maintenances: Sequence[Maintenance], now: datetime,
                   since: datetime) -> list[Component]:
    result = []
    for svc in services:
        touching = [i for i in incidents if svc.name in i.components]
        statuses = [i.component_status for i in touching]
        if any(svc.name in m.components and m.status(now) == "in_progress"
               for m in maintenances):
            statuses.append("under_maintenance")
        stamps = [i.updated_at for i in touching]
        result.append(Component(svc.name, svc.component_name, svc.description, svc.position,
                                worst(statuses), max(stamps, default=since)))
    return result


def parse_when(value: Any) -> datetime:
    """A config instant: a datetime (naive is UTC), a date (its midnight UTC) or ISO text."""
    if isinstance(value, datetime):
        return utc(value)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return parse_instant(str(value))

"""What the public status page shows, derived purely from published incidents and config.

Only normal-visibility, non-drill incidents that affect a public service and that someone
published ever reach this module's inputs. Nothing before the first `published` event is
shown. After it, updates are the publications themselves, `update_posted` events with
`audience: public`, and fixed sentences for status changes (never notes or reasons).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from warroom.clock import parse_instant, utc
from warroom.domain.events import Event
from warroom.domain.incident import STATUSPAGE_STATUS
from warroom.domain.publication import (
    PUBLISHED,
    Publication,
    default_component_status,
    default_impact,
)

COMPONENT_STATUSES = ("operational", "degraded_performance", "partial_outage", "major_outage",
                      "under_maintenance")
INCIDENT_STATUSES = ("investigating", "identified", "monitoring", "resolved", "postmortem")
IMPACTS = ("none", "minor", "major", "critical")
INDICATORS = ("none", "minor", "major", "critical", "maintenance")
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


# What the publish dialog suggests, and what uptime assumes for a component left unnamed.
component_status_for = default_component_status
impact_for = default_impact


def worst(statuses: Iterable[str]) -> str:
    return max(statuses, key=lambda s: _STATUS_ORDER[s], default="operational")


@dataclass(frozen=True)
class ComponentChange:
    component: str
    old_status: str
    new_status: str


@dataclass(frozen=True)
class PublicUpdate:
    id: str
    status: str  # a Statuspage incident status
    body: str
    at: datetime
    changes: tuple[ComponentChange, ...] = ()  # only components whose status moved

    @property
    def components(self) -> tuple[str, ...]:
        return tuple(c.component for c in self.changes)


@dataclass(frozen=True)
class PublicIncident:
    id: str
    name: str
    status: str
    impact: str
    components: tuple[tuple[str, str], ...]  # (service, status it has now)
    created_at: datetime  # when it was first published
    updated_at: datetime
    started_at: datetime
    monitoring_at: datetime | None
    resolved_at: datetime | None
    updates: tuple[PublicUpdate, ...]  # newest first

    @property
    def component_names(self) -> tuple[str, ...]:
        return tuple(c for c, _ in self.components)

    def status_of(self, component: str) -> str | None:
        return dict(self.components).get(component)

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
    created_at: datetime | None = None  # first shown on the page (store: kv)

    def status(self, now: datetime) -> str:
        if now < self.starts:
            return "scheduled"
        return "in_progress" if now < self.ends else "completed"

    def transitions(self, now: datetime) -> list[tuple[str, datetime]]:
        """(status, instant) of each step that has happened, oldest first."""
        steps = [("scheduled", self.created_at or self.starts)]
        steps += [(s, at) for s, at in (("in_progress", self.starts), ("completed", self.ends))
                  if at <= now]
        return steps


@dataclass(frozen=True)
class Component:
    id: str
    name: str
    description: str
    position: int
    status: str
    created_at: datetime
    updated_at: datetime  # its last status change, or created_at


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
    published: Publication | None = None


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
        """The last change anyone could see: a component, an incident update or a
        maintenance step; without any, when the page first showed its components."""
        stamps = [c.updated_at for c in self.components]
        stamps += [i.updated_at for i in self.incidents]
        stamps += [m.transitions(self.now)[-1][1] for m in self.maintenances]
        return max((s for s in stamps if s <= self.now), default=self.now)

    @property
    def unresolved(self) -> list[PublicIncident]:
        return [i for i in self.incidents if not i.resolved]

    @property
    def indicator(self) -> str:
        impacts = [IMPACTS.index(i.impact) for i in self.unresolved]
        worst_impact = INDICATORS[max(impacts, default=0)]
        if worst_impact == "none" and any(c.status == "under_maintenance"
                                          for c in self.components):
            return "maintenance"
        return worst_impact

    @property
    def description(self) -> str:
        return {"none": "All Systems Operational", "minor": "Minor Service Outage",
                "major": "Partial System Outage", "critical": "Major System Outage",
                "maintenance": "Service Under Maintenance"}[self.indicator]

    def active_maintenances(self) -> list[Maintenance]:
        return [m for m in self.maintenances if m.status(self.now) == "in_progress"]

    def upcoming_maintenances(self) -> list[Maintenance]:
        return [m for m in self.maintenances if m.status(self.now) == "scheduled"]


def public_updates(incident_id: str, events: Sequence[Event],
                   components: Iterable[str]) -> tuple[PublicUpdate, ...]:
    """Updates a customer may read, from the first publication on: each publication, posted
    public updates, and fixed sentences for status changes. A public update posted together
    with a status change is one update, as a reader would expect."""
    shown_components = set(components)
    updates: list[PublicUpdate] = []
    shown: str | None = None  # the public status last shown
    current = "investigating"  # the public status now, shown or not
    resolved = False
    statuses: dict[str, str] = {}  # component statuses last shown
    published: dict[str, str] = {}  # component statuses the last publication chose
    merge_with: PublicUpdate | None = None  # a generic status-change update at this instant
    for event in events:
        target = _status_target(event)
        if target is not None:
            current = target
            resolved = target == "resolved"
        if event.kind == PUBLISHED:
            published = {c: s for c, s in dict(event.data.get("components") or {}).items()
                         if c in shown_components}
            status = current
            body = str(event.data.get("body") or "")
        elif not published:
            continue  # nothing is public before the first publication
        elif event.kind == "update_posted":
            if event.data.get("audience") != "public":
                continue
            status = _public_status(event.data.get("status")) or shown or current
            body = str(event.data.get("body") or event.data.get("text") or "")
        elif target is not None and target != shown:
            status, body = target, ""
        else:
            continue
        wanted = {c: "operational" for c in published} if resolved else dict(published)
        changes = tuple(ComponentChange(c, statuses.get(c, "operational"), wanted[c])
                        for c in sorted(wanted) if statuses.get(c, "operational") != wanted[c])
        update = PublicUpdate(f"{incident_id}-{event.seq}", status,
                              body or GENERIC_BODY.get(status, GENERIC_BODY["investigating"]),
                              event.at, changes)
        if merge_with is not None and event.kind == "update_posted" \
                and merge_with.at == event.at and merge_with.status == status:
            updates[-1] = PublicUpdate(merge_with.id, status, update.body, event.at,
                                       merge_with.changes + changes)
            merge_with = None
        else:
            updates.append(update)
            merge_with = update if event.kind not in (PUBLISHED, "update_posted") else None
        shown = status
        statuses.update(wanted)
    return tuple(reversed(updates))


def _status_target(event: Event) -> str | None:
    """The public status an event moves the incident to, if it moves it."""
    if event.kind == "declared":
        return "investigating"
    if event.kind in ("resolved", "closed"):
        return "resolved"
    if event.kind == "acknowledged" and event.data.get("status"):
        return STATUSPAGE_STATUS.get(str(event.data["status"]))  # status kept (monitoring)
    if event.kind in ("reopened", "acknowledged", "reactivated"):
        return "investigating"
    if event.kind == "status_changed":
        return STATUSPAGE_STATUS.get(str(event.data.get("to")))
    return None


def _public_status(value: Any) -> str | None:
    if value in INCIDENT_STATUSES:
        return str(value)
    return STATUSPAGE_STATUS.get(str(value)) if value else None


def public_incident(row: IncidentRow, events: Sequence[Event],
                    component_names: dict[str, str]) -> PublicIncident:
    """`row` must be published (`row.published`); its public face comes from that."""
    pub = row.published
    if pub is None:
        raise ValueError(f"{row.human_id} is not published")
    updates = public_updates(row.human_id, events, component_names)
    resolved = STATUSPAGE_STATUS[row.status] == "resolved"
    components = tuple((c, "operational" if resolved else s) for c, s in pub.components
                       if c in component_names)
    monitoring = next((u.at for u in reversed(updates) if u.status == "monitoring"), None)
    return PublicIncident(
        id=row.human_id, name=pub.title, status=STATUSPAGE_STATUS[row.status],
        impact=pub.impact, components=components, created_at=pub.published_at,
        updated_at=updates[0].at if updates else pub.updated_at, started_at=row.started_at,
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
        chosen = row.published.status_of(service) if row.published else None
        status = chosen or component_status_for(row.severity_rank)
        if status == "operational":
            continue
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
                   created: dict[str, datetime]) -> list[Component]:
    """Each component's status now, and when it last changed: a published update that moved
    it, or a maintenance window starting or ending; created_at when nothing has."""
    result = []
    for svc in services:
        statuses = [s for i in incidents if (s := i.status_of(svc.name))]
        changes = [u.at for i in incidents for u in i.updates if svc.name in u.components]
        for m in maintenances:
            if svc.name in m.components:
                changes += [at for s, at in m.transitions(now) if s != "scheduled"]
                if m.status(now) == "in_progress":
                    statuses.append("under_maintenance")
        born = created.get(svc.name, now)
        result.append(Component(svc.name, svc.component_name, svc.description, svc.position,
                                worst(statuses), born,
                                max((c for c in changes if born <= c <= now), default=born)))
    return result


def parse_when(value: Any) -> datetime:
    """A config instant: a datetime (naive is UTC), a date (its midnight UTC) or ISO text."""
    if isinstance(value, datetime):
        return utc(value)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return parse_instant(str(value))

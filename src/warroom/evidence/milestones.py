"""Milestones and current facts of an incident, read back from its event timeline."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from warroom.clock import parse_instant
from warroom.domain.events import Event
from warroom.domain.incident import is_system_transition

# A finished step with one of these outcomes did not change anything, so it is no mitigation.
UNSUCCESSFUL_OUTCOMES = frozenset(
    {"failed", "failure", "error", "timeout", "timed_out", "skipped", "cancelled", "canceled",
     "denied", "aborted"})
MITIGATING_PHASES = frozenset({"mitigate"})
CHANGE_PHASES = frozenset({"mitigate", "recover"})


def step_succeeded(event: Event) -> bool:
    """A runbook_step_finished event whose outcome is not a known failure or skip."""
    outcome = str(event.data.get("outcome", "")).lower()
    return event.kind == "runbook_step_finished" and outcome not in UNSUCCESSFUL_OUTCOMES


def instant(value: Any) -> datetime | None:
    """An instant from event data, which stores them as ISO text (or None when absent)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    try:
        return parse_instant(str(value))
    except ValueError:
        return None


@dataclass(frozen=True)
class MilestoneEvents:
    """The event that marks each milestone, for those who need its actor or detail too."""

    first_alert: Event | None = None
    declared: Event | None = None
    acknowledged: Event | None = None
    identified: Event | None = None
    mitigated: Event | None = None
    resolved: Event | None = None
    closed: Event | None = None


def _status_to(event: Event, status: str) -> bool:
    return event.kind == "status_changed" and event.data.get("to") == status


def milestone_events(events: Sequence[Event]) -> MilestoneEvents:
    """The first alert attached, the declaration, the first acknowledgement, the first move to
    `identified`, the first mitigation (a successful mitigate step, or status `monitoring`),
    and the resolution and closure that still stand (a reopen cancels those before it)."""
    found: dict[str, Event | None] = dict.fromkeys(
        ("first_alert", "declared", "acknowledged", "identified", "mitigated", "resolved",
         "closed"))

    def first(name: str, event: Event) -> None:
        if found[name] is None:
            found[name] = event

    for event in events:
        kind = event.kind
        if kind == "declared":
            first("declared", event)
        elif kind == "alert_attached":
            first("first_alert", event)
        if kind == "acknowledged" or _status_to(event, "acknowledged"):
            first("acknowledged", event)
        if _status_to(event, "identified"):
            first("identified", event)
        if (_status_to(event, "monitoring") and not is_system_transition(event)) or (
                step_succeeded(event) and event.data.get("phase") in MITIGATING_PHASES):
            first("mitigated", event)
        if kind == "resolved" or _status_to(event, "resolved"):
            first("resolved", event)
        elif kind == "reopened":
            found["resolved"] = found["closed"] = None
        elif kind == "closed" or _status_to(event, "closed"):
            first("closed", event)
    return MilestoneEvents(**found)


@dataclass(frozen=True)
class Milestones:
    """When each phase of the incident was reached (None when it never was); see
    milestone_events for which event counts. `started` and `detected` come from the
    declaration's data and fall back to the declaration time."""

    started: datetime | None = None
    detected: datetime | None = None
    first_alert: datetime | None = None
    declared: datetime | None = None
    acknowledged: datetime | None = None
    identified: datetime | None = None
    mitigated: datetime | None = None
    resolved: datetime | None = None
    closed: datetime | None = None


def _at(event: Event | None) -> datetime | None:
    return event.at if event is not None else None


def milestones(events: Sequence[Event]) -> Milestones:
    """Fold the timeline into milestone instants."""
    marks = milestone_events(events)
    started = detected = None
    if marks.declared is not None:
        # The core fills both from the alert; hand-declared incidents may carry neither.
        detected = instant(marks.declared.data.get("detected_at")) or marks.declared.at
        started = instant(marks.declared.data.get("started_at")) or detected
    return Milestones(started=started, detected=detected, first_alert=_at(marks.first_alert),
                      declared=_at(marks.declared), acknowledged=_at(marks.acknowledged),
                      identified=_at(marks.identified), mitigated=_at(marks.mitigated),
                      resolved=_at(marks.resolved), closed=_at(marks.closed))


@dataclass(frozen=True)
class IncidentFacts:
    """The incident's current shape as the timeline tells it (later events win)."""

    chain: str
    human_id: str
    title: str
    severity: str
    type: str
    status: str
    visibility: str
    services: tuple[str, ...]
    impact: str
    users_affected: int | None
    drill: bool


def incident_facts(events: Sequence[Event],
                   overrides: Mapping[str, Any] | None = None) -> IncidentFacts:
    """Current facts folded from events; values in `overrides` (the stored projection) win."""
    values: dict[str, Any] = {
        "chain": events[0].chain if events else "", "human_id": "", "title": "",
        "severity": "", "type": "", "status": "triggered", "visibility": "normal",
        "services": (), "impact": "", "users_affected": None, "drill": False,
    }
    for event in events:
        data = event.data
        if event.kind == "declared":
            for key in ("human_id", "title", "severity", "type", "impact", "visibility"):
                if data.get(key) is not None:
                    values[key] = str(data[key])
            values["services"] = tuple(str(s) for s in data.get("services") or ())
            values["drill"] = bool(data.get("drill", False))
        elif event.kind == "severity_changed" and data.get("to"):
            values["severity"] = str(data["to"])
        elif event.kind == "type_changed" and data.get("to"):
            values["type"] = str(data["to"])
        elif event.kind == "status_changed" and data.get("to"):
            values["status"] = str(data["to"])
        elif event.kind == "acknowledged" and values["status"] == "triggered":
            values["status"] = "acknowledged"
        elif event.kind in ("resolved", "closed"):
            values["status"] = event.kind
        elif event.kind == "reopened":
            values["status"] = "investigating"
        elif event.kind == "reactivated":
            values["status"] = "triggered"
        elif event.kind == "impact_set":
            if data.get("impact") is not None:
                values["impact"] = str(data["impact"])
            if data.get("users_affected") is not None:
                values["users_affected"] = int(data["users_affected"])
    given = dict(overrides or {})
    if "id" in given and "chain" not in given:
        given["chain"] = str(given["id"])
    for key, value in given.items():
        if key in values and value is not None:
            values[key] = tuple(value) if key == "services" else value
    return IncidentFacts(**values)

"""Response models of the API's core resources, so the OpenAPI document shows real shapes.

Handlers still build plain dicts (presenters.py, shared with the console's JSON twins); these
models describe them. `extra="allow"` keeps a field added to a presenter from being dropped
before its model learns of it."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class Shape(BaseModel):
    model_config = ConfigDict(extra="allow")


class Milestones(Shape):
    started: str | None
    detected: str | None
    declared: str | None
    acknowledged: str | None
    mitigated: str | None
    resolved: str | None
    closed: str | None


class Incident(Shape):
    id: str
    human_id: str
    title: str
    severity: str
    severity_name: str
    type: str
    status: str
    allowed_next: list[str]
    impact: str
    users_affected: int | None
    visibility: str
    services: list[str]
    roles: dict[str, str]
    responders: list[str]
    created_by: str
    is_drill: bool
    resolution: str
    ack_deadline: str | None
    ack_sla_breached: bool | None
    milestones: Milestones
    updated_at: str | None
    event_count: int
    head_hash: str


class Event(Shape):
    seq: int
    at: str
    actor: str
    kind: str
    data: dict[str, Any]
    prev_hash: str
    hash: str


class CommandResult(Shape):
    """The incident after a command, and the events the command appended."""

    incident: Incident
    events: list[Event]


class IncidentPage(Shape):
    items: list[Incident]
    next_cursor: str | None
    count: int
    count_capped: bool


class Timeline(Shape):
    incident: str
    head_hash: str
    events: list[Event]


class ChainBreak(Shape):
    seq: int
    reason: str


class Verification(Shape):
    incident: str
    events: int
    intact: bool
    head_hash: str
    first_break: ChainBreak | None


class Alert(Shape):
    id: int
    integration: str
    source: str
    dedup_key: str
    status: str
    summary: str
    severity_hint: str | None
    service: str | None
    labels: dict[str, str]
    annotations: dict[str, str]
    links: list[dict[str, Any]]
    starts_at: str | None
    ends_at: str | None
    first_seen: str | None
    last_seen: str | None
    count: int
    incident_id: str | None
    silenced_by: str | None
    acknowledged_at: str | None


class AlertWithRaw(Alert):
    raw: Any


class AlertPage(Shape):
    items: list[Alert]
    next_cursor: int | None

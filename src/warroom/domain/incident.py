"""The incident state machine: commands are decided into events, events fold into state."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from warroom.clock import isoformat, parse_instant
from warroom.domain.errors import InvalidCommand, InvalidTransition, UnknownValue
from warroom.domain.events import Event
from warroom.domain.publication import COMPONENT_STATUSES, IMPACTS, PUBLISHED
from warroom.domain.severity import SeverityScheme

STATUSES = ("triggered", "acknowledged", "investigating", "identified", "mitigating",
            "monitoring", "resolved", "closed")
ACTIVE_STATUSES = STATUSES[:6]
WORKING_STATUSES = ("investigating", "identified", "mitigating", "monitoring")
DEFAULT_TYPES = ("service_outage", "performance_degradation", "security", "data",
                 "infrastructure", "third_party")
DEFAULT_ROLES = ("commander", "tech_lead", "comms_lead", "scribe", "security_lead")
VISIBILITIES = ("normal", "restricted")

# Maps our statuses onto Statuspage's public incident statuses.
STATUSPAGE_STATUS = {
    "triggered": "investigating", "acknowledged": "investigating",
    "investigating": "investigating", "identified": "identified",
    "mitigating": "identified", "monitoring": "monitoring",
    "resolved": "resolved", "closed": "resolved",
}


def allowed_next(status: str) -> list[str]:
    """Statuses the `status` command may move to from `status`."""
    if status == "triggered":
        return ["acknowledged", *WORKING_STATUSES, "resolved"]
    if status == "acknowledged":
        return [*WORKING_STATUSES, "resolved"]
    if status in WORKING_STATUSES:
        return [s for s in WORKING_STATUSES if s != status] + ["resolved"]
    if status == "resolved":
        return ["closed"]
    return []


@dataclass(frozen=True)
class IncidentState:
    id: str
    human_id: str
    title: str
    severity: str
    type: str
    status: str
    impact: str
    visibility: str
    services: tuple[str, ...]
    roles: tuple[tuple[str, str], ...]  # sorted (role, username) pairs
    responders: tuple[str, ...]
    created_by: str
    is_drill: bool
    resolution: str
    users_affected: int | None
    started_at: datetime
    detected_at: datetime
    declared_at: datetime
    acknowledged_at: datetime | None
    mitigated_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    updated_at: datetime
    last_seq: int
    head_hash: str

    def role_map(self) -> dict[str, str]:
        return dict(self.roles)

    def participants(self) -> set[str]:
        return {self.created_by, *self.responders, *(u for _, u in self.roles)}


# ---------------------------------------------------------------- commands


@dataclass(frozen=True)
class Declare:
    title: str
    severity: str
    type: str = "service_outage"
    impact: str = ""
    visibility: str | None = None
    services: tuple[str, ...] = ()
    started_at: datetime | None = None
    detected_at: datetime | None = None
    drill: bool = False


@dataclass(frozen=True)
class Acknowledge:
    pass


@dataclass(frozen=True)
class SetStatus:
    status: str
    note: str = ""
    # warroom itself moves the incident (all alerts resolved): no human milestone is set.
    system: bool = False


@dataclass(frozen=True)
class SetSeverity:
    severity: str
    reason: str = ""


@dataclass(frozen=True)
class SetType:
    type: str


@dataclass(frozen=True)
class AssignRole:
    role: str
    user: str


@dataclass(frozen=True)
class UnassignRole:
    role: str


@dataclass(frozen=True)
class AddResponder:
    user: str


@dataclass(frozen=True)
class AddNote:
    text: str


@dataclass(frozen=True)
class SetImpact:
    impact: str
    users_affected: int | None = None


@dataclass(frozen=True)
class Resolve:
    summary: str = ""
    system: bool = False


@dataclass(frozen=True)
class Reactivate:
    """A new alert fired on an incident in `monitoring`: back to `triggered`, paging again."""

    reason: str = ""


@dataclass(frozen=True)
class Reopen:
    reason: str = ""


@dataclass(frozen=True)
class Close:
    pass


@dataclass(frozen=True)
class Publish:
    """Show the incident on the public status page (again, with new details)."""

    title: str
    components: tuple[tuple[str, str], ...]  # (service, component status)
    impact: str
    body: str = ""


Command = (Declare | Acknowledge | SetStatus | SetSeverity | SetType | AssignRole | UnassignRole
           | AddResponder | AddNote | SetImpact | Resolve | Reopen | Close | Publish
           | Reactivate)


@dataclass(frozen=True)
class Vocabulary:
    """What the organisation allows: its severities, incident types and roles."""

    scheme: SeverityScheme
    types: tuple[str, ...] = DEFAULT_TYPES
    roles: tuple[str, ...] = DEFAULT_ROLES
    restricted_types: tuple[str, ...] = ("security",)


@dataclass(frozen=True)
class Draft:
    """An event not yet numbered or hashed."""

    kind: str
    data: dict[str, Any] = field(default_factory=dict)


def _check(field_name: str, value: str, allowed: Sequence[str]) -> None:
    if value not in allowed:
        raise UnknownValue(field_name, value, allowed)


def _nonblank(field_name: str, value: str, limit: int = 20000) -> str:
    text = value.strip()
    if not text:
        raise InvalidCommand(f"{field_name} must not be blank")
    if len(text) > limit:
        raise InvalidCommand(f"{field_name} is {len(text)} characters; the limit is {limit}")
    return text


def _no_nul(command: Command) -> None:
    """NUL cannot be stored in PostgreSQL text and is never meant; refuse it on every engine."""
    for item in dataclasses.fields(command):
        value = getattr(command, item.name)
        values = value if isinstance(value, tuple) else (value,)
        if any(isinstance(v, str) and "\x00" in v for v in values):
            raise InvalidCommand(f"{item.name} contains a NUL character (\\x00); remove it")


def can_acknowledge(state: IncidentState) -> bool:
    """Whether someone may acknowledge: the incident is triggered, or nobody acknowledged it
    yet and it is still open (an automatic move, e.g. to `monitoring`, sets no milestone and
    does not stop paging, so a person must still be able to)."""
    if state.status == "triggered":
        return True
    return state.acknowledged_at is None and state.status in ACTIVE_STATUSES


def decide(state: IncidentState | None, command: Command, vocab: Vocabulary,
           now: datetime) -> list[Draft]:
    """Validate a command against the current state and return the events it produces."""
    _no_nul(command)
    if isinstance(command, Declare):
        if state is not None:
            raise InvalidCommand("incident already declared")
        return [_decide_declare(command, vocab, now)]
    if state is None:
        raise InvalidCommand("declare the incident first")
    status = state.status
    match command:
        case Acknowledge():
            if not can_acknowledge(state):
                raise InvalidTransition("acknowledge", status, allowed_next(status))
            # Acknowledging an incident warroom itself moved on (e.g. to `monitoring` when
            # its alerts resolved) records the milestone and keeps the status.
            return [Draft("acknowledged", {} if status == "triggered" else {"status": status})]
        case SetStatus(status=target, note=note, system=system):
            _check("status", target, STATUSES)
            if target not in allowed_next(status):
                raise InvalidTransition(f"move to {target}", status, allowed_next(status))
            data: dict[str, Any] = {"from": status, "to": target}
            if note:
                data["note"] = note
            if system:
                data["system"] = True
            return [Draft("status_changed", data)]
        case SetSeverity(severity=sev, reason=reason):
            _check("severity", sev, vocab.scheme.keys())
            if sev == state.severity:
                raise InvalidCommand(f"severity is already {sev}")
            return [Draft("severity_changed", {"from": state.severity, "to": sev,
                                               "reason": reason})]
        case SetType(type=kind):
            _check("incident type", kind, vocab.types)
            if kind == state.type:
                raise InvalidCommand(f"type is already {kind}")
            data = {"from": state.type, "to": kind}
            if kind in vocab.restricted_types and state.visibility != "restricted":
                data["visibility"] = "restricted"
            return [Draft("type_changed", data)]
        case AssignRole(role=role, user=user):
            _check("role", role, vocab.roles)
            user = _nonblank("user", user, 200)
            if state.role_map().get(role) == user:
                raise InvalidCommand(f"{user} already holds {role}")
            return [Draft("role_assigned", {"role": role, "user": user,
                                            "previous": state.role_map().get(role)})]
        case UnassignRole(role=role):
            _check("role", role, vocab.roles)
            if role not in state.role_map():
                raise InvalidCommand(f"nobody holds {role}")
            return [Draft("role_unassigned", {"role": role, "user": state.role_map()[role]})]
        case AddResponder(user=user):
            user = _nonblank("user", user, 200)
            if user in state.responders:
                raise InvalidCommand(f"{user} is already a responder")
            return [Draft("responder_added", {"user": user})]
        case AddNote(text=text):
            return [Draft("note_added", {"text": _nonblank("note", text)})]
        case SetImpact(impact=impact, users_affected=users):
            if users is not None and users < 0:
                raise InvalidCommand("users_affected must be zero or more")
            return [Draft("impact_set", {"impact": _nonblank("impact", impact),
                                         "users_affected": users})]
        case Resolve(summary=summary, system=system):
            if "resolved" not in allowed_next(status):
                raise InvalidTransition("resolve", status, allowed_next(status))
            data = {"from": status, "summary": summary.strip()}
            if system:
                data["system"] = True
            return [Draft("resolved", data)]
        case Reactivate(reason=reason):
            if status != "monitoring":
                raise InvalidTransition("reactivate", status, ["monitoring"])
            return [Draft("reactivated", {"from": status, "to": "triggered",
                                          "reason": reason.strip()})]
        case Reopen(reason=reason):
            if status not in ("resolved", "closed"):
                raise InvalidTransition("reopen", status, allowed_next(status))
            return [Draft("reopened", {"from": status, "reason": reason.strip()})]
        case Close():
            if status != "resolved":
                raise InvalidTransition("close", status, allowed_next(status))
            return [Draft("closed")]
        case Publish():
            return [_decide_publish(state, command)]
    raise InvalidCommand(f"unknown command {type(command).__name__}")


def _decide_publish(state: IncidentState, cmd: Publish) -> Draft:
    if state.visibility == "restricted":
        raise InvalidCommand("restricted incidents are never published; nothing about them "
                             "reaches the status page")
    if state.is_drill:
        raise InvalidCommand("drills are never published to the status page")
    title = _nonblank("public title", cmd.title, 200)
    if not cmd.components:
        raise InvalidCommand("components: name at least one affected component, e.g. "
                             f"{(state.services or ('web',))[0]}=partial_outage")
    components: dict[str, str] = {}
    for service, component_status in cmd.components:
        if service not in state.services:
            raise InvalidCommand(f"components: {service!r} is not a service of this incident; "
                                 f"it affects {', '.join(state.services) or 'no service'}")
        _check("component status", component_status, COMPONENT_STATUSES)
        components[service] = component_status
    _check("impact", cmd.impact, IMPACTS)
    return Draft(PUBLISHED, {"title": title, "components": components, "impact": cmd.impact,
                             "body": cmd.body.strip()[:5000]})


def _decide_declare(cmd: Declare, vocab: Vocabulary, now: datetime) -> Draft:
    title = _nonblank("title", cmd.title, 500)
    _check("severity", cmd.severity, vocab.scheme.keys())
    _check("incident type", cmd.type, vocab.types)
    visibility = cmd.visibility or (
        "restricted" if cmd.type in vocab.restricted_types else "normal")
    _check("visibility", visibility, VISIBILITIES)
    started = cmd.started_at or now
    detected = cmd.detected_at or now
    if started > now or detected > now:
        raise InvalidCommand("started_at and detected_at must not be in the future")
    return Draft("declared", {
        "title": title, "severity": cmd.severity, "type": cmd.type,
        "impact": cmd.impact.strip(), "visibility": visibility,
        "services": sorted(set(cmd.services)), "drill": cmd.drill,
        "started_at": isoformat(started), "detected_at": isoformat(detected),
    })


# ---------------------------------------------------------------- folding

Reducer = Callable[[IncidentState, Event], IncidentState]
REDUCERS: dict[str, Reducer] = {}


def reducer(kind: str) -> Callable[[Reducer], Reducer]:
    """Register how an event kind changes the projection. Kinds without one change nothing
    but the sequence, head hash and updated_at."""

    def register(fn: Reducer) -> Reducer:
        REDUCERS[kind] = fn
        return fn

    return register


def initial_state(event: Event) -> IncidentState:
    d = event.data
    return IncidentState(
        id=event.chain, human_id=str(d["human_id"]), title=d["title"], severity=d["severity"],
        type=d["type"], status="triggered", impact=d.get("impact", ""),
        visibility=d["visibility"], services=tuple(d.get("services", ())), roles=(),
        responders=(), created_by=event.actor, is_drill=bool(d.get("drill", False)),
        resolution="", users_affected=None,
        started_at=parse_instant(d["started_at"]), detected_at=parse_instant(d["detected_at"]),
        declared_at=event.at, acknowledged_at=None, mitigated_at=None, resolved_at=None,
        closed_at=None, updated_at=event.at, last_seq=event.seq, head_hash=event.hash,
    )


def is_system_transition(event: Event) -> bool:
    """A status change warroom made on its own (e.g. all alerts resolved): it never stands
    for a human acknowledging or mitigating, so it sets neither milestone."""
    return bool(event.data.get("system")) or event.kind == "reactivated"


def _to_status(state: IncidentState, target: str, at: datetime,
               human: bool = True) -> IncidentState:
    ack = state.acknowledged_at
    if ack is None and target != "triggered" and human:
        ack = at
    mitigated = state.mitigated_at
    if mitigated is None and target in ("monitoring", "resolved", "closed") and human:
        mitigated = at
    resolved = state.resolved_at
    if target == "resolved":
        resolved = at
    closed = at if target == "closed" else state.closed_at
    return replace(state, status=target, acknowledged_at=ack, mitigated_at=mitigated,
                   resolved_at=resolved, closed_at=closed)


@reducer("acknowledged")
def _acknowledged(state: IncidentState, event: Event) -> IncidentState:
    # On an incident warroom moved on by itself, only the milestone is set (not mitigated).
    acked = _to_status(state, "acknowledged", event.at) if state.status == "triggered" \
        else replace(state, acknowledged_at=event.at)
    # An integration (PagerDuty `acknowledge`) acknowledges, but is nobody's participant.
    return acked if event.actor.startswith("integration:") else \
        _with_participant(acked, event.actor)


@reducer("status_changed")
def _status_changed(state: IncidentState, event: Event) -> IncidentState:
    return _to_status(state, event.data["to"], event.at, not is_system_transition(event))


@reducer("reactivated")
def _reactivated(state: IncidentState, event: Event) -> IncidentState:
    return replace(state, status="triggered")


@reducer("resolved")
def _resolved(state: IncidentState, event: Event) -> IncidentState:
    return replace(_to_status(state, "resolved", event.at, not is_system_transition(event)),
                   resolution=event.data.get("summary", ""))


@reducer("closed")
def _closed(state: IncidentState, event: Event) -> IncidentState:
    return _to_status(state, "closed", event.at)


@reducer("reopened")
def _reopened(state: IncidentState, event: Event) -> IncidentState:
    return replace(state, status="investigating", resolved_at=None, closed_at=None)


@reducer("severity_changed")
def _severity(state: IncidentState, event: Event) -> IncidentState:
    return replace(state, severity=event.data["to"])


@reducer("type_changed")
def _type(state: IncidentState, event: Event) -> IncidentState:
    return replace(state, type=event.data["to"],
                   visibility=event.data.get("visibility", state.visibility))


def _with_participant(state: IncidentState, user: str) -> IncidentState:
    if user in state.responders:
        return state
    return replace(state, responders=(*state.responders, user))


@reducer("role_assigned")
def _role_assigned(state: IncidentState, event: Event) -> IncidentState:
    roles = state.role_map()
    roles[event.data["role"]] = event.data["user"]
    return _with_participant(replace(state, roles=tuple(sorted(roles.items()))),
                             event.data["user"])


@reducer("role_unassigned")
def _role_unassigned(state: IncidentState, event: Event) -> IncidentState:
    roles = state.role_map()
    roles.pop(event.data["role"], None)
    return replace(state, roles=tuple(sorted(roles.items())))


@reducer("responder_added")
def _responder_added(state: IncidentState, event: Event) -> IncidentState:
    return _with_participant(state, event.data["user"])


@reducer("impact_set")
def _impact(state: IncidentState, event: Event) -> IncidentState:
    return replace(state, impact=event.data["impact"],
                   users_affected=event.data.get("users_affected"))


@reducer("services_added")
def _services_added(state: IncidentState, event: Event) -> IncidentState:
    merged = sorted({*state.services, *event.data.get("services", [])})
    return replace(state, services=tuple(merged))


def apply(state: IncidentState | None, event: Event) -> IncidentState:
    """Fold one event into the state."""
    if state is None:
        if event.kind != "declared":
            raise ValueError(f"first event must be 'declared', not {event.kind!r}")
        return initial_state(event)
    fn = REDUCERS.get(event.kind)
    new = fn(state, event) if fn else state
    return replace(new, updated_at=event.at, last_seq=event.seq, head_hash=event.hash)


def fold(events: Iterable[Event]) -> IncidentState:
    state: IncidentState | None = None
    for event in events:
        state = apply(state, event)
    if state is None:
        raise ValueError("no events to fold")
    return state

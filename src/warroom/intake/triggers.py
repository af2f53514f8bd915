"""Rules on incident triggers: `incident_declared` and `incident_changed` run in the
transaction that appended the events, however they were appended (alert, API, CLI, engine).

Events the rules append themselves (actor `rule:<name>`) trigger no rules, so a rule that
changes the incident cannot loop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from warroom.domain.events import Event
from warroom.domain.incident import IncidentState
from warroom.intake.pipeline import RULE_ACTOR, Pipeline

if TYPE_CHECKING:
    from warroom.runtime import Runtime

# The event kinds that count as a change of the incident for `incident_changed`.
CHANGE_KINDS = frozenset({"acknowledged", "status_changed", "severity_changed", "type_changed",
                          "services_added", "impact_set", "reactivated", "resolved",
                          "reopened", "closed"})


def change_of(event: Event) -> dict[str, Any]:
    """What a rule sees as `change`: the event kind, its actor, and `from`/`to` if any."""
    data = event.data
    change: dict[str, Any] = {"kind": event.kind, "actor": event.actor}
    for name in ("from", "to", "reason"):
        if isinstance(data.get(name), str):
            change[name] = data[name]
    if event.kind == "services_added":
        change["to"] = ",".join(str(s) for s in data.get("services", []))
    return change


def run_incident_rules(pipeline: Pipeline, conn: sa.Connection, state: IncidentState,
                       events: list[Event]) -> None:
    if pipeline.plan.rules is None:
        return
    for event in events:
        if event.actor.startswith(RULE_ACTOR):
            continue
        if event.kind == "declared":
            state = pipeline.on_incident(conn, state, "incident_declared")
        elif event.kind in CHANGE_KINDS:
            state = pipeline.on_incident(conn, state, "incident_changed", change_of(event))


def install(runtime: Runtime, pipeline: Pipeline) -> None:
    def after_events(conn: sa.Connection, state: IncidentState, events: list[Event]) -> None:
        run_incident_rules(pipeline, conn, state, events)

    runtime.hooks.after_events.append(after_events)

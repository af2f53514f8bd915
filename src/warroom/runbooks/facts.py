"""What an incident tells the runbook engine: its alerts' labels and annotations (read
defensively from the alerts table and from alert_attached events), and parameter values."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from warroom.domain.errors import InvalidCommand
from warroom.domain.incident import IncidentState
from warroom.runbooks.matching import IncidentFacts
from warroom.runbooks.model import Runbook
from warroom.store import incidents as incident_store


@dataclass(frozen=True)
class AlertFacts:
    labels: Mapping[str, str]
    annotations: Mapping[str, str]


def _strings(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def incident_alerts(conn: sa.Connection, incident_id: str) -> list[AlertFacts]:
    """Label and annotation sets of the incident's alerts, newest information first."""
    found: list[AlertFacts] = []
    try:
        from warroom.store import alerts as alert_store
    except ImportError:  # intake not installed: only events can tell
        alert_store = None  # type: ignore[assignment]
    table = getattr(alert_store, "alerts", None) if alert_store is not None else None
    if isinstance(table, sa.Table) and {"incident_id", "labels"} <= set(table.c.keys()):
        query = sa.select(table).where(table.c.incident_id == incident_id)
        if "id" in table.c:
            query = query.order_by(table.c.id.desc())
        for row in conn.execute(query.limit(200)):
            found.append(AlertFacts(_strings(row.labels),
                                    _strings(getattr(row, "annotations", {}))))
    for event in reversed(incident_store.load_events(conn, incident_id)):
        if event.kind == "alert_attached" and isinstance(event.data.get("labels"), dict):
            found.append(AlertFacts(_strings(event.data["labels"]),
                                    _strings(event.data.get("annotations"))))
    return found


def incident_facts(state: IncidentState, alerts: Sequence[AlertFacts]) -> IncidentFacts:
    return IncidentFacts(services=state.services, alerts=[a.labels for a in alerts],
                         incident_type=state.type, severity=state.severity)


def parameter_values(runbook: Runbook, alerts: Sequence[AlertFacts],
                     given: Mapping[str, str]) -> dict[str, str]:
    """Values for declared parameters: given (user input) > alert label/annotation > default.

    Undeclared names are refused, so nothing but declared parameters reaches a command.
    """
    declared = runbook.parameter_names()
    unknown = sorted(set(given) - declared)
    if unknown:
        raise InvalidCommand(f"runbook {runbook.id!r} declares no parameter "
                             f"{', '.join(map(repr, unknown))}; it declares "
                             f"{', '.join(sorted(declared)) or 'none'}")
    values: dict[str, str] = {}
    for param in runbook.parameters:
        if param.name in given:
            values[param.name] = str(given[param.name])
            continue
        if param.source:
            where, _, key = param.source.partition(":")
            for alert in alerts:
                source = alert.labels if where == "label" else alert.annotations
                if key in source:
                    values[param.name] = source[key]
                    break
        if param.name not in values and param.default is not None:
            values[param.name] = param.default
    return values


def secret_names(runbook: Runbook) -> set[str]:
    return {p.name for p in runbook.parameters if p.secret}

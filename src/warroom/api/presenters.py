"""JSON shapes of domain objects, shared by the API and the console's JSON twins."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from warroom.clock import isoformat
from warroom.domain.events import Event
from warroom.domain.incident import IncidentState, allowed_next
from warroom.domain.severity import SeverityScheme


def _ts(value: datetime | None) -> str | None:
    return isoformat(value) if value else None


def incident_json(state: IncidentState, scheme: SeverityScheme,
                  now: datetime | None = None) -> dict[str, Any]:
    level = scheme.get(state.severity)
    ack_deadline = state.declared_at + level.ack_sla if level else None
    breached = None
    if ack_deadline is not None:
        acked = state.acknowledged_at
        breached = (acked > ack_deadline) if acked else (now is not None and now > ack_deadline)
    return {
        "id": state.id,
        "human_id": state.human_id,
        "title": state.title,
        "severity": state.severity,
        "severity_name": level.name if level else state.severity,
        "type": state.type,
        "status": state.status,
        "allowed_next": allowed_next(state.status),
        "impact": state.impact,
        "users_affected": state.users_affected,
        "visibility": state.visibility,
        "services": list(state.services),
        "roles": dict(state.roles),
        "responders": list(state.responders),
        "created_by": state.created_by,
        "is_drill": state.is_drill,
        "resolution": state.resolution,
        "ack_deadline": _ts(ack_deadline),
        "ack_sla_breached": breached,
        "milestones": {
            "started": _ts(state.started_at), "detected": _ts(state.detected_at),
            "declared": _ts(state.declared_at), "acknowledged": _ts(state.acknowledged_at),
            "mitigated": _ts(state.mitigated_at), "resolved": _ts(state.resolved_at),
            "closed": _ts(state.closed_at),
        },
        "updated_at": _ts(state.updated_at),
        "event_count": state.last_seq,
        "head_hash": state.head_hash,
    }


def event_json(event: Event) -> dict[str, Any]:
    return {"seq": event.seq, "at": isoformat(event.at), "actor": event.actor,
            "kind": event.kind, "data": event.data, "prev_hash": event.prev_hash,
            "hash": event.hash}

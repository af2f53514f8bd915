"""Ready-made notification messages for tests."""

from __future__ import annotations

from typing import Any

from warroom.notify.base import Link, Message


def sample_message(**changes: Any) -> Message:
    """A P0 page for INC-2026-0042; keyword arguments replace any field."""
    fields: dict[str, Any] = {
        "idempotency_key": "inc-0042:page:1",
        "incident_id": "01JH0000000000000000000042",
        "incident_human_id": "INC-2026-0042",
        "kind": "page",
        "audience": "internal",
        "subject": "INCIDENT DECLARED — [P0] Checkout API returning 502s",
        "body": "INCIDENT DECLARED — [P0] Checkout API returning 502s\n\n"
                "Severity: P0 (Critical)\nStatus: Triggered\nImpact: Checkout fails <50%> & more",
        "severity": "P0",
        "links": (Link("Incident", "https://warroom.example.com/incidents/INC-2026-0042"),
                  Link("Bridge", "https://meet.example.com/inc-2026-0042")),
        "extra": {},
        "drill": False,
    }
    fields.update(changes)
    return Message(**fields)

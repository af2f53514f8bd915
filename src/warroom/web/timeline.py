"""Plain-language lines for timeline events, as the incident page shows them."""

from __future__ import annotations

from typing import Any

from warroom.domain.events import Event


def _role(name: str) -> str:
    return name.replace("_", " ")


def describe(kind: str, data: dict[str, Any]) -> str:
    """One sentence for an event; kinds this console does not know yet fall back to their data."""
    match kind:
        case "declared":
            return (f"Declared {data.get('severity', '')} {_role(str(data.get('type', '')))}: "
                    f"{data.get('title', '')}")
        case "acknowledged":
            return "Acknowledged"
        case "status_changed":
            note = f" — {data['note']}" if data.get("note") else ""
            return f"Status {data.get('from')} → {data.get('to')}{note}"
        case "severity_changed":
            reason = f" — {data['reason']}" if data.get("reason") else ""
            return f"Severity {data.get('from')} → {data.get('to')}{reason}"
        case "type_changed":
            return f"Type {_role(str(data.get('from')))} → {_role(str(data.get('to')))}"
        case "role_assigned":
            return f"{data.get('user')} is now {_role(str(data.get('role')))}"
        case "role_unassigned":
            return f"{data.get('user')} no longer {_role(str(data.get('role')))}"
        case "responder_added":
            return f"{data.get('user')} joined as responder"
        case "note_added":
            return str(data.get("text", ""))
        case "impact_set":
            return f"Impact: {data.get('impact')}"
        case "resolved":
            summary = f" — {data['summary']}" if data.get("summary") else ""
            return f"Resolved{summary}"
        case "reopened":
            reason = f" — {data['reason']}" if data.get("reason") else ""
            return f"Reopened{reason}"
        case "closed":
            return "Closed"
        case "services_added":
            return "Services added: " + ", ".join(data.get("services", []))
        case "escalated":
            targets = ", ".join(str(t.get("id")) for t in data.get("targets", [])
                                if isinstance(t, dict))
            return f"Escalation step {data.get('step', '?')}: paging {targets or 'nobody'}"
        case "page_queued":
            return f"Page queued for {data.get('user', '?')} via {data.get('channel', '?')}"
        case "notification_sent":
            attempt = data.get("attempt")
            tries = f" on attempt {attempt}" if isinstance(attempt, int) and attempt > 1 else ""
            return f"Notified {data.get('destination') or data.get('user', '?')} via " \
                f"{data.get('channel', '?')}{tries}"
        case "notification_failed":
            return f"Notification via {data.get('channel', '?')} failed (attempt " \
                f"{data.get('attempt', '?')}): {str(data.get('detail', ''))[:160]}"
        case "update_posted":
            audience = data.get("audience", "internal")
            return f"Status update ({audience}): {data.get('body') or data.get('text', '')}"
    name = kind.replace("_", " ")
    fields = ", ".join(f"{k}: {v}" for k, v in sorted(data.items())
                       if isinstance(v, str | int | float) and v != "")
    return f"{name[:1].upper()}{name[1:]}" + (f" ({fields[:240]})" if fields else "")


def timeline_rows(events: list[Event]) -> list[dict[str, Any]]:
    """Newest first, as responders read a timeline during an incident."""
    return [{"seq": e.seq, "at": e.at, "actor": e.actor, "kind": e.kind,
             "text": describe(e.kind, e.data), "is_note": e.kind == "note_added"}
            for e in reversed(events)]

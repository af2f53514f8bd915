"""Plain-language lines for timeline events, as the incident page shows them: sentences,
commands in code blocks, notes as Markdown, and a batch of attached alerts as one row."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from warroom.domain.events import Event
from warroom.evidence.postmortem import render_html

# Events whose command, request or query the page shows as a code block.
COMMAND_KINDS = ("runbook_step_started", "runbook_step_finished", "approval_requested")
OUTCOMES = {"ok": "succeeded", "failed": "failed", "skipped": "was skipped",
            "done_manually": "was done by hand", "timeout": "timed out"}


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
        case "published":
            components = ", ".join(f"{k} {str(v).replace('_', ' ')}" for k, v in
                                   dict(data.get("components") or {}).items())
            return (f"Published to the status page as \u201c{data.get('title', '')}\u201d "
                    f"({components}; impact {data.get('impact', '?')})")
        case "alert_attached":
            found = data.get("alert")
            alert: dict[str, Any] = found if isinstance(found, dict) else {}
            return f"Alert attached: {alert.get('summary') or alert.get('dedup_key') or '?'}"
        case "runbook_attached":
            return f"Runbook {data.get('runbook_id', '?')} attached"
        case "runbook_run_started":
            return f"Started runbook {data.get('runbook_id', '?')}" + (
                f" ({data['title']})" if data.get("title") else "")
        case "runbook_step_started":
            how = " by hand" if data.get("by_hand") else ""
            return f"Step \u201c{data.get('title') or data.get('step_id')}\u201d started{how}"
        case "runbook_step_finished":
            outcome = str(data.get("outcome", "finished"))
            mode = f" ({data['mode']})" if data.get("mode") not in (None, "enabled") else ""
            code = f", exit {data['exit_code']}" if data.get("exit_code") is not None else ""
            why = f" — {data.get('detail') or data.get('reason') or data.get('note')}" if (
                data.get("detail") or data.get("reason") or data.get("note")) else ""
            return (f"Step \u201c{data.get('title') or data.get('step_id')}\u201d "
                    f"{OUTCOMES.get(outcome, outcome)}{mode}{code}{why}")
        case "approval_requested":
            roles = ", ".join(data.get("roles", []))
            return (f"Approval requested for \u201c{data.get('title') or data.get('step')}"
                    f"\u201d: {data.get('count', 1)} from {roles}" +
                    (f" — {data['reason']}" if data.get("reason") else ""))
    name = kind.replace("_", " ")
    fields = ", ".join(f"{k}: {v}" for k, v in sorted(data.items())
                       if isinstance(v, str | int | float) and v != "")
    return f"{name[:1].upper()}{name[1:]}" + (f" ({fields[:240]})" if fields else "")


def _row(e: Event) -> dict[str, Any]:
    rendered = e.data.get("rendered") if e.kind in COMMAND_KINDS else None
    note = e.kind == "note_added"
    return {"seq": e.seq, "at": e.at, "actor": e.actor, "kind": e.kind,
            "text": describe(e.kind, e.data), "is_note": note,
            "html": Markup(render_html(str(e.data.get("text", "")))) if note else None,
            "code": str(rendered) if rendered else None, "batch": []}


def timeline_rows(events: list[Event]) -> list[dict[str, Any]]:
    """Newest first, as responders read a timeline during an incident. Alerts attached in
    one go (a storm, a grouped webhook) are one row that opens to list them."""
    rows: list[dict[str, Any]] = []
    for e in events:
        last = rows[-1] if rows else None
        if e.kind == "alert_attached" and last and last["kind"] == "alert_attached" \
                and last["at"] == e.at and last["actor"] == e.actor:
            if not last["batch"]:
                last["batch"] = [last["text"]]
            last["batch"].append(describe(e.kind, e.data))
            last["text"] = f"{len(last['batch'])} alerts attached"
            last["seq"] = e.seq
            continue
        rows.append(_row(e))
    return list(reversed(rows))

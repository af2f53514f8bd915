"""A one-line, human-readable description of each event, and the timeline as a Markdown table."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from warroom.clock import isoformat
from warroom.domain.events import Event

MAX_DETAIL = 400


def _s(data: Mapping[str, Any], key: str, default: str = "?") -> str:
    value = data.get(key)
    return default if value is None or value == "" else str(value)


def _declared(d: Mapping[str, Any]) -> str:
    services = ", ".join(str(s) for s in d.get("services") or ()) or "none"
    drill = " [DRILL]" if d.get("drill") else ""
    return (f"{_s(d, 'human_id')} declared{drill}: {_s(d, 'title', '')} "
            f"({_s(d, 'severity')}, {_s(d, 'type')}); services: {services}")


def _step_started(d: Mapping[str, Any]) -> str:
    command = d.get("rendered") or d.get("command")
    text = (f"step {_s(d, 'step_id')} \"{_s(d, 'title', '')}\" started "
            f"({_s(d, 'phase')}, {_s(d, 'executor')})")
    return f"{text}: {command}" if command else text


def _step_finished(d: Mapping[str, Any]) -> str:
    exit_code = f", exit {d['exit_code']}" if d.get("exit_code") is not None else ""
    output = f", output sha256 {str(d['output_sha256'])[:12]}…" if d.get("output_sha256") else ""
    return (f"step {_s(d, 'step_id')} \"{_s(d, 'title', '')}\" finished: "
            f"{_s(d, 'outcome')}{exit_code}{output}")


def _approval(verb: str) -> Callable[[Mapping[str, Any]], str]:
    def describe(d: Mapping[str, Any]) -> str:
        who = f" by {d['approver']}" if d.get("approver") else ""
        roles = f" (needs {', '.join(map(str, d['roles']))})" if d.get("roles") else ""
        reason = f": {d['reason']}" if d.get("reason") else ""
        return f"approval {_s(d, 'request_id')} for step {_s(d, 'step')} {verb}{who}{roles}{reason}"
    return describe


def _impact(d: Mapping[str, Any]) -> str:
    users = (f" ({d['users_affected']} users affected)"
             if d.get("users_affected") is not None else "")
    return f"impact: {_s(d, 'impact', '')}{users}"


_DESCRIBE: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "declared": _declared,
    "acknowledged": lambda d: "acknowledged",
    "status_changed": lambda d: f"status {_s(d, 'from')} → {_s(d, 'to')}",
    "severity_changed": lambda d: f"severity {_s(d, 'from')} → {_s(d, 'to')}",
    "type_changed": lambda d: f"type {_s(d, 'from')} → {_s(d, 'to')}",
    "role_assigned": lambda d: f"{_s(d, 'user')} is now {_s(d, 'role')}",
    "role_unassigned": lambda d: f"{_s(d, 'user')} is no longer {_s(d, 'role')}",
    "responder_added": lambda d: f"{_s(d, 'user')} joined as responder",
    "note_added": lambda d: f"note: {_s(d, 'text', '')}",
    "impact_set": _impact,
    "resolved": lambda d: f"resolved: {_s(d, 'summary', '')}".rstrip(": "),
    "reopened": lambda d: "reopened" + (f": {d['reason']}" if d.get("reason") else ""),
    "reactivated": lambda d: "back to triggered" + (f": {d['reason']}" if d.get("reason")
                                                     else ""),
    "closed": lambda d: "closed",
    "alert_attached": lambda d: f"alert attached: {_s(d, 'summary', '')} ({_s(d, 'source')})",
    "alert_resolved": lambda d: f"alert resolved: {_s(d, 'summary', _s(d, 'alert_id'))}",
    "runbook_step_started": _step_started,
    "runbook_step_finished": _step_finished,
    "approval_requested": _approval("requested"),
    "approval_granted": _approval("granted"),
    "approval_denied": _approval("denied"),
    "approval_revoked": _approval("revoked"),
    "update_posted": lambda d: f"{_s(d, 'audience')} update ({_s(d, 'status')}): "
                               f"{_s(d, 'body', '')}",
}


def describe_event(event: Event) -> str:
    """One line saying what happened, for people; the full data stays in timeline.jsonl."""
    describe = _DESCRIBE.get(event.kind)
    if describe is not None:
        return describe(event.data)
    return ", ".join(f"{k}={v}" for k, v in sorted(event.data.items())
                     if not isinstance(v, dict | list))


def markdown_cell(text: str, limit: int = MAX_DETAIL) -> str:
    """Text made safe for one Markdown table cell: one line, pipes and angle brackets escaped."""
    one_line = " ".join(text.split())
    if len(one_line) > limit:
        one_line = one_line[: limit - 1] + "…"
    return (one_line.replace("\\", "\\\\").replace("|", "\\|")
            .replace("<", "&lt;").replace(">", "&gt;"))


def timeline_markdown(title: str, events: Sequence[Event]) -> str:
    """The whole timeline as a Markdown table of time, seq, actor, kind and detail."""
    lines = [f"# Timeline — {markdown_cell(title)}", "",
             f"{len(events)} events, times in UTC. The authoritative, hash-chained record is "
             "`timeline.jsonl`.", "",
             "| Time (UTC) | # | Actor | Kind | Detail |",
             "|---|---:|---|---|---|"]
    lines.extend(
        f"| {isoformat(e.at)[:19].replace('T', ' ')} | {e.seq} | {markdown_cell(e.actor)} | "
        f"{e.kind} | {markdown_cell(describe_event(e))} |"
        for e in events)
    return "\n".join(lines) + "\n"

"""What the incident page adds to the API's shapes: paging state in words, the command each
pending step would run, the run to work on now, open revert deadlines, and publication."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from warroom.api.deps import Services
from warroom.domain.errors import DomainError
from warroom.domain.events import Event
from warroom.domain.incident import STATUSPAGE_STATUS
from warroom.runbooks.registry import registry
from warroom.runbooks.runs import BY_HAND, FINISHED, RunService
from warroom.services.principal import Principal
from warroom.status.publishing import current, public_components, suggestion
from warroom.store import db
from warroom.store.runbooks import revert_deadlines

# Severity ranks (0 = most severe) whose resolve asks for a summary and a confirmation.
CAREFUL_RESOLVE_RANKS = 2


def severity_rank(svc: Services, severity: str) -> int:
    """0 for the scheme's most severe level; unknown keys rank after every level."""
    keys = svc.runtime.vocab.scheme.keys()
    return keys.index(severity) if severity in keys else len(keys)


def paging_state(events: list[Event], escalation: dict[str, Any] | None) -> dict[str, Any]:
    """Who was paged, over which channel, whether it arrived; and the next step."""
    pages: list[dict[str, Any]] = []
    outcomes: dict[str, list[str]] = {}  # channel -> outcomes of page deliveries, in order
    for e in events:
        if e.kind == "page_queued":
            pages.append({"user": e.data.get("user"), "channel": e.data.get("channel"),
                          "kind": e.data.get("kind"), "step": e.data.get("step"),
                          "at": e.at, "state": "queued"})
        elif e.kind in ("notification_sent", "notification_failed") and \
                e.data.get("kind") == "page":
            final = e.kind == "notification_sent" or e.data.get("outcome") == "dead"
            if final:
                outcomes.setdefault(str(e.data.get("channel")), []).append(
                    "delivered" if e.kind == "notification_sent" else "failed")
    for channel, results in outcomes.items():  # the n-th delivery answers the n-th page
        waiting = [p for p in pages if p["channel"] == channel]
        for page, result in zip(waiting, results, strict=False):
            page["state"] = result
    next_step = (escalation or {}).get("next_step")
    return {"pages": pages, "next_step": next_step,
            "active": bool((escalation or {}).get("active"))}


def plan_runs(svc: Services, who: Principal, runs: list[dict[str, Any]]) -> None:
    """Give each step that has yet to run its rendered command and parameters, so people see
    what Run (or an approval) will do before it happens."""
    service = RunService(svc.runtime)
    for run in runs:
        try:
            record, _ = service.get(who, run["id"])
            runbook = service.runbook(run["runbook_id"])
        except DomainError:
            continue
        for step in run.get("steps", []):
            found = runbook.step(step["step_id"])
            if found is None or step["state"] in FINISHED or isinstance(found.executor,
                                                                        BY_HAND):
                continue
            try:
                _, shown, rendered = service.planned(record, runbook, found, {})
            except DomainError as exc:
                step["plan_error"] = exc.detail
                continue
            step["planned"] = rendered
            step["params"] = shown


def current_run(runs: list[dict[str, Any]]) -> tuple[dict[str, Any] | None, str | None]:
    """The newest run with work left, and its first step not finished."""
    for run in sorted(runs, key=lambda r: r.get("created_at") or "", reverse=True):
        for step in run.get("steps", []):
            if step["state"] not in FINISHED:
                return run, step["step_id"]
    return (runs[0], None) if runs else (None, None)


def execution_mode(svc: Services) -> str:
    return str(registry(svc.runtime).settings.mode())


def open_reverts(svc: Services, incident_id: str) -> list[dict[str, Any]]:
    """Steps whose revert deadline is open or breached: resolving leaves them in place."""
    with db.read(svc.runtime.engine) as conn:
        rows = conn.execute(sa.select(revert_deadlines).where(
            revert_deadlines.c.incident_id == incident_id,
            revert_deadlines.c.status.in_(["open", "breached"]))
            .order_by(revert_deadlines.c.due_at)).all()
    return [{"run_id": r.run_id, "step_id": r.step_id, "revert_step": r.revert_step,
             "due_at": r.due_at, "status": r.status} for r in rows]


def approval_commands(events: list[Event]) -> dict[str, str]:
    """Approval request id -> the command it was requested for, from the timeline."""
    return {str(e.data.get("request_id")): str(e.data.get("rendered") or "")
            for e in events if e.kind == "approval_requested"}


def update_fills(incident: Any) -> dict[str, str]:
    """What choosing a template puts in the message box: a first sentence to edit."""
    services = ", ".join(incident.services) or "some of our services"
    public = STATUSPAGE_STATUS.get(incident.status, incident.status)
    return {
        "initial": f"We are investigating an issue affecting {services}.",
        "progress": f"Current status: {public}. We are continuing to work on a fix.",
        "resolution": f"The issue affecting {services} has been resolved."
        + (f" {incident.resolution}" if incident.resolution else ""),
    }


def publication_panel(svc: Services, who: Principal, incident: Any) -> dict[str, Any]:
    found = current(svc.runtime, incident.id)
    hint = suggestion(svc.runtime, incident)
    return {"current": found, "suggestion": hint,
            "components": {k: v for k, v in public_components(svc.runtime).items()
                           if k in incident.services},
            "can_publish": who.at_least("commander") and incident.visibility == "normal"
            and not incident.is_drill}

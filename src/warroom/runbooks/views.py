"""JSON shapes of runbooks, runs, steps and approval requests (API and CLI share them)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from warroom.clock import isoformat
from warroom.runbooks.approvals import ApprovalRequest, ApprovalView
from warroom.runbooks.linter import Finding
from warroom.runbooks.matching import RunbookSuggestion
from warroom.runbooks.model import Runbook, Step
from warroom.runbooks.runs import RunRecord, StepState
from warroom.runbooks.sources import SourceDocument


def _ts(value: datetime | None) -> str | None:
    return isoformat(value) if value else None


def finding_json(f: Finding) -> dict[str, Any]:
    return {"where": f.where(), "file": f.file, "line": f.line, "severity": f.severity,
            "code": f.code, "message": f.message}


def runbook_summary(rb: Runbook, runnable: bool) -> dict[str, Any]:
    return {"id": rb.id, "title": rb.title, "owner": rb.owner, "tags": rb.tags,
            "applies_to": rb.applies_to.model_dump(), "schedule": rb.schedule,
            "steps": len(rb.steps), "runnable": runnable}


def runbook_json(rb: Runbook, runnable: bool, findings: list[Finding],
                 source: str | None, document: SourceDocument | None = None) -> dict[str, Any]:
    return {**runbook_summary(rb, runnable), "file": source,
            "definition": rb.model_dump(mode="json", exclude_none=True),
            "findings": [finding_json(f) for f in findings],
            "step_sources": step_sources(rb),
            "source_document": source_document_json(document)}


def source_document_json(doc: SourceDocument | None) -> dict[str, Any] | None:
    """The imported runbook's Markdown, numbered, each line with what it became."""
    if doc is None:
        return None
    return {"path": doc.path, "problem": doc.problem,
            "lines": [{"line": ln.number, "text": ln.text, "became": ln.became,
                       "report_only": ln.report_only}
                      for ln in doc.lines]}


def step_sources(rb: Runbook) -> dict[str, dict[str, Any]]:
    """Per imported step, the Markdown lines it came from, for a side-by-side view."""
    out: dict[str, dict[str, Any]] = {}
    for step in rb.steps:
        found = step.source_lines()
        if found:
            out[step.id] = {"file": found[0], "first_line": found[1], "last_line": found[2]}
    return out


def suggestion_json(s: RunbookSuggestion, rb: Runbook | None) -> dict[str, Any]:
    return {"runbook_id": s.runbook_id, "title": rb.title if rb else None, "score": s.score,
            "reasons": list(s.reasons)}


def step_json(step: Step | None, state: StepState) -> dict[str, Any]:
    shape = {k: (_ts(v) if isinstance(v, datetime) else v) for k, v in asdict(state).items()}
    if step is not None:
        shape |= {
            "title": step.title, "phase": step.phase, "option": step.option,
            "executor": step.executor.type, "dangerous": step.dangerous, "auto": step.auto,
            "requires_approval": (step.requires_approval.model_dump()
                                  if step.requires_approval else None),
            "revert": step.revert.model_dump(mode="json") if step.revert else None,
            "notes": step.notes,
        }
    shape["output_url"] = (f"/api/v1/artifacts/{state.output_sha256}"
                           if state.output_sha256 else None)
    return shape


def run_json(run: RunRecord, runbook: Runbook | None,
             steps: list[StepState] | None = None) -> dict[str, Any]:
    shape: dict[str, Any] = {
        "id": run.id, "runbook_id": run.runbook_id, "incident_id": run.incident_id,
        "status": run.status, "trigger": run.trigger, "started_by": run.started_by,
        "params": run.params, "service": run.service, "scheduled_for": _ts(run.scheduled_for),
        "created_at": _ts(run.created_at), "updated_at": _ts(run.updated_at),
        "title": runbook.title if runbook else None}
    if steps is not None:
        shape["steps"] = [step_json(runbook.step(s.step_id) if runbook else None, s)
                          for s in steps]
        shape["counts"] = {state: sum(1 for s in steps if s.state == state)
                           for state in sorted({s.state for s in steps})}
    return shape


def approval_json(req: ApprovalRequest, view: ApprovalView | None = None) -> dict[str, Any]:
    """A request; with `view`, also the exact command and target, and whether the caller
    may approve it (and why not)."""
    extra: dict[str, Any] = {} if view is None else {
        "rendered": view.rendered, "parameters": view.parameters, "target": view.target,
        "render_problem": view.render_problem, "can_approve": view.can_approve,
        "cannot_approve_reason": view.cannot_approve_reason}
    return extra | {"id": req.id, "run_id": req.run_id, "step_id": req.step_id,
            "incident_id": req.incident_id, "requested_by": req.requested_by,
            "requested_at": _ts(req.requested_at), "roles": list(req.roles),
            "count": req.count, "reason": req.reason, "status": req.status,
            "approvals": len(req.active_grants()),
            "decisions": [{"approver": d.approver, "action": d.action, "roles": list(d.roles),
                           "reason": d.reason, "at": _ts(d.at)} for d in req.decisions]}

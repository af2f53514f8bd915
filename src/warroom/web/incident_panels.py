"""The incident page's working panels: status updates with preview, escalate now, runbooks
(attach, run steps, approvals), attached alerts, recent changes and evidence links."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import RedirectResponse, Response

from warroom.api.deps import Services, services
from warroom.api.routers import alerts as alerts_api
from warroom.api.routers import changes as changes_api
from warroom.api.routers import runbooks as runbooks_api
from warroom.api.routers import runs as runs_api
from warroom.api.routers import updates as updates_api
from warroom.api.routers.approvals import seen_by
from warroom.domain.errors import DomainError
from warroom.paging import commands
from warroom.paging.updates import UpdateRequest, post_update
from warroom.runbooks.approvals import ApprovalService
from warroom.runbooks.attachments import AttachmentService
from warroom.runbooks.runs import RunService
from warroom.services.principal import Principal
from warroom.web.incidents import _incident, done
from warroom.web.session import FormUser

router = APIRouter(include_in_schema=False)
Svc = Annotated[Services, Depends(services)]
Text = Annotated[str, Form()]
AUDIENCES = ("internal", "customer", "public")
TEMPLATES = ("initial", "progress", "resolution")
OUTPUT_CAP = 8000  # the page shows the head; the full output is one link away


def _safe(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """A panel that fails (say, a viewer may not read runs) hides itself, not the page."""
    try:
        return fn(*args, **kwargs)
    except DomainError:
        return None


def _output(svc: Services, who: Principal, sha: str | None) -> str:
    if not sha:
        return ""
    content = _safe(RunService(svc.runtime).artifact, who, sha)
    if not isinstance(content, bytes):
        return ""
    text = content[:OUTPUT_CAP].decode("utf-8", "replace")
    return text + ("\n… (truncated)" if len(content) > OUTPUT_CAP else "")


def panels(svc: Services, who: Principal, ref: str) -> dict[str, Any]:
    """Everything the incident page shows below its header, as the API's JSON shapes."""
    suggested = _safe(runbooks_api.suggested, ref, svc, who, limit=10) or {"items": []}
    attached = _safe(runbooks_api.attached, ref, svc, who) or {"items": []}
    attached_ids = {a["runbook_id"] for a in attached["items"]}
    run_list = _safe(runs_api.list_runs, svc, who, runbook=None, incident=ref,
                     limit=20) or {"items": []}
    approvals = {}
    for run in run_list["items"]:
        for step in run.get("steps", []):
            step["output"] = _output(svc, who, step.get("output_sha256"))
        found = _safe(ApprovalService(svc.runtime).list_requests, who, None, run["id"], 100)
        for req in reversed(found or []):  # newest last, so it wins
            approvals[(run["id"], req.step_id)] = seen_by(svc, who, req)
    alerts = _safe(alerts_api.list_alerts, svc, who, status=None, integration=None,
                   service=None, incident=ref, silenced=None, limit=50, before=None)
    changes = _safe(changes_api.incident_changes, ref, svc, who, hours=6, limit=20)
    escalation = _safe(commands.escalation_view, svc.runtime, who, ref)
    return {
        "suggested": [s for s in suggested["items"] if s["runbook_id"] not in attached_ids],
        "attached": attached["items"], "runs": run_list["items"], "approvals": approvals,
        "alerts": (alerts or {"items": []})["items"],
        "changes": (changes or {"items": []})["items"],
        "audiences": AUDIENCES, "templates": TEMPLATES, "escalation": escalation,
    }


def _back(ref: str, anchor: str = "", key: str = "") -> RedirectResponse:
    return done(f"/incidents/{ref}", key, anchor)


def _do(request: Request, svc: Services, who: Principal, ref: str, anchor: str,
        action: Any, *args: Any, key: str = "") -> Response:
    """Run one service call; a refusal re-renders the page with the service's own words."""
    try:
        action(*args)
    except DomainError as exc:
        return _incident(request, svc, who, ref, exc.detail, exc.status_code)
    return _back(ref, anchor, key)


@router.post("/incidents/{ref}/updates")
def post_status_update(request: Request, ref: str, svc: Svc, who: FormUser,
                       audience: Text = "internal", template: Text = "", body: Text = "",
                       action: Text = "post") -> Response:
    values = {"audience": audience, "template": template, "body": body}
    if action == "preview":
        try:
            preview = updates_api.preview(ref, updates_api.PreviewBody(
                audience=audience, template=template or None, body=body or None), svc, who)
        except (DomainError, ValueError) as exc:
            return _incident(request, svc, who, ref, str(getattr(exc, "detail", exc)), 422,
                             {"update": values})
        return _incident(request, svc, who, ref, "", 200,
                         {"update": values, "preview": preview})
    try:
        post_update(svc.runtime, who, ref, UpdateRequest(
            audience=audience, body=body.strip() or None, template=template or None))
    except DomainError as exc:
        return _incident(request, svc, who, ref, exc.detail, exc.status_code,
                         {"update": values})
    return _back(ref, "#updates-h", "update")


@router.post("/incidents/{ref}/escalate")
def escalate_now(request: Request, ref: str, svc: Svc, who: FormUser,
                 reason: Text = "") -> Response:
    return _do(request, svc, who, ref, "", commands.escalate_now, svc.runtime, who, ref,
               reason.strip(), key="escalated")


@router.post("/incidents/{ref}/runbooks")
def attach_runbook(request: Request, ref: str, svc: Svc, who: FormUser,
                   runbook: Text = "") -> Response:
    return _do(request, svc, who, ref, "#runbooks-h", AttachmentService(svc.runtime).attach,
               who, ref, runbook, key="attached")


@router.post("/incidents/{ref}/runs")
def start_run(request: Request, ref: str, svc: Svc, who: FormUser,
              runbook: Text = "") -> Response:
    return _do(request, svc, who, ref, "#runbooks-h", RunService(svc.runtime).start, who,
               runbook, ref, {}, key="run_started")


@router.post("/incidents/{ref}/runs/{run_id}/steps/{step_id}/{verb}")
def step_action(request: Request, ref: str, run_id: str, step_id: str, verb: str, svc: Svc,
                who: FormUser, note: Text = "", reason: Text = "") -> Response:
    runs = RunService(svc.runtime)
    anchor = f"#step-{run_id}-{step_id}"
    if verb == "run":
        return _do(request, svc, who, ref, anchor, runs.run_step, who, run_id, step_id, {},
                   key="step_run")
    if verb == "retry":
        return _do(request, svc, who, ref, anchor, runs.run_step, who, run_id, step_id, {},
                   True, key="step_retry")
    if verb == "done":
        return _do(request, svc, who, ref, anchor, runs.mark_done, who, run_id, step_id,
                   note.strip() or "done by hand from the console", key="step_done")
    if verb == "skip":
        return _do(request, svc, who, ref, anchor, runs.skip, who, run_id, step_id,
                   reason.strip(), key="step_skip")
    if verb == "approval":
        return _do(request, svc, who, ref, anchor, ApprovalService(svc.runtime).request,
                   who, run_id, step_id, reason.strip() or "requested from the console",
                   key="step_approval")
    return _incident(request, svc, who, ref, f"unknown step action {verb!r}; use run, "
                     "retry, done, skip or approval", 404)


@router.post("/incidents/{ref}/approvals/{request_id}/{verb}")
def decide(request: Request, ref: str, request_id: str, verb: str, svc: Svc, who: FormUser,
           reason: Text = "") -> Response:
    approvals = ApprovalService(svc.runtime)
    if verb == "approve":
        return _do(request, svc, who, ref, "#runbooks-h", approvals.approve, who, request_id,
                   reason.strip(), key="approved")
    if verb == "deny":
        return _do(request, svc, who, ref, "#runbooks-h", approvals.deny, who, request_id,
                   reason.strip(), key="denied")
    return _incident(request, svc, who, ref, f"unknown decision {verb!r}; use approve or "
                     "deny", 404)

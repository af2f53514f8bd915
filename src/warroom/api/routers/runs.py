"""/api/v1/runs: start runbook runs, list their steps, run / finish / skip / retry a step,
and read step output artifacts. Steps run synchronously within their timeout."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from warroom.api.deps import Services, principal, services
from warroom.api.openapi import other_media
from warroom.api.presenters import event_json
from warroom.api.routers.approvals import seen_by
from warroom.api.types import Name, Text
from warroom.runbooks import reverts
from warroom.runbooks.approvals import ApprovalService
from warroom.runbooks.registry import registry
from warroom.runbooks.runs import RunService, StepState, load_run
from warroom.runbooks.views import run_json, step_json
from warroom.services.principal import Principal
from warroom.store import db

router = APIRouter(prefix="/api/v1", tags=["runs"])
Caller = Annotated[Principal | None, Depends(principal)]
Svc = Annotated[Services, Depends(services)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StartBody(Body):
    runbook: Name
    incident: Name | None = None
    params: dict[Name, Text] = {}


class RunStepBody(Body):
    params: dict[Name, Text] = {}


class NoteBody(Body):
    note: str = Field(min_length=1, max_length=20000)


class ReasonBody(Body):
    reason: str = Field(min_length=1, max_length=20000)


def _step(svc: Services, run_id: str, state: StepState) -> dict[str, Any]:
    with db.read(svc.runtime.engine) as conn:
        runbook_id = load_run(conn, run_id).runbook_id
    rb = registry(svc.runtime).get(runbook_id)
    return step_json(rb.step(state.step_id) if rb else None, state)


@router.post("/runs", status_code=201, summary="Start a run (on an incident or standalone)")
def start(body: StartBody, svc: Svc, caller: Caller, response: Response) -> dict[str, Any]:
    runs = RunService(svc.runtime)
    run = runs.start(caller, body.runbook, body.incident, body.params)
    record, steps = runs.get(caller, run.id)
    response.headers["Location"] = f"/api/v1/runs/{run.id}"
    return run_json(record, registry(svc.runtime).get(run.runbook_id), steps)


@router.get("/runs", summary="Runs, newest first (history of scheduled runbooks too)")
def list_runs(svc: Svc, caller: Caller, runbook: str | None = None,
              incident: str | None = None,
              limit: int = Query(50, ge=1, le=500)) -> dict[str, Any]:
    reg = registry(svc.runtime)
    runs = RunService(svc.runtime)
    items = []
    for run in runs.list_runs(caller, runbook, incident, limit):
        _, steps = runs.get(caller, run.id)
        items.append(run_json(run, reg.get(run.runbook_id), steps))
    return {"items": items, "count": len(items)}


@router.get("/runs/{run_id}", summary="One run with every step's state and revert deadlines")
def get_run(run_id: str, svc: Svc, caller: Caller) -> dict[str, Any]:
    run, steps = RunService(svc.runtime).get(caller, run_id)
    with db.read(svc.runtime.engine) as conn:
        deadlines = reverts.deadlines(conn, run.id)
    requests = ApprovalService(svc.runtime).list_requests(caller, None, run.id, 100)
    return run_json(run, registry(svc.runtime).get(run.runbook_id), steps) | {
        "revert_deadlines": deadlines,
        "approvals": [seen_by(svc, caller, r) for r in requests]}


@router.get("/runs/{run_id}/events", summary="The run's events (incident timeline or own chain)")
def run_events(run_id: str, svc: Svc, caller: Caller) -> dict[str, Any]:
    events = RunService(svc.runtime).events(caller, run_id)
    return {"run_id": run_id, "events": [event_json(e) for e in events]}


@router.post("/runs/{run_id}/steps/{step_id}/run", summary="Run a step now")
def run_step(run_id: str, step_id: str, svc: Svc, caller: Caller,
             body: RunStepBody | None = None) -> dict[str, Any]:
    state = RunService(svc.runtime).run_step(caller, run_id, step_id,
                                             body.params if body else {})
    return _step(svc, run_id, state)


@router.post("/runs/{run_id}/steps/{step_id}/retry", summary="Run a failed or skipped step again")
def retry_step(run_id: str, step_id: str, svc: Svc, caller: Caller,
               body: RunStepBody | None = None) -> dict[str, Any]:
    state = RunService(svc.runtime).run_step(caller, run_id, step_id,
                                             body.params if body else {}, retry=True)
    return _step(svc, run_id, state)


@router.post("/runs/{run_id}/steps/{step_id}/done", summary="Mark a step done by hand")
def done_step(run_id: str, step_id: str, body: NoteBody, svc: Svc,
              caller: Caller) -> dict[str, Any]:
    state = RunService(svc.runtime).mark_done(caller, run_id, step_id, body.note)
    return _step(svc, run_id, state)


@router.post("/runs/{run_id}/steps/{step_id}/skip", summary="Skip a step, with a reason")
def skip_step(run_id: str, step_id: str, body: ReasonBody, svc: Svc,
              caller: Caller) -> dict[str, Any]:
    state = RunService(svc.runtime).skip(caller, run_id, step_id, body.reason)
    return _step(svc, run_id, state)


@router.post("/runs/{run_id}/steps/{step_id}/approval", status_code=201,
             summary="Request approval to run a gated step")
def request_approval(run_id: str, step_id: str, body: ReasonBody, svc: Svc,
                     caller: Caller) -> dict[str, Any]:
    return seen_by(svc, caller, ApprovalService(svc.runtime).request(caller, run_id, step_id,
                                                                      body.reason))


@router.get("/artifacts/{sha256}", summary="Stored step output by its sha256",
            response_class=Response, responses=other_media("text/plain; charset=utf-8"))
def artifact(sha256: str, svc: Svc, caller: Caller) -> Response:
    content = RunService(svc.runtime).artifact(caller, sha256)
    return Response(content, media_type="text/plain; charset=utf-8",
                    headers={"ETag": f'"{sha256.lower()}"'})

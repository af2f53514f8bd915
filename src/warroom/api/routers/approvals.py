"""/api/v1/approvals: pending requests, and approve / deny / revoke."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from warroom.api.deps import Services, principal, services
from warroom.runbooks.approvals import ApprovalRequest, ApprovalService
from warroom.runbooks.views import approval_json
from warroom.services.principal import Principal

router = APIRouter(prefix="/api/v1/approvals", tags=["approvals"])
Caller = Annotated[Principal | None, Depends(principal)]
Svc = Annotated[Services, Depends(services)]


def seen_by(svc: Services, caller: Principal | None, req: ApprovalRequest) -> dict[str, Any]:
    """A request with what `caller` needs to decide: command, target, may they approve."""
    return approval_json(req, ApprovalService(svc.runtime).view(caller, req))


class DecisionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field("", max_length=20000)


@router.get("", summary="Approval requests, newest first")
def list_requests(svc: Svc, caller: Caller, status: str | None = None,
                  run: str | None = None, incident: str | None = None,
                  limit: int = Query(100, ge=1, le=1000)) -> dict[str, Any]:
    """Each item carries the rendered command, its target and whether the caller can
    approve it (`can_approve`, `cannot_approve_reason`)."""
    items = ApprovalService(svc.runtime).list_requests(caller, status, run, limit, incident)
    return {"items": [seen_by(svc, caller, r) for r in items], "count": len(items)}


@router.get("/{request_id}", summary="One approval request with its decisions")
def get_request(request_id: str, svc: Svc, caller: Caller) -> dict[str, Any]:
    return seen_by(svc, caller, ApprovalService(svc.runtime).get(caller, request_id))


@router.post("/{request_id}/approve", summary="Approve (not your own request)")
def approve(request_id: str, svc: Svc, caller: Caller,
            body: DecisionBody | None = None) -> dict[str, Any]:
    return seen_by(svc, caller, ApprovalService(svc.runtime).approve(
        caller, request_id, body.reason if body else ""))


@router.post("/{request_id}/deny", summary="Deny, with a reason")
def deny(request_id: str, body: DecisionBody, svc: Svc, caller: Caller) -> dict[str, Any]:
    return seen_by(svc, caller, ApprovalService(svc.runtime).deny(caller, request_id,
                                                                   body.reason))


@router.post("/{request_id}/revoke", summary="Withdraw your approval before the step runs")
def revoke(request_id: str, svc: Svc, caller: Caller,
           body: DecisionBody | None = None) -> dict[str, Any]:
    return seen_by(svc, caller, ApprovalService(svc.runtime).revoke(
        caller, request_id, body.reason if body else ""))

"""/api/v1/notifications: the outbox for admins, dead letters and manual retries."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from warroom.api.deps import Services, principal, services
from warroom.api.types import RowId
from warroom.clock import isoformat
from warroom.domain.errors import Conflict, InvalidCommand, NotFound
from warroom.engine import outbox
from warroom.services.principal import Principal, require

router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])
Caller = Annotated[Principal | None, Depends(principal)]
Svc = Annotated[Services, Depends(services)]
STATUSES = ("pending", "sending", "sent", "failed", "dead")


def _json(row: dict[str, Any]) -> dict[str, Any]:
    return {k: isoformat(v) if hasattr(v, "tzinfo") and v is not None else v
            for k, v in row.items()}


@router.get("", summary="Outbox rows, newest first (?status=dead for dead letters)")
def list_notifications(svc: Svc, caller: Caller, status: str | None = None,
                       limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, Any]:
    require(caller, "admin", "reading the notification outbox")
    if status is not None and status not in STATUSES:
        raise InvalidCommand(f"unknown status {status!r}; use one of {', '.join(STATUSES)}")
    return {"items": [_json(r) for r in outbox.list_rows(svc.runtime, status, limit)],
            "depth": outbox.depth(svc.runtime)}


@router.post("/{row_id}/retry", summary="Retry a dead-lettered notification")
def retry(row_id: RowId, svc: Svc, caller: Caller) -> dict[str, Any]:
    require(caller, "admin", "retrying notifications")
    if not outbox.retry_dead(svc.runtime, row_id):
        raise Conflict(f"notification {row_id} is not a dead letter (or does not exist); "
                       "list them with GET /api/v1/notifications?status=dead")
    return {"id": row_id, "status": "pending"}


@router.get("/{row_id}/attempts", summary="Every delivery attempt of one notification")
def list_attempts(row_id: int, svc: Svc, caller: Caller) -> dict[str, Any]:
    require(caller, "admin", "reading the notification outbox")
    found = outbox.attempts(svc.runtime, row_id)
    if found is None:
        raise NotFound(f"no notification {row_id}; list them with GET /api/v1/notifications")
    return {"id": row_id, "items": [_json(a) for a in found]}

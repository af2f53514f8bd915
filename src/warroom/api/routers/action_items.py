"""/api/v1/incidents/{ref}/action-items and /api/v1/action-items: follow-up tracking."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from warroom.api.deps import Services, principal, services
from warroom.api.types import Line, Name, RowId
from warroom.evidence.action_items import ActionItemService
from warroom.services.principal import Principal

router = APIRouter(prefix="/api/v1", tags=["action items"])
Caller = Annotated[Principal | None, Depends(principal)]
Svc = Annotated[Services, Depends(services)]
Status = Literal["open", "in_progress", "done", "wontfix"]
Priority = Literal["P0", "P1", "P2", "P3"]


class CreateBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=1000)
    owner: Name | None = None
    due_at: Line | None = Field(None, description="ISO instant or YYYY-MM-DD")
    priority: Priority = "P2"
    status: Status = "open"
    external_url: Line | None = None


class UpdateBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(None, min_length=1, max_length=1000)
    owner: Name | None = None
    due_at: Line | None = None
    priority: Priority | None = None
    status: Status | None = None
    external_url: Line | None = None


def _items(svc: Services, items: list[Any]) -> dict[str, Any]:
    now = svc.runtime.clock.now()
    return {"items": [i.to_json(now) for i in items]}


@router.get("/incidents/{ref}/action-items", summary="Action items of one incident")
def incident_items(ref: str, svc: Svc, caller: Caller) -> dict[str, Any]:
    return _items(svc, ActionItemService(svc.runtime).list(caller, ref))


@router.post("/incidents/{ref}/action-items", status_code=201, summary="Create an item")
def create_item(ref: str, body: CreateBody, svc: Svc, caller: Caller) -> dict[str, Any]:
    item = ActionItemService(svc.runtime).create(caller, ref, body.model_dump(exclude_none=True))
    return item.to_json(svc.runtime.clock.now())


@router.post("/incidents/{ref}/action-items/from-postmortem", status_code=201,
             summary="Create items from the postmortem's Action Items list")
def items_from_postmortem(ref: str, svc: Svc, caller: Caller) -> dict[str, Any]:
    return _items(svc, ActionItemService(svc.runtime).create_from_postmortem(caller, ref))


@router.get("/action-items", summary="Action items across incidents")
def all_items(svc: Svc, caller: Caller, status: Status | None = None,
              owner: str | None = None) -> dict[str, Any]:
    return _items(svc, ActionItemService(svc.runtime).list(caller, None, status, owner))


@router.get("/action-items/{item_id}", summary="One action item")
def get_item(item_id: RowId, svc: Svc, caller: Caller) -> dict[str, Any]:
    return ActionItemService(svc.runtime).get(caller, item_id).to_json(svc.runtime.clock.now())


@router.patch("/action-items/{item_id}", summary="Update fields of an action item")
def update_item(item_id: RowId, body: UpdateBody, svc: Svc, caller: Caller) -> dict[str, Any]:
    values = body.model_dump(exclude_unset=True)
    item = ActionItemService(svc.runtime).update(caller, item_id, values)
    return item.to_json(svc.runtime.clock.now())

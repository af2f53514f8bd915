"""/api/v1/silences: create, list and expire silences."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from warroom.api.deps import Services, principal, services
from warroom.api.types import Instant, Line, Text
from warroom.domain.errors import InvalidCommand
from warroom.intake import silences as store
from warroom.routing.duration import Duration
from warroom.routing.silences import SilenceSpec
from warroom.services.principal import Principal, require

router = APIRouter(prefix="/api/v1/silences", tags=["intake"])
Caller = Annotated[Principal | None, Depends(principal)]
Svc = Annotated[Services, Depends(services)]


class SilenceBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    matchers: list[Line] = Field(min_length=1, examples=[['alertname="DiskFull"']])
    starts_at: Instant | None = Field(None, description="default: now")
    ends_at: Instant | None = None
    duration: Duration | None = Field(None, description="instead of ends_at, e.g. 2h")
    comment: Text = Field(min_length=1)


@router.get("", summary="Silences: active and pending, or all with ?all=true")
def list_silences(svc: Svc, caller: Caller, all: bool = False) -> dict[str, Any]:
    require(caller, "viewer", "listing silences")
    now = svc.runtime.clock.now()
    with svc.runtime.engine.connect() as conn:
        found = store.list_silences(conn, now, include_expired=all)
    return {"items": [store.silence_json(s, now) for s in found]}


@router.post("", status_code=201, summary="Create a silence")
def create_silence(body: SilenceBody, svc: Svc, caller: Caller) -> dict[str, Any]:
    who = require(caller, "responder", "creating a silence")
    now = svc.runtime.clock.now()
    starts = body.starts_at or now
    ends = body.ends_at or (starts + (body.duration or timedelta(hours=1)))
    try:
        spec = SilenceSpec(matchers=body.matchers, starts_at=starts,  # type: ignore[arg-type]
                           ends_at=ends, created_by=who.name, comment=body.comment)
    except ValidationError as exc:
        raise InvalidCommand("; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'silence'}: {e['msg']}" for e in exc.errors())
        ) from None
    with svc.runtime.engine.begin() as conn:
        silence = store.create(conn, spec, now)
    return store.silence_json(silence, now)


@router.get("/{silence_id}", summary="One silence")
def get_silence(silence_id: str, svc: Svc, caller: Caller) -> dict[str, Any]:
    require(caller, "viewer", "reading silences")
    with svc.runtime.engine.connect() as conn:
        silence = store.get(conn, silence_id)
    return store.silence_json(silence, svc.runtime.clock.now())


@router.post("/{silence_id}/expire", summary="End a silence now")
def expire_silence(silence_id: str, svc: Svc, caller: Caller) -> dict[str, Any]:
    who = require(caller, "responder", "expiring a silence")
    now = svc.runtime.clock.now()
    with svc.runtime.engine.begin() as conn:
        silence = store.expire(conn, silence_id, who.name, now)
    return store.silence_json(silence, now)

"""/api/v1/live: Server-Sent Events of committed incident changes, filtered per caller."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from starlette.responses import StreamingResponse

from warroom.api.deps import Services, principal, services
from warroom.services.principal import Principal, require
from warroom.web.broadcast import Broadcaster, live_broadcaster

router = APIRouter(prefix="/api/v1", tags=["live"])
Caller = Annotated[Principal | None, Depends(principal)]
Svc = Annotated[Services, Depends(services)]


@router.get("/live", summary="Live incident changes (text/event-stream)",
            response_class=StreamingResponse)
def live(svc: Svc, caller: Caller,
         incident: str | None = Query(None, description="only this incident (human or "
                                                        "internal id)")) -> StreamingResponse:
    who = require(caller, "viewer", "following live updates")
    incident_id = svc.incidents.get(who, incident).id if incident else None
    broadcaster = live_broadcaster(svc.runtime)
    return StreamingResponse(_stream(broadcaster, who, incident_id),
                             media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


async def _stream(broadcaster: Broadcaster, who: Principal,
                  incident_id: str | None) -> AsyncIterator[str]:
    # Subscribing here, on the event loop, ties the subscriber's queue to that loop.
    sub = broadcaster.subscribe(who, incident_id)
    async for chunk in broadcaster.stream(sub):
        yield chunk

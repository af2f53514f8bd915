"""/api/v1/oncall, /api/v1/schedules/...: who is on call, shifts over a range, iCal feeds and
runtime overrides."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from warroom.api.deps import Services, principal, services
from warroom.api.openapi import other_media
from warroom.api.types import Instant, Name
from warroom.domain.errors import NotFound
from warroom.paging import rota
from warroom.services.principal import Principal

router = APIRouter(tags=["oncall"])
Caller = Annotated[Principal | None, Depends(principal)]
Svc = Annotated[Services, Depends(services)]
ICAL = "text/calendar; charset=utf-8"
# The secret URL itself authorises reading one user's shifts, and nothing else.
FEED_READER = Principal(name="ical-feed", role="viewer", via="ical")


class OverrideBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user: Name
    start: Instant
    end: Instant
    reason: str = Field("", max_length=500)


@router.get("/api/v1/oncall", summary="Who is on call per schedule (now, or ?at=)")
def oncall(svc: Svc, caller: Caller, at: Instant | None = None,
           schedule: str | None = None) -> dict[str, Any]:
    return rota.who(svc.runtime, caller, at, schedule)


@router.get("/api/v1/schedules/{name}.ics", summary="iCal feed of a schedule",
            response_class=Response, responses=other_media(ICAL))
def schedule_ics(name: str, svc: Svc, caller: Caller, start: Instant | None = None,
                 end: Instant | None = None) -> Response:
    return Response(rota.schedule_ics(svc.runtime, caller, name, start, end), media_type=ICAL)


@router.get("/api/v1/schedules/{name}/oncall", summary="Shifts of a schedule over a range")
def schedule_oncall(name: str, svc: Svc, caller: Caller,
                    start: Annotated[Instant | None, Query()] = None,
                    end: Annotated[Instant | None, Query()] = None) -> dict[str, Any]:
    return rota.between(svc.runtime, caller, name, start, end)


@router.get("/api/v1/schedules/{name}/overrides", summary="Config and runtime overrides")
def list_overrides(name: str, svc: Svc, caller: Caller) -> dict[str, Any]:
    return {"overrides": rota.overrides(svc.runtime, caller, name)}


@router.post("/api/v1/schedules/{name}/overrides", status_code=201,
             summary="Put someone on call for a while (beats the layers)")
def add_override(name: str, body: OverrideBody, svc: Svc, caller: Caller) -> dict[str, Any]:
    return rota.add_override(svc.runtime, caller, name, user=body.user, start=body.start,
                             end=body.end, reason=body.reason)


@router.get("/api/v1/users/{user}/oncall.ics", summary="iCal feed of one user's shifts",
            response_class=Response, responses=other_media(ICAL))
def user_ics(user: str, svc: Svc, caller: Caller, start: Instant | None = None,
             end: Instant | None = None) -> Response:
    return Response(rota.user_ics(svc.runtime, caller, user, start, end), media_type=ICAL)


def feed_url(svc: Services, secret: str) -> str:
    return f"{svc.runtime.settings.public_url}/ical/{secret}.ics"


@router.post("/api/v1/users/{user}/ical-feed", status_code=201,
             summary="A secret calendar feed URL of the user's shifts (shown once)")
def issue_feed(user: str, svc: Svc, caller: Caller) -> dict[str, Any]:
    secret = svc.users.issue_feed(caller, user)
    return {"user": user, "url": feed_url(svc, secret),
            "note": "anyone with this URL sees your shifts; it is not shown again, and "
                    "issuing a new one or revoking stops this one"}


@router.delete("/api/v1/users/{user}/ical-feed", summary="Revoke the user's calendar feed URL")
def revoke_feed(user: str, svc: Svc, caller: Caller) -> dict[str, Any]:
    return {"user": user, "revoked": svc.users.revoke_feed(caller, user)}


@router.get("/ical/{secret}.ics", summary="A user's shifts through their secret feed URL (no "
            "bearer header, for calendar apps)", response_class=Response,
            responses=other_media(ICAL))
def secret_feed(secret: str, svc: Svc, start: Instant | None = None,
                end: Instant | None = None) -> Response:
    user = svc.users.feed_user(secret)
    if user is None:
        raise NotFound("no calendar feed at this URL; it may have been revoked")
    body = rota.user_ics(svc.runtime, FEED_READER, user, start, end)
    return Response(body, media_type=ICAL, headers={"Cache-Control": "private, no-store"})

"""/api/v2: the read side of the Alertmanager API (alerts, silences, status, receivers) for
`amtool` and Grafana, behind the same bearer key as intake (`POST /api/v2/alerts`, served by
the intake fast path). A user's API token works too."""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from pydantic import ValidationError

from warroom import __version__
from warroom.api.deps import Services, principal, services
from warroom.clock import parse_instant
from warroom.domain.errors import DomainError, InvalidCommand, Unauthenticated
from warroom.intake import alertmanager_api as am
from warroom.intake import silences as store
from warroom.intake.asgi import ACCEPTS, Intake
from warroom.routing.silences import SilenceSpec
from warroom.services.principal import Principal, require
from warroom.store.alerts import alerts
from warroom.store.incidents import visibility_clause
from warroom.store.schema import incidents


class AmRoute(APIRoute):
    """Errors as Alertmanager answers them: a JSON string naming the problem, with 400 for
    any invalid input. amtool's client reads only application/json; it prints such a 400 as
    "bad request: <message>" and cannot read application/problem+json at all."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def alertmanager_errors(request: Request) -> Response:
            headers: dict[str, str] = {}
            try:
                return await handler(request)
            except DomainError as exc:
                status, detail = exc.status_code, exc.detail
                if status == 401:
                    headers["WWW-Authenticate"] = 'Bearer realm="warroom"'
            except RequestValidationError as exc:
                status = 400
                detail = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                                   for e in exc.errors())
            return JSONResponse(detail, status_code=400 if status == 422 else status,
                                headers=headers)

        return alertmanager_errors


def _error(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"type": "string"}}}}


# Declared here so the OpenAPI document tells the truth: these answer JSON strings (the input
# guard in front may still answer problem+json, which openapi.declare_problems adds).
ERRORS: dict[int | str, dict[str, Any]] = {
    400: _error("Invalid input: a matcher, a time, a field of the silence"),
    401: _error("No key of an alertmanager or prometheus integration, and no API token"),
    403: _error("The API token's role is too low"),
    404: _error("No such silence"),
}


router = APIRouter(prefix="/api/v2", tags=["alertmanager"], route_class=AmRoute,
                   responses=ERRORS)
Svc = Annotated[Services, Depends(services)]
MAX_ALERTS = 10000
_STARTED = time.time()


@dataclass(frozen=True)
class AmCaller:
    """Who calls: an Alertmanager/Prometheus integration (by its key) or a user (token)."""

    name: str
    user: Principal | None = None

    def may_write(self) -> None:
        if self.user is not None:
            require(self.user, "responder", "changing silences")


def am_caller(request: Request, svc: Svc) -> AmCaller:
    auth = request.headers.get("authorization", "")
    key = auth[7:].strip() if auth[:7].lower() == "bearer " else ""
    if key:
        found = Intake.of(svc.runtime).registry.by_key(key)
        if found is not None and found.kind in ACCEPTS["prometheus"]:
            return AmCaller(f"integration:{found.name}")
    user = principal(request)
    if user is None:
        raise Unauthenticated("the Alertmanager API needs 'Authorization: Bearer <key>' with "
                              "the key of an alertmanager or prometheus integration (`warroom "
                              "integration list`), or an API token")
    require(user, "viewer", "reading the Alertmanager API")
    return AmCaller(user.name, user)


Caller = Annotated[AmCaller, Depends(am_caller)]


def _input(exc: am.ApiInputError) -> InvalidCommand:
    return InvalidCommand(str(exc))


@router.get("/alerts", summary="Firing alerts, as Alertmanager lists them")
def list_alerts(svc: Svc, caller: Caller,
                filter: Annotated[list[str] | None, Query()] = None,
                active: bool = True, silenced: bool = True, inhibited: bool = True,
                unprocessed: bool = True,
                receiver: str | None = None) -> list[dict[str, Any]]:
    try:
        wanted = am.AlertFilter(tuple(am.filter_matchers(filter or [])), active, silenced,
                                inhibited, unprocessed, am.receiver_pattern(receiver))
    except am.ApiInputError as exc:
        raise _input(exc) from None
    who = caller.user
    # Alerts of restricted incidents follow the incident: an integration key sees none.
    visible = visibility_clause(who.name if who else None,
                                who.sees_restricted if who else False)
    query = (sa.select(alerts).select_from(alerts.outerjoin(
        incidents, incidents.c.id == alerts.c.incident_id))
        .where(alerts.c.status == "firing",
               sa.or_(alerts.c.incident_id.is_(None), visible))
        .order_by(alerts.c.id).limit(MAX_ALERTS))
    now = svc.runtime.clock.now()
    with svc.runtime.engine.connect() as conn:
        rows = conn.execute(query).all()
        live = store.load_active(conn, now)
    return am.alerts_json(rows, wanted, now, live)


@router.get("/silences", summary="Silences, as Alertmanager lists them")
def list_silences(svc: Svc, caller: Caller,
                  filter: Annotated[list[str] | None, Query()] = None) -> list[dict[str, Any]]:
    try:
        matchers = am.filter_matchers(filter or [])
    except am.ApiInputError as exc:
        raise _input(exc) from None
    now = svc.runtime.clock.now()
    with svc.runtime.engine.connect() as conn:
        found = store.list_silences(conn, now, include_expired=True)
    return am.silences_json(found, matchers, now)


@router.get("/silence/{silence_id}", summary="One silence")
def get_silence(silence_id: str, svc: Svc, caller: Caller) -> dict[str, Any]:
    now = svc.runtime.clock.now()
    with svc.runtime.engine.connect() as conn:
        silence = store.get(conn, silence_id)
    return am.silence_json(silence, now)


def _instant(body: dict[str, Any], field: str) -> datetime | None:
    raw = body.get(field)
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise InvalidCommand(f"{field}: must be an RFC 3339 time, e.g. 2026-01-05T09:00:00Z")
    try:
        return parse_instant(raw)
    except ValueError:
        raise InvalidCommand(f"{field}: {raw!r} is not an RFC 3339 time, e.g. "
                             "2026-01-05T09:00:00Z") from None


@router.post("/silences", summary="Create (or, with an id, replace) a silence")
async def post_silence(request: Request, svc: Svc, caller: Caller) -> dict[str, Any]:
    caller.may_write()
    try:
        body = await request.json()
    except ValueError:
        raise InvalidCommand("body: not valid JSON; send a postableSilence object") from None
    if not isinstance(body, dict):
        raise InvalidCommand("body: must be a JSON object (a postableSilence)")
    raw_matchers = body.get("matchers")
    if not isinstance(raw_matchers, list) or not raw_matchers:
        raise InvalidCommand("matchers: a silence needs at least one matcher")
    try:
        matchers = [am.matcher_from_json(m, f"matchers[{i}]")
                    for i, m in enumerate(raw_matchers)]
    except am.ApiInputError as exc:
        raise _input(exc) from None
    now = svc.runtime.clock.now()
    starts, ends = _instant(body, "startsAt") or now, _instant(body, "endsAt")
    if ends is None:
        raise InvalidCommand("endsAt: required")
    created_by = body.get("createdBy") or caller.name
    comment = body.get("comment")
    if not isinstance(created_by, str) or not isinstance(comment, str) or not comment.strip():
        raise InvalidCommand("comment: required, and createdBy must be a string")
    try:
        spec = SilenceSpec(matchers=[str(m) for m in matchers],  # type: ignore[arg-type]
                           starts_at=max(starts, now) if body.get("id") else starts,
                           ends_at=ends, created_by=created_by[:64], comment=comment)
    except ValidationError as exc:
        raise InvalidCommand("; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'silence'}: {e['msg']}" for e in exc.errors())
        ) from None
    replaces = body.get("id")
    with svc.runtime.engine.begin() as conn:
        if replaces:
            # Alertmanager's update: the old silence ends now, a new one takes its place.
            old = store.get(conn, str(replaces))
            if old.ends_at > now:
                store.expire(conn, old.id, caller.name[:64], now)
        silence = store.create(conn, spec, now)
    return {"silenceID": silence.id}


@router.delete("/silence/{silence_id}", summary="Expire a silence")
def delete_silence(silence_id: str, svc: Svc, caller: Caller) -> dict[str, Any]:
    caller.may_write()
    now = svc.runtime.clock.now()
    with svc.runtime.engine.begin() as conn:
        current = store.get(conn, silence_id)
        if current.ends_at > now:
            store.expire(conn, silence_id, caller.name[:64], now)
    return {}


@router.get("/status", summary="Alertmanager-style status: version, uptime, config")
def status(svc: Svc, caller: Caller) -> dict[str, Any]:
    names = [s.name for s in svc.runtime.config.services] + [am.UNROUTED]
    config = ("# warroom routes alerts itself; its receivers are its services\n"
              "route:\n  receiver: " + am.UNROUTED + "\nreceivers:\n"
              + "\n".join(f"  - name: {name}" for name in names) + "\n")
    return am.status_json(__version__, datetime.fromtimestamp(_STARTED).astimezone(),
                          config)


@router.get("/receivers", summary="Receivers: warroom's services (where alerts route)")
def receivers(svc: Svc, caller: Caller) -> list[dict[str, str]]:
    names = [s.name for s in svc.runtime.config.services]
    return [{"name": name} for name in [*names, am.UNROUTED]]


"""On-call pages: who is on call now, the coming two weeks, overrides (listed and created),
and the escalation policies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import RedirectResponse, Response

from warroom.api.deps import Services, services
from warroom.domain.errors import DomainError, InvalidCommand
from warroom.domain.schedules import first_instant_at
from warroom.paging import rota
from warroom.paging.directory import directory
from warroom.services.principal import Principal
from warroom.web.rota import escalation_policies, oncall_view
from warroom.web.session import FormUser, PageUser
from warroom.web.templating import render

router = APIRouter(include_in_schema=False)
Svc = Annotated[Services, Depends(services)]
Text = Annotated[str, Form()]
CALENDAR_DAYS = 14


def _page(request: Request, svc: Services, who: Principal, *, error: str = "",
          values: dict[str, str] | None = None, status_code: int = 200) -> Response:
    runtime = svc.runtime
    found = directory(runtime)
    view = oncall_view(runtime, who, runtime.clock.now(), CALENDAR_DAYS)
    return render(request, "oncall.html", {
        "now_rows": view["now"], "calendar": view["calendar"], "overrides": view["overrides"],
        "schedules": [{"name": name, "time_zone": s.time_zone}
                      for name, s in found.schedules.items()],
        "people": list(found.display_names.items()),
        "can_act": who.at_least("responder"), "error": error, "values": values or {},
        "twin": "/api/v1/console/oncall"}, who, status_code=status_code)


@router.get("/oncall")
def oncall(request: Request, svc: Svc, who: PageUser) -> Response:
    return _page(request, svc, who)


def _wall_time(text: str, zone: ZoneInfo, field: str) -> datetime:
    """A datetime-local value read in `zone` (the skipped spring hour means the jump, the
    repeated autumn hour its first occurrence, as for config overrides)."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidCommand(f"{field}: enter a date and time such as 2026-02-14T18:00 "
                             f"(got {text.strip()!r})") from None
    if value.tzinfo is not None:
        return value
    return first_instant_at(value.date(), value.time(), zone)


@router.post("/oncall/overrides")
def create_override(request: Request, svc: Svc, who: FormUser, schedule: Text = "",
                    user: Text = "", start: Text = "", end: Text = "",
                    reason: Text = "") -> Response:
    values = {"schedule": schedule, "user": user, "start": start, "end": end,
              "reason": reason}
    configured = directory(svc.runtime).schedules.get(schedule)
    # An unknown schedule is refused by add_override, with the list of known ones.
    zone = ZoneInfo(configured.time_zone if configured else "UTC")
    try:
        rota.add_override(svc.runtime, who, schedule, user=user.strip(),
                          start=_wall_time(start, zone, "start"),
                          end=_wall_time(end, zone, "end"), reason=reason.strip())
    except DomainError as exc:
        return _page(request, svc, who, error=f"Override not created: {exc.detail}",
                     values=values, status_code=exc.status_code)
    return RedirectResponse("/oncall#overrides-h", status_code=303)


@router.get("/escalation-policies")
def policies(request: Request, svc: Svc, who: PageUser) -> Response:
    return render(request, "policies.html", {
        "policies": escalation_policies(svc.runtime),
        "twin": "/api/v1/console/escalation-policies"}, who)

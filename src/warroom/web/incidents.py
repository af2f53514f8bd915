"""Incident pages: the filtered list, declaring, one incident's page and its action forms."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from starlette.responses import RedirectResponse, Response

from warroom.api.deps import Services, services
from warroom.api.presenters import incident_json
from warroom.domain import incident as dom
from warroom.domain.errors import DomainError, InvalidCommand
from warroom.domain.incident import ACTIVE_STATUSES, STATUSES
from warroom.services.principal import Principal
from warroom.store.incidents import COUNT_CAP, IncidentFilter
from warroom.web.session import FormUser, PageUser
from warroom.web.templating import render
from warroom.web.timeline import timeline_rows

router = APIRouter(include_in_schema=False)
Svc = Annotated[Services, Depends(services)]
Text = Annotated[str, Form()]
PAGE_SIZE = 50
STATE_FILTERS = {"open": list(ACTIVE_STATUSES), "resolved": ["resolved", "closed"], "all": []}


@router.get("/incidents")
def incident_list(
    request: Request, svc: Svc, who: PageUser,
    state: str = "open", severity: Annotated[list[str], Query()] = [],  # noqa: B006
    service: str = "", type: str = "", q: str = "", cursor: str = "",
) -> Response:
    statuses = STATE_FILTERS.get(state, [state] if state in STATUSES else [])
    flt = IncidentFilter(status=statuses, severity=[s for s in severity if s],
                         service=service or None, type=type or None, text=q.strip() or None)
    try:
        items, next_cursor = svc.incidents.list(who, flt, PAGE_SIZE, cursor or None)
    except ValueError as exc:
        raise InvalidCommand(str(exc)) from exc
    now = svc.runtime.clock.now()
    params: list[tuple[str, str]] = [("state", state), ("service", service), ("type", type),
                                     ("q", q), *(("severity", s) for s in severity)]
    query = urlencode([(k, v) for k, v in params if v])
    api_params = [(k, v) for k, v in [("service", service), ("type", type), ("q", q)] if v]
    api_params += [("status", s) for s in statuses] + [("severity", s) for s in severity if s]
    return render(request, "incidents.html", {
        "items": [incident_json(i, svc.runtime.vocab.scheme, now) for i in items],
        "count": svc.incidents.count(who, flt, COUNT_CAP), "count_cap": COUNT_CAP,
        "next_cursor": next_cursor,
        "filters": {"state": state, "severity": severity, "service": service, "type": type,
                    "q": q},
        "query": query, "services": svc.runtime.config.service_names(),
        "types": svc.runtime.vocab.types, "statuses": STATUSES,
        "twin": "/api/v1/incidents" + (f"?{urlencode(api_params)}" if api_params else ""),
    }, who)


@router.get("/incidents/new")
def declare_page(request: Request, svc: Svc, who: PageUser) -> Response:
    return _declare_form(request, svc, who, {}, "", 200)


def _declare_form(request: Request, svc: Svc, who: Principal, values: dict[str, Any],
                  error: str, status_code: int) -> Response:
    return render(request, "declare.html", {
        "values": values, "error": error, "services": svc.runtime.config.service_names(),
        "types": svc.runtime.vocab.types}, who, status_code=status_code)


@router.post("/incidents")
def declare(request: Request, svc: Svc, who: FormUser, title: Text = "",
            severity: Text = "", type: Text = "service_outage", impact: Text = "",
            services: Annotated[list[str], Form()] = [],  # noqa: B006
            ) -> Response:
    cmd = dom.Declare(title=title, severity=severity, type=type, impact=impact,
                      services=tuple(s for s in services if s))
    try:
        result = svc.incidents.declare(who, cmd)
    except DomainError as exc:
        values = {"title": title, "severity": severity, "type": type, "impact": impact,
                  "services": services}
        return _declare_form(request, svc, who, values, exc.detail, exc.status_code)
    return RedirectResponse(f"/incidents/{result.incident.human_id}", status_code=303)


@router.get("/incidents/{ref}")
def incident_page(request: Request, ref: str, svc: Svc, who: PageUser) -> Response:
    return _incident(request, svc, who, ref, "", 200)


def _incident(request: Request, svc: Svc, who: Principal, ref: str, error: str,
              status_code: int, extra: dict[str, Any] | None = None) -> Response:
    from warroom.web.incident_panels import panels  # the panels module imports this one

    state, events = svc.incidents.timeline(who, ref)
    runtime = svc.runtime
    data = incident_json(state, runtime.vocab.scheme, runtime.clock.now())
    return render(request, "incident.html", {
        **panels(svc, who, state.human_id), "update": {}, "preview": None, **(extra or {}),
        "incident": data, "timeline": timeline_rows(events), "error": error,
        "roles": runtime.vocab.roles, "users": [u.name for u in svc.users.list(who)],
        "can_act": who.at_least("responder"), "can_reopen": who.at_least("commander"),
        "twin": f"/api/v1/incidents/{state.human_id}",
    }, who, status_code=status_code)


def _act(request: Request, svc: Svc, who: Principal, ref: str,
         command: dom.Command) -> Response:
    try:
        result = svc.incidents.execute(who, ref, command)
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        return _incident(request, svc, who, ref, exc.detail, exc.status_code)
    return RedirectResponse(f"/incidents/{result.incident.human_id}", status_code=303)


@router.post("/incidents/{ref}/acknowledge")
def acknowledge(request: Request, ref: str, svc: Svc, who: FormUser) -> Response:
    return _act(request, svc, who, ref, dom.Acknowledge())


@router.post("/incidents/{ref}/status")
def set_status(request: Request, ref: str, svc: Svc, who: FormUser, status: Text = "",
               note: Text = "") -> Response:
    return _act(request, svc, who, ref, dom.SetStatus(status, note.strip()))


@router.post("/incidents/{ref}/severity")
def set_severity(request: Request, ref: str, svc: Svc, who: FormUser, severity: Text = "",
                 reason: Text = "") -> Response:
    return _act(request, svc, who, ref, dom.SetSeverity(severity, reason.strip()))


@router.post("/incidents/{ref}/roles")
def assign_role(request: Request, ref: str, svc: Svc, who: FormUser, role: Text = "",
                user: Text = "") -> Response:
    command: dom.Command = dom.AssignRole(role, user) if user else dom.UnassignRole(role)
    return _act(request, svc, who, ref, command)


@router.post("/incidents/{ref}/notes")
def add_note(request: Request, ref: str, svc: Svc, who: FormUser, text: Text = "") -> Response:
    return _act(request, svc, who, ref, dom.AddNote(text))


@router.post("/incidents/{ref}/resolve")
def resolve(request: Request, ref: str, svc: Svc, who: FormUser,
            summary: Text = "") -> Response:
    return _act(request, svc, who, ref, dom.Resolve(summary))


@router.post("/incidents/{ref}/reopen")
def reopen(request: Request, ref: str, svc: Svc, who: FormUser, reason: Text = "") -> Response:
    return _act(request, svc, who, ref, dom.Reopen(reason))

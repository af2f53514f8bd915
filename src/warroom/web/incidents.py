"""Incident pages: the filtered list, declaring, one incident's page and its action forms."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from warroom.api.deps import Services, services
from warroom.api.presenters import incident_json
from warroom.domain import incident as dom
from warroom.domain.errors import DomainError, InvalidCommand
from warroom.domain.incident import ACTIVE_STATUSES, STATUSES
from warroom.services.principal import Principal
from warroom.status.publishing import PublishRequest
from warroom.status.publishing import publish as publish_incident
from warroom.store.incidents import COUNT_CAP, IncidentFilter
from warroom.web import incident_view as view
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
    found = panels(svc, who, state.human_id)
    view.plan_runs(svc, who, found["runs"])
    run, step_id = view.current_run(found["runs"])
    rank = view.severity_rank(svc, state.severity)
    return render(request, "incident.html", {
        **found, "update": {}, "preview": None, **(extra or {}),
        "current_run": run, "current_step": step_id, "mode": view.execution_mode(svc),
        "paging": view.paging_state(events, found["escalation"]),
        "publication": view.publication_panel(svc, who, state),
        "approval_commands": view.approval_commands(events),
        "careful_resolve": rank < view.CAREFUL_RESOLVE_RANKS,
        "update_fills": view.update_fills(state),
        "open_reverts": view.open_reverts(svc, state.id),
        "incident": data, "timeline": timeline_rows(events), "error": error,
        "roles": runtime.vocab.roles, "users": [u.name for u in svc.users.list(who)],
        "can_act": who.at_least("responder"), "can_reopen": who.at_least("commander"),
        "twin": f"/api/v1/incidents/{state.human_id}",
    }, who, status_code=status_code)


DONE = {dom.Acknowledge: "acknowledged", dom.SetStatus: "status", dom.SetSeverity: "severity",
        dom.AssignRole: "role", dom.UnassignRole: "role", dom.AddNote: "note",
        dom.Resolve: "resolved", dom.Reopen: "reopened", dom.Publish: "published"}


def _act(request: Request, svc: Svc, who: Principal, ref: str,
         command: dom.Command, back: str = "") -> Response:
    try:
        result = svc.incidents.execute(who, ref, command)
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        return _incident(request, svc, who, ref, exc.detail, exc.status_code)
    return done(back or f"/incidents/{result.incident.human_id}", DONE.get(type(command), ""))


def done(path: str, key: str, anchor: str = "") -> RedirectResponse:
    """Post/redirect/get: a reload shows the result and never repeats the action."""
    sep = "&" if "?" in path else "?"
    return RedirectResponse(f"{path}{sep}done={key}{anchor}" if key else f"{path}{anchor}",
                            status_code=303)


def _back_to(request: Request, fallback: str) -> str:
    """Row actions on lists return to the list they came from (same origin paths only)."""
    value = str(request.query_params.get("back", ""))
    return value if value.startswith("/") and not value.startswith("//") else fallback


@router.post("/incidents/{ref}/acknowledge")
def acknowledge(request: Request, ref: str, svc: Svc, who: FormUser) -> Response:
    return _act(request, svc, who, ref, dom.Acknowledge(), _back_to(request, ""))


@router.post("/incidents/{ref}/assign-me")
def assign_me(request: Request, ref: str, svc: Svc, who: FormUser) -> Response:
    """Row action: take the commander role if nobody holds it and the user may hold it (it
    carries approval rights: the commander user role or above), else join as responder."""
    state = svc.incidents.get(who, ref)
    back = _back_to(request, f"/incidents/{state.human_id}")
    if "commander" not in state.role_map() and who.at_least("commander"):
        command: dom.Command = dom.AssignRole("commander", who.name)
    elif who.name in state.responders:
        return done(back, "assigned")  # already on it
    else:
        command = dom.AddResponder(who.name)
    response = _act(request, svc, who, ref, command, _back_to(request, ""))
    if response.status_code == 303:
        return done(back, "assigned")
    return response


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
            summary: Text = "", confirm: Text = "") -> Response:
    """P0/P1 (the two most severe levels) need a summary and a ticked confirmation."""
    state = svc.incidents.get(who, ref)
    careful = view.severity_rank(svc, state.severity) < view.CAREFUL_RESOLVE_RANKS
    if careful and (not summary.strip() or confirm != "yes"):
        return _incident(request, svc, who, ref, f"resolving a {state.severity} needs a "
                         "resolution summary and the confirmation box ticked", 422)
    return _act(request, svc, who, ref, dom.Resolve(summary), _back_to(request, ""))


@router.post("/incidents/{ref}/publish")
async def publish(request: Request, ref: str, svc: Svc, who: FormUser) -> Response:
    """The publish dialog: title, impact, body, and `component.<service>` statuses."""
    form = await request.form()
    fields = {k: str(v) for k, v in form.multi_items()}
    return await run_in_threadpool(_publish, request, svc, who, ref, fields)


def _publish(request: Request, svc: Services, who: Principal, ref: str,
             fields: dict[str, str]) -> Response:
    components = {k.removeprefix("component."): v for k, v in fields.items()
                  if k.startswith("component.") and v and v != "unaffected"}
    try:
        result = publish_incident(svc.runtime, who, ref, PublishRequest(
            fields.get("title", "").strip(), components, fields.get("impact", ""),
            fields.get("body", "")))
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        return _incident(request, svc, who, ref, exc.detail, exc.status_code)
    return done(f"/incidents/{result.incident.human_id}", "published", "#publish-h")


@router.post("/incidents/{ref}/reopen")
def reopen(request: Request, ref: str, svc: Svc, who: FormUser, reason: Text = "") -> Response:
    return _act(request, svc, who, ref, dom.Reopen(reason))

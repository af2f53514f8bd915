"""/ack/{token}: the acknowledge link in a page. GET shows what it will do and a button (so
chat and mail link previews never acknowledge); POST acknowledges as the paged person, once."""

from __future__ import annotations

import html
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from warroom.api.deps import Services, services
from warroom.domain import incident as dom
from warroom.domain.errors import InvalidTransition, NotFound, PermissionDenied
from warroom.paging import ack_links
from warroom.paging.directory import directory
from warroom.services.principal import Principal
from warroom.store import db
from warroom.store import incidents as incident_store
from warroom.store import users as user_store

router = APIRouter(tags=["paging"])
Svc = Annotated[Services, Depends(services)]
VIA = "ack-link"


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    # No scripts and no external assets: the page works under the strictest CSP.
    return HTMLResponse(
        "<!doctype html><html><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        "<meta name=\"robots\" content=\"noindex\">"
        f"<title>{html.escape(title)} · warroom</title></head>"
        "<body style=\"font-family:sans-serif;max-width:36em;margin:2em auto;padding:0 1em\">"
        f"<h1 style=\"font-size:1.3em\">{html.escape(title)}</h1>{body}</body></html>",
        status_code=status, headers={"Cache-Control": "no-store",
                                     "Referrer-Policy": "no-referrer"})


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def _answer(request: Request, status: int, title: str, detail: str,
            extra: dict[str, Any] | None = None, body_html: str | None = None) -> Response:
    if _wants_json(request):
        if status >= 400:
            # problem+json: `status` is the HTTP status; the incident's is `incident_status`.
            facts = dict(extra or {})
            if "status" in facts:
                facts["incident_status"] = facts.pop("status")
            return JSONResponse({"type": "about:blank", "title": title, "status": status,
                                 "detail": detail, **facts}, status_code=status,
                                media_type="application/problem+json")
        return JSONResponse({"detail": detail, **(extra or {})}, status_code=status)
    return _page(title, body_html or f"<p>{html.escape(detail)}</p>", status)


def _claim(svc: Services, token: str) -> ack_links.AckClaim:
    signer = directory(svc.runtime).ack_links
    if signer is None:
        raise ack_links.AckLinkError(404, "acknowledge links are not enabled")
    return signer.verify(token, svc.runtime.clock.now())


def _incident(svc: Services, claim: ack_links.AckClaim) -> dom.IncidentState:
    with db.read(svc.runtime.engine) as conn:
        state = incident_store.lock_state(conn, claim.incident_id)
    if state is None:
        raise ack_links.AckLinkError(404, "the incident of this link no longer exists")
    return state


def _paged_person(svc: Services, user: str) -> Principal:
    """The person the page went to, as an actor: their account if they have one (and it is
    active), else their entry in the organisation config."""
    with db.read(svc.runtime.engine) as conn:
        row = user_store.get_user(conn, user)
    if row is not None:
        if not row.active:
            raise ack_links.AckLinkError(403, f"the account of {user} is deactivated")
        return Principal(row.name, row.role, row.is_security, row.id, via=VIA)
    configured = next((u for u in svc.runtime.config.users if u.name == user), None)
    if configured is None:
        raise ack_links.AckLinkError(403, f"{user} is no longer a user of this organisation")
    return Principal(configured.name, configured.role, via=VIA)


@router.get("/ack/{token}", include_in_schema=False)
def confirm(token: str, request: Request, svc: Svc) -> Response:
    try:
        claim = _claim(svc, token)
        state = _incident(svc, claim)
        with db.read(svc.runtime.engine) as conn:
            spent = ack_links.used(conn, claim)
    except ack_links.AckLinkError as exc:
        return _answer(request, exc.status, "Cannot acknowledge", str(exc))
    facts = {"incident": state.human_id, "title": state.title, "severity": state.severity,
             "status": state.status, "user": claim.user,
             "expires_at": claim.expires_at.isoformat(), "used": spent}
    if spent:
        return _answer(request, 410, "Link already used",
                       "this acknowledge link was already used", facts)
    summary = (f"<p><strong>[{html.escape(state.severity)}] {html.escape(state.human_id)}"
               f"</strong>: {html.escape(state.title)}</p><p>Status: "
               f"{html.escape(state.status)}</p>")
    if not dom.can_acknowledge(state):
        return _answer(request, 200, f"{state.human_id} is {state.status}",
                       f"{state.human_id} is already {state.status}; nothing to acknowledge",
                       facts, summary)
    form = (f"{summary}<form method=\"post\"><button type=\"submit\" style=\"font-size:1.1em;"
            f"padding:.5em 1.2em\">Acknowledge as {html.escape(claim.user)}</button></form>"
            "<p style=\"color:#555\">This stops the escalation. The link works once.</p>")
    return _answer(request, 200, f"Acknowledge {state.human_id}?",
                   f"POST to this URL to acknowledge {state.human_id} as {claim.user}",
                   facts, form)


def _nothing_to_acknowledge(request: Request, state: dom.IncidentState) -> Response:
    return _answer(request, 409, f"{state.human_id} is {state.status}",
                   f"{state.human_id} is already {state.status}; nothing to acknowledge",
                   {"incident": state.human_id, "status": state.status})


@router.post("/ack/{token}", include_in_schema=False)
def acknowledge(token: str, request: Request, svc: Svc) -> Response:
    now = svc.runtime.clock.now()
    try:
        claim = _claim(svc, token)
        state = _incident(svc, claim)
        person = _paged_person(svc, claim.user)
        if not dom.can_acknowledge(state):
            # Refused before the link is spent: it still works if the incident is paged again.
            with db.read(svc.runtime.engine) as conn:
                if ack_links.used(conn, claim):
                    raise ack_links.AckLinkError(410, "this acknowledge link was already used")
            return _nothing_to_acknowledge(request, state)
        with svc.runtime.engine.begin() as conn:
            ack_links.mark_used(conn, claim, now)
    except ack_links.AckLinkError as exc:
        return _answer(request, exc.status, "Cannot acknowledge", str(exc))
    facts = {"incident": state.human_id, "user": claim.user}
    try:
        result = svc.incidents.execute(person, claim.incident_id, dom.Acknowledge())
    except InvalidTransition:
        # Someone acknowledged in between: the refused POST does not spend the link.
        with svc.runtime.engine.begin() as conn:
            ack_links.unmark_used(conn, claim)
        return _nothing_to_acknowledge(request, _incident(svc, claim))
    except (NotFound, PermissionDenied) as exc:
        with svc.runtime.engine.begin() as conn:
            ack_links.unmark_used(conn, claim)
        return _answer(request, 403, "Cannot acknowledge", str(exc), facts)
    link = f"/incidents/{html.escape(state.human_id)}"
    return _answer(request, 200, f"Acknowledged {state.human_id}",
                   f"{state.human_id} acknowledged as {claim.user}",
                   facts | {"status": result.incident.status},
                   f"<p>{html.escape(state.human_id)} is acknowledged as "
                   f"{html.escape(claim.user)}; escalation stopped.</p>"
                   f"<p><a href=\"{link}\">Open the incident</a></p>")


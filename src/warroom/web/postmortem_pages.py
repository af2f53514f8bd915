"""The postmortem page of an incident: the rendered document, its review status, an editor
with a server-side preview, its revisions, and the incident's action items."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from markupsafe import Markup
from starlette.responses import RedirectResponse, Response

from warroom.api.deps import Services, services
from warroom.api.presenters import incident_json
from warroom.domain.errors import DomainError, NotFound
from warroom.evidence.action_items import PRIORITIES, STATUSES, ActionItemService
from warroom.evidence.postmortem import render_html
from warroom.evidence.postmortems_service import TRANSITIONS, Postmortem, PostmortemService
from warroom.services.principal import Principal
from warroom.web.session import FormUser, PageUser
from warroom.web.templating import render

router = APIRouter(include_in_schema=False)
Svc = Annotated[Services, Depends(services)]
Text = Annotated[str, Form()]
REVISIONS_SHOWN = 20  # the page lists the newest; the JSON twin has every one
MOVES = {"in_review": "Send for review", "draft": "Back to draft", "published": "Publish"}


def _current(service: PostmortemService, who: Principal, ref: str) -> Postmortem | None:
    try:
        return service.get(who, ref)
    except NotFound:
        return None


def postmortem_page(request: Request, svc: Services, who: Principal, ref: str, *,
                    error: str = "", status_code: int = 200, draft: str | None = None,
                    preview: bool = False, item: dict[str, str] | None = None) -> Response:
    """The page; `draft` keeps the editor's text after a preview or a refused save."""
    state = svc.incidents.get(who, ref)  # 404 for a missing or hidden incident
    postmortems = PostmortemService(svc.runtime)
    current = _current(postmortems, who, state.id)
    revisions = postmortems.revisions(who, state.id) if current else []
    if draft is None:
        draft = current.markdown if current else postmortems.template(who, state.id)
    now = svc.runtime.clock.now()
    items = ActionItemService(svc.runtime).list(who, state.id)
    return render(request, "postmortem.html", {
        "incident": incident_json(state, svc.runtime.vocab.scheme, now),
        "pm": current.to_json() if current else None,
        "document": Markup(render_html(current.markdown)) if current else None,
        "preview": Markup(render_html(draft)) if preview and draft.strip() else None,
        "draft": draft, "error": error,
        "moves": [(s, MOVES[s]) for s in TRANSITIONS[current.status]] if current else [],
        "revisions": [{"revision": r.revision, "author": r.author, "at": r.at,
                       "markdown": r.markdown} for r in reversed(revisions)][:REVISIONS_SHOWN],
        "revision_count": len(revisions),
        "items": [i.to_json(now) for i in items], "item": item or {},
        "item_statuses": STATUSES, "priorities": PRIORITIES,
        "users": [u.name for u in svc.users.list(who)],
        "can_edit": who.at_least("responder"), "can_publish": who.at_least("commander"),
        "twin": f"/api/v1/incidents/{state.human_id}/postmortem",
    }, who, status_code=status_code)


def _back(ref: str, anchor: str) -> RedirectResponse:
    return RedirectResponse(f"/incidents/{ref}/postmortem{anchor}", status_code=303)


@router.get("/incidents/{ref}/postmortem")
def show(request: Request, ref: str, svc: Svc, who: PageUser) -> Response:
    return postmortem_page(request, svc, who, ref)


@router.post("/incidents/{ref}/postmortem")
def save(request: Request, ref: str, svc: Svc, who: FormUser, markdown: Text = "",
         action: Text = "save") -> Response:
    """`action=preview` renders the text without saving; `save` stores a new revision."""
    if action == "preview":
        return postmortem_page(request, svc, who, ref, draft=markdown, preview=True)
    return _act(request, svc, who, ref, "#document-h", {"draft": markdown},
                PostmortemService(svc.runtime).put, who, ref, markdown)


@router.post("/incidents/{ref}/postmortem/status")
def move(request: Request, ref: str, svc: Svc, who: FormUser, status: Text = "") -> Response:
    return _act(request, svc, who, ref, "#status-h", {},
                PostmortemService(svc.runtime).set_status, who, ref, status)


@router.post("/incidents/{ref}/action-items")
def add_item(request: Request, ref: str, svc: Svc, who: FormUser, title: Text = "",
             owner: Text = "", due: Text = "", priority: Text = "P2") -> Response:
    values: dict[str, Any] = {"title": title.strip(), "priority": priority}
    if owner.strip():
        values["owner"] = owner.strip()
    if due.strip():
        values["due_at"] = due.strip()
    item = {"title": title, "owner": owner, "due": due, "priority": priority}
    return _act(request, svc, who, ref, "#items-h", {"item": item},
                ActionItemService(svc.runtime).create, who, ref, values)


@router.post("/incidents/{ref}/action-items/from-postmortem")
def items_from_postmortem(request: Request, ref: str, svc: Svc, who: FormUser) -> Response:
    return _act(request, svc, who, ref, "#items-h", {},
                ActionItemService(svc.runtime).create_from_postmortem, who, ref)


def _act(request: Request, svc: Services, who: Principal, ref: str, anchor: str,
         keep: dict[str, Any], action: Any, *args: Any) -> Response:
    """Run one service call; a refusal re-renders the page with the service's own words and
    the form's input (`keep`). A missing or hidden incident stays a 404 page: rendering
    raises it again."""
    try:
        action(*args)
    except DomainError as exc:
        return postmortem_page(request, svc, who, ref, error=exc.detail,
                               status_code=exc.status_code, **keep)
    return _back(ref, anchor)

"""The action items page: follow-ups across incidents with filters, and the small form each
row (here and on the postmortem page) uses to change status, owner, due date and priority."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qs, urlencode, urlsplit

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import RedirectResponse, Response

from warroom.api.deps import Services, services
from warroom.domain.errors import DomainError
from warroom.evidence.action_items import PRIORITIES, STATUSES, ActionItemService
from warroom.services.principal import Principal
from warroom.web.postmortem_pages import postmortem_page
from warroom.web.session import FormUser, PageUser, safe_next
from warroom.web.templating import render

router = APIRouter(include_in_schema=False)
Svc = Annotated[Services, Depends(services)]
Text = Annotated[str, Form()]


def _page(request: Request, svc: Services, who: Principal, *, status: str = "",
          owner: str = "", error: str = "", status_code: int = 200) -> Response:
    status = status if status in STATUSES else ""
    owner = owner.strip()
    found = ActionItemService(svc.runtime).list(who, None, status or None, owner or None)
    now = svc.runtime.clock.now()
    items = [i.to_json(now) for i in found]
    query = urlencode([(k, v) for k, v in (("status", status), ("owner", owner)) if v])
    here = "/action-items" + (f"?{query}" if query else "")
    return render(request, "action_items.html", {
        "items": items, "overdue": sum(1 for i in items if i["overdue"]),
        "filters": {"status": status, "owner": owner}, "here": here, "error": error,
        "item_statuses": STATUSES, "priorities": PRIORITIES,
        "users": [u.name for u in svc.users.list(who)],
        "can_edit": who.at_least("responder"),
        "twin": "/api/v1/action-items" + (f"?{query}" if query else "")}, who,
        status_code=status_code)


@router.get("/action-items")
def action_items_page(request: Request, svc: Svc, who: PageUser, status: str = "",
                      owner: str = "") -> Response:
    return _page(request, svc, who, status=status, owner=owner)


def changes(current: dict[str, Any], status: str, owner: str, due: str,
            priority: str) -> dict[str, Any]:
    """The form's fields as an update. The due date is sent only when its day changed, so
    saving a row never moves a due time set through the API (say 17:00) to the day's end."""
    values: dict[str, Any] = {"owner": owner.strip() or None}
    if status:
        values["status"] = status
    if priority:
        values["priority"] = priority
    if due.strip() != (current["due_at"] or "")[:10]:
        values["due_at"] = due.strip() or None
    return values


@router.post("/action-items/{item_id}")
def update_item(request: Request, item_id: int, svc: Svc, who: FormUser, status: Text = "",
                owner: Text = "", due: Text = "", priority: Text = "",
                back: Text = "/action-items") -> Response:
    items = ActionItemService(svc.runtime)
    target = safe_next(back).split("#", 1)[0]
    try:
        current = items.get(who, item_id).to_json()
        items.update(who, item_id, changes(current, status, owner, due, priority))
    except DomainError as exc:
        return _refused(request, svc, who, target, exc)
    return RedirectResponse(f"{target}#item-{item_id}", status_code=303)


def _refused(request: Request, svc: Services, who: Principal, target: str,
             exc: DomainError) -> Response:
    """Show the refusal on the page the form came from, with its filters."""
    parts = urlsplit(target)
    if parts.path.startswith("/incidents/") and parts.path.endswith("/postmortem"):
        ref = parts.path.removeprefix("/incidents/").removesuffix("/postmortem")
        return postmortem_page(request, svc, who, ref, error=exc.detail,
                               status_code=exc.status_code)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    return _page(request, svc, who, status=query.get("status", ""),
                 owner=query.get("owner", ""), error=exc.detail, status_code=exc.status_code)

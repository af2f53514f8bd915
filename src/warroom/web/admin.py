"""Admin pages: users (list, create, change role, deactivate, end sessions) and API tokens
(create, shown once; revoke)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import RedirectResponse, Response

from warroom.api.deps import Services, services
from warroom.api.routers import oncall as oncall_api
from warroom.domain.errors import DomainError
from warroom.services.principal import ROLES, Principal
from warroom.web.session import FormUser, PageUser
from warroom.web.templating import render

router = APIRouter(prefix="/admin", include_in_schema=False)
Svc = Annotated[Services, Depends(services)]
Text = Annotated[str, Form()]
NO_STORE = {"Cache-Control": "no-store"}


def _users_page(request: Request, svc: Svc, who: Principal, error: str = "",
                status_code: int = 200, notice: str = "") -> Response:
    return render(request, "users.html", {
        "users": svc.users.list(who), "roles": ROLES, "error": error, "notice": notice,
        "can_create": who.at_least("admin"), "twin": "/api/v1/users"}, who,
        status_code=status_code)


@router.get("/users")
def users(request: Request, svc: Svc, who: PageUser) -> Response:
    return _users_page(request, svc, who)


@router.post("/users")
def create_user(request: Request, svc: Svc, who: FormUser, name: Text = "",
                display_name: Text = "", email: Text = "", role: Text = "responder",
                password: Text = "", security: Text = "") -> Response:
    try:
        svc.users.create(who, name.strip(), role=role, password=password or None,
                         display_name=display_name.strip(), email=email.strip() or None,
                         is_security=security == "on")
    except DomainError as exc:
        return _users_page(request, svc, who, exc.detail, exc.status_code)
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/users/{name}/role")
def set_role(request: Request, name: str, svc: Svc, who: FormUser, role: Text = "",
             security: Text = "") -> Response:
    return _user_change(request, svc, who, lambda: svc.users.update(
        who, name, role=role, is_security=security == "on"))


@router.post("/users/{name}/deactivate")
def deactivate(request: Request, name: str, svc: Svc, who: FormUser) -> Response:
    return _user_change(request, svc, who, lambda: svc.users.update(who, name, active=False))


@router.post("/users/{name}/activate")
def activate(request: Request, name: str, svc: Svc, who: FormUser) -> Response:
    return _user_change(request, svc, who, lambda: svc.users.update(who, name, active=True))


@router.post("/users/{name}/end-sessions")
def end_sessions(request: Request, name: str, svc: Svc, who: FormUser) -> Response:
    return _user_change(request, svc, who, lambda: svc.users.end_sessions(who, name))


def _user_change(request: Request, svc: Svc, who: Principal,
                 change: Callable[[], object]) -> Response:
    try:
        change()
    except DomainError as exc:
        if exc.status_code in (401, 403):
            raise
        return _users_page(request, svc, who, exc.detail, exc.status_code)
    return RedirectResponse("/admin/users", status_code=303)


def _tokens_page(request: Request, svc: Svc, who: Principal, *, issued: str = "",
                 error: str = "", status_code: int = 200, feed_url: str = "") -> Response:
    names = [u.name for u in svc.users.list(who)] if who.at_least("admin") else [who.name]
    by_id = {u.id: u.name for u in svc.users.list(who)}
    return render(request, "tokens.html", {
        "tokens": svc.users.list_tokens(who), "by_id": by_id, "names": names,
        "roles": ROLES, "issued": issued, "error": error, "twin": "/api/v1/tokens",
        "feed_url": feed_url, "feed_since": svc.users.feed_created(who, who.name)}, who,
        status_code=status_code, headers=NO_STORE)


@router.get("/tokens")
def tokens(request: Request, svc: Svc, who: PageUser) -> Response:
    return _tokens_page(request, svc, who)


@router.post("/tokens")
def create_token(request: Request, svc: Svc, who: FormUser, user: Text = "",
                 role: Text = "", name: Text = "") -> Response:
    try:
        issued = svc.users.create_token(who, user or who.name, role=role or None,
                                        name=name.strip())
    except DomainError as exc:
        return _tokens_page(request, svc, who, error=exc.detail, status_code=exc.status_code)
    # Rendered, not redirected: the token exists only in this one response.
    return _tokens_page(request, svc, who, issued=issued.token, status_code=201)


@router.post("/tokens/{token_id}/revoke")
def revoke_token(request: Request, token_id: int, svc: Svc, who: FormUser) -> Response:
    try:
        svc.users.revoke_token(who, token_id)
    except DomainError as exc:
        return _tokens_page(request, svc, who, error=exc.detail, status_code=exc.status_code)
    return RedirectResponse("/admin/tokens", status_code=303)


@router.post("/calendar-feed")
def issue_feed(request: Request, svc: Svc, who: FormUser) -> Response:
    secret = svc.users.issue_feed(who, who.name)
    # Rendered, not redirected: the URL exists only in this one response.
    return _tokens_page(request, svc, who, feed_url=oncall_api.feed_url(svc, secret),
                        status_code=201)


@router.post("/calendar-feed/revoke")
def revoke_feed(svc: Svc, who: FormUser) -> Response:
    svc.users.revoke_feed(who, who.name)
    return RedirectResponse("/admin/tokens#calendar-feed", status_code=303)

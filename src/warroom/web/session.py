"""Logging in and out of the console, and the checks console forms make (session + CSRF)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import RedirectResponse, Response

from warroom.api.deps import (
    SESSION_COOKIE,
    SESSION_MAX_AGE,
    Services,
    csrf_valid,
    principal,
    services,
    session_principal,
    session_secret,
    session_serializer,
)
from warroom.domain.errors import PermissionDenied, TooManyAttempts, Unauthenticated
from warroom.runtime import Runtime
from warroom.services.principal import Principal
from warroom.web.templating import render

router = APIRouter(include_in_schema=False)
Svc = Annotated[Services, Depends(services)]
LOGIN_COOKIE = "warroom_login"  # a pre-session nonce, so the login form has a CSRF token too
CsrfField = Annotated[str, Form(alias="csrf_token")]


def safe_next(target: str | None) -> str:
    """Only same-site paths are followed after login, never another origin."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def login_token(runtime: Runtime, nonce: str) -> str:
    key = runtime.secret_key.encode()
    return hmac.new(key, b"login:" + nonce.encode(), hashlib.sha256).hexdigest()


def _secure(runtime: Runtime) -> bool:
    return runtime.settings.public_url.startswith("https://")


def form_user(request: Request, csrf_token: CsrfField = "") -> Principal:
    """The session user of a console form POST, whose CSRF token must match the session."""
    who = session_principal(request)
    if who is None:
        raise Unauthenticated("your session has ended; log in again")
    if not csrf_valid(services(request).runtime, request.cookies.get(SESSION_COOKIE, ""),
                      csrf_token):
        raise PermissionDenied("the form's CSRF token is missing or stale; reload the page "
                               "and submit it again")
    return who


FormUser = Annotated[Principal, Depends(form_user)]


@router.get("/login")
def login_page(request: Request, svc: Svc, next: str = "/") -> Response:
    if session_principal(request) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_form(request, svc.runtime, next, "", 200)


def _login_form(request: Request, runtime: Runtime, next_path: str, error: str,
                status_code: int, username: str = "") -> Response:
    nonce = secrets.token_urlsafe(16)
    response = render(request, "login.html", {
        "next": safe_next(next_path), "error": error, "username": username,
        "login_csrf": login_token(runtime, nonce)}, status_code=status_code,
        headers={"Cache-Control": "no-store"})
    response.set_cookie(LOGIN_COOKIE, nonce, max_age=1800, httponly=True, samesite="lax",
                        secure=_secure(runtime), path="/login")
    return response


@router.post("/login")
def login(request: Request, svc: Svc, username: Annotated[str, Form()] = "",
          password: Annotated[str, Form()] = "", csrf_token: CsrfField = "",
          next: Annotated[str, Form()] = "/") -> Response:
    runtime = svc.runtime
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    if not nonce or not hmac.compare_digest(login_token(runtime, nonce), csrf_token):
        return _login_form(request, runtime, next, "The form expired. Please try again.", 403,
                           username)
    client = request.client.host if request.client else "unknown"
    try:
        _, secret = svc.users.login(username.strip(), password, client)
    except TooManyAttempts as exc:
        response = _login_form(request, runtime, next, f"Too many failed logins. Try again "
                               f"in {exc.retry_after} seconds.", 429, username)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except Unauthenticated:
        return _login_form(request, runtime, next, "Wrong user name or password.", 401,
                           username)
    value = session_serializer(runtime).dumps({"s": secret})
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, value, max_age=SESSION_MAX_AGE, httponly=True,
                        samesite="lax", secure=_secure(runtime), path="/")
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, svc: Svc, who: FormUser) -> Response:
    secret = session_secret(request)
    if secret:
        svc.users.logout(secret)  # server-side: the old cookie no longer works anywhere
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


def page_user(request: Request) -> Principal:
    """The caller of a console page; without one the error handler sends them to log in."""
    who = principal(request)
    if who is None:
        raise Unauthenticated("log in to use the console")
    return who


PageUser = Annotated[Principal, Depends(page_user)]

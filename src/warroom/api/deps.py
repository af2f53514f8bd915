"""FastAPI dependencies: the runtime, its services, and who is calling."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from fastapi import Request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from warroom.domain.errors import PermissionDenied
from warroom.runtime import Runtime
from warroom.services.incidents import IncidentService
from warroom.services.principal import Principal
from warroom.services.users import UserService

SESSION_COOKIE = "warroom_session"
SESSION_MAX_AGE = 12 * 3600
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass
class Services:
    runtime: Runtime
    incidents: IncidentService
    users: UserService

    @classmethod
    def build(cls, runtime: Runtime) -> Services:
        return cls(runtime, IncidentService(runtime), UserService(runtime))


def services(request: Request) -> Services:
    svc: Services = request.app.state.services
    return svc


def session_serializer(runtime: Runtime) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(runtime.secret_key, salt="warroom-session")


def csrf_token(runtime: Runtime, session_value: str) -> str:
    """The CSRF token of one session: an HMAC of the signed cookie value, so it dies with it."""
    key = runtime.secret_key.encode()
    return hmac.new(key, b"csrf:" + session_value.encode(), hashlib.sha256).hexdigest()


def csrf_valid(runtime: Runtime, session_value: str, presented: str) -> bool:
    return bool(presented) and hmac.compare_digest(csrf_token(runtime, session_value),
                                                   presented)


def session_principal(request: Request) -> Principal | None:
    """The user of a valid session cookie, without any CSRF check (the console checks its
    forms' tokens itself)."""
    secret = session_secret(request)
    return services(request).users.session(secret) if secret else None


def session_secret(request: Request) -> str | None:
    """The server-side session's secret from the signed cookie, if the cookie is valid.
    Whether the session is still live is the store's answer (logout, password change and
    deactivation end it there)."""
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    try:
        data = session_serializer(services(request).runtime).loads(raw, max_age=SESSION_MAX_AGE)
        return str(data["s"])
    except (BadSignature, KeyError, TypeError):
        return None


def principal(request: Request) -> Principal | None:
    """The caller from a Bearer token, else from the console's session cookie, else None.

    A cookie alone never authorises a change: unsafe requests riding on the session cookie
    must also carry the session's CSRF token in the X-CSRF-Token header."""
    if hasattr(request.state, "principal"):
        cached: Principal | None = request.state.principal
        return cached
    svc = services(request)
    found: Principal | None = None
    auth = request.headers.get("authorization", "")
    if auth[:7].lower() == "bearer ":
        found = svc.users.authenticate_token(auth[7:].strip())
    elif SESSION_COOKIE in request.cookies:
        found = session_principal(request)
        if found is not None and request.method not in SAFE_METHODS and not csrf_valid(
                svc.runtime, request.cookies[SESSION_COOKIE],
                request.headers.get(CSRF_HEADER, "")):
            raise PermissionDenied(
                f"cookie-authenticated {request.method} requests need the {CSRF_HEADER} "
                "header (the console page carries it in <meta name=\"csrf-token\">); "
                "scripts and tools should send 'Authorization: Bearer <token>' instead")
    request.state.principal = found
    return found

"""Raw ASGI middleware: request ids, access logs with the real status (500 for a crash), and
security headers. Body limits and input checks live in input_guard.py."""

from __future__ import annotations

import logging
import secrets
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from warroom.api.problems import problem_bytes
from warroom.logs import request_id

log = logging.getLogger("warroom.access")

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"content-security-policy",
     b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
     b"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"),
]

HSTS_HEADER = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


class RequestContext:
    """Assigns a request id, logs one JSON line per request, adds security headers (and HSTS
    when the public URL is https, so browsers never fall back to plain HTTP)."""

    def __init__(self, app: ASGIApp, hsts: bool = False) -> None:
        self.app = app
        self.headers = SECURITY_HEADERS + ([HSTS_HEADER] if hsts else [])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = dict(scope["headers"]).get(b"x-request-id", b"").decode()[:64] or \
            secrets.token_hex(8)
        token = request_id.set(rid)
        started = time.perf_counter()
        status = 0
        started_response = False

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            nonlocal started_response
            if message["type"] == "http.response.start":
                status = message["status"]
                started_response = True
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", rid.encode()))
                present = {k.lower() for k, _ in headers}
                headers.extend(h for h in self.headers if h[0] not in present)
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception:
            # Answer (and log) the crash here, so the access log shows 500, not 0; re-raise
            # so the server logs the traceback.
            status = 500
            if not started_response:
                body = problem_bytes(500, "Internal server error", "the server failed to "
                                     f"answer; quote request id {rid} when reporting it")
                await send_wrapper({"type": "http.response.start", "status": 500, "headers": [
                    (b"content-type", b"application/problem+json"),
                    (b"content-length", str(len(body)).encode())]})
                await send_wrapper({"type": "http.response.body", "body": body})
            raise
        finally:
            log.info("%s %s %s", scope["method"], scope["path"], status, extra={
                "method": scope["method"], "path": scope["path"], "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2)})
            request_id.reset(token)

"""RFC 9457 problem+json responses and the exception handlers that produce them."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response

from warroom.domain.errors import DomainError, InvalidTransition, TooManyAttempts, UnknownValue

PROBLEM_TYPE = "application/problem+json"


def problem_bytes(status: int, title: str, detail: str, **extra: Any) -> bytes:
    """A problem body for raw ASGI code that answers before any route runs."""
    return orjson.dumps({"type": "about:blank", "title": title, "status": status,
                         "detail": detail, **extra})


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    headers = {"WWW-Authenticate": 'Bearer realm="warroom"'} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM_TYPE, headers=headers)


def _domain(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    extra: dict[str, Any] = {}
    if isinstance(exc, InvalidTransition):
        extra = {"current_status": exc.current, "allowed": exc.allowed}
    elif isinstance(exc, UnknownValue):
        extra = {"field": exc.field, "value": exc.value, "allowed": exc.allowed}
    resp = problem(exc.status_code, exc.title, exc.detail, instance=request.url.path, **extra)
    if isinstance(exc, TooManyAttempts):
        resp.headers["Retry-After"] = str(exc.retry_after)
    return resp


def _validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        first = next(e for e in errors if e.get("type") == "json_invalid")
        reason = first.get("ctx", {}).get("error", "invalid JSON")
        return problem(400, "Malformed JSON", f"the request body is not valid JSON: {reason}",
                       instance=request.url.path)
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    forms = ("application/x-www-form-urlencoded", "multipart/form-data")
    if any(e["loc"] == ("body",) for e in errors) and media and "json" not in media \
            and media not in forms:
        return problem(415, "Unsupported media type", f"body: sent as {media!r}; send JSON "
                       "with 'Content-Type: application/json'", instance=request.url.path,
                       field="body")
    details = []
    for e in errors:
        loc = ".".join(str(p) for p in e["loc"] if p != "body")
        details.append(f"{loc or 'body'}: {e['msg']}")
    first = ".".join(str(p) for p in errors[0]["loc"]) if errors else "body"
    return problem(422, "Invalid request", "; ".join(details), instance=request.url.path,
                   field=first, errors=[{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]}
                           for e in errors])


def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    titles = {404: "Not found", 405: "Method not allowed", 401: "Unauthorized",
              403: "Forbidden", 413: "Payload too large", 429: "Too many requests"}
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"no route for {request.method} {request.url.path}"
    resp = problem(exc.status_code, titles.get(exc.status_code, "Error"), detail,
                   instance=request.url.path)
    if exc.headers:
        resp.headers.update(exc.headers)
    return resp


def _out_of_range(request: Request, exc: Exception) -> Response:
    """Last line of defence: a value the database or the date arithmetic cannot hold. The
    shared types in api/types.py refuse these first, naming the field."""
    if isinstance(exc, DataError):
        reason = str(exc.orig).splitlines()[0] if exc.orig is not None else "out of range"
    else:
        reason = str(exc)
    return problem(422, "Value out of range", f"a value in the request cannot be stored or "
                   f"computed with: {reason}", instance=request.url.path)


def install(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(DataError, _out_of_range)
    app.add_exception_handler(OverflowError, _out_of_range)

"""The OpenAPI document, made to match behaviour in one place: every operation declares the
error statuses the shared middleware and handlers can answer, as application/problem+json with
one shared Problem schema."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, ConfigDict, Field

PROBLEM_TYPE = "application/problem+json"
PROBLEM_REF = "#/components/schemas/Problem"

# What any operation can answer before or around its own logic: the input guard (400, 413,
# 415), authentication and roles (401, 403), lookups (404), state checks (409), validation
# (422) and rate limits (429).
ERROR_STATUSES: dict[int, str] = {
    400: "Malformed request: bad JSON or encoding, NUL or control characters, JSON too deep",
    401: "No token, or an unknown or revoked one",
    403: "The caller's role is too low (or a cookie request lacks its CSRF token)",
    404: "No such resource, or one the caller may not see",
    409: "The resource's current state does not allow this",
    413: "The request body is larger than WARROOM_MAX_BODY_BYTES",
    415: "The body is not sent as application/json",
    422: "A field is invalid, out of range or names something unknown",
    429: "Too many requests; retry after the Retry-After header",
}


class Problem(BaseModel):
    """An RFC 9457 problem. `field` names the part of the request at fault, when one is."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int = Field(ge=400, le=599)
    detail: str
    instance: str | None = None
    field: str | None = None


def other_media(*media_types: str, description: str = "Successful Response",
            status: int = 200) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route answering other media types than JSON (use it with
    `response_class=Response`, so JSON is not claimed as well)."""
    return {status: {"description": description, "content": {
        media: {"schema": {"type": "string"}} for media in media_types}}}


def _problem_response(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {PROBLEM_TYPE: {"schema": {"$ref": PROBLEM_REF}}}}


def declare_problems(document: dict[str, Any]) -> dict[str, Any]:
    """Add the error statuses to every operation and the Problem schema to the components;
    drop FastAPI's own 422 schema, which warroom never answers with."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status, description in ERROR_STATUSES.items():
                declared = responses.get(str(status), {}).get("content", {})
                responses[str(status)] = _problem_response(description)
                # An operation that declares its own error body (the Alertmanager API's JSON
                # strings) keeps it beside the problem+json of the shared middleware.
                for media, body in declared.items():
                    if media != PROBLEM_TYPE and body.get("schema", {}).get("$ref") != \
                            "#/components/schemas/HTTPValidationError":  # FastAPI's own
                        responses[str(status)]["content"][media] = body
    return document


def install(app: FastAPI) -> None:
    """Generate the document once, on first request, with the problems declared."""
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = declare_problems(get_openapi(
                title=app.title, version=app.version, description=app.description,
                routes=app.routes, tags=app.openapi_tags, servers=app.servers))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

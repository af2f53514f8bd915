"""/api/docs: an HTML reference rendered on the server from the OpenAPI document.

No JavaScript and nothing from a CDN, so it works offline and under the app's strict CSP
(script-src 'self', no inline script). The machine-readable twin is /api/v1/openapi.json."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

HERE = Path(__file__).parent
METHODS = ("get", "post", "put", "patch", "delete")
_env = Environment(loader=FileSystemLoader(HERE / "templates"),
                   autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)


@dataclass
class DocField:
    name: str
    where: str
    required: bool
    kind: str
    description: str = ""


@dataclass
class Operation:
    method: str
    path: str
    summary: str
    description: str
    anchor: str
    parameters: list[DocField] = field(default_factory=list)
    body: list[DocField] = field(default_factory=list)
    body_type: str = ""
    responses: list[tuple[str, str, str]] = field(default_factory=list)


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
        found: dict[str, Any] = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
        return found
    return schema


def describe(document: dict[str, Any], schema: dict[str, Any]) -> str:
    """A one-line type with its limits: `integer ≤ 2147483647`, `string (≤ 200 chars)`."""
    ref = schema.get("$ref")
    if isinstance(ref, str):
        return ref.rsplit("/", 1)[1]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return " | ".join(describe(document, s) for s in schema[key])
    kind = str(schema.get("type", "any"))
    if kind == "array":
        return f"array of {describe(document, schema.get('items', {}))}"
    if "enum" in schema:
        return " | ".join(repr(v) for v in schema["enum"])
    limits = []
    if "format" in schema:
        kind = f"{kind} ({schema['format']})"
    if "minimum" in schema:
        limits.append(f"≥ {schema['minimum']}")
    if "maximum" in schema:
        limits.append(f"≤ {schema['maximum']}")
    if "maxLength" in schema:
        limits.append(f"≤ {schema['maxLength']} chars")
    if "maxItems" in schema:
        limits.append(f"≤ {schema['maxItems']} items")
    return f"{kind} {', '.join(limits)}".strip()


def operations(document: dict[str, Any]) -> dict[str, list[Operation]]:
    """Operations grouped by their first tag, in document order."""
    groups: dict[str, list[Operation]] = {}
    for path, item in document.get("paths", {}).items():
        for method in METHODS:
            if method not in item:
                continue
            spec = item[method]
            op = Operation(method.upper(), path, spec.get("summary", ""),
                           spec.get("description", ""),
                           spec.get("operationId", f"{method}-{path}"))
            for param in spec.get("parameters", []):
                op.parameters.append(DocField(param["name"], param["in"],
                                           bool(param.get("required")),
                                           describe(document, param.get("schema", {})),
                                           param.get("description", "")))
            content = spec.get("requestBody", {}).get("content", {})
            for media, body in content.items():
                op.body_type = media
                schema = _resolve(document, body.get("schema", {}))
                required = set(schema.get("required", []))
                for name, prop in schema.get("properties", {}).items():
                    op.body.append(DocField(name, "body", name in required,
                                         describe(document, prop), prop.get("description", "")))
            for status, answer in spec.get("responses", {}).items():
                media = ", ".join(answer.get("content", {})) or "no body"
                op.responses.append((status, answer.get("description", ""), media))
            tag = (spec.get("tags") or ["other"])[0]
            groups.setdefault(tag, []).append(op)
    return groups


def render(document: dict[str, Any]) -> str:
    return _env.get_template("reference.html").render(
        info=document.get("info", {}), groups=operations(document))


def install(app: FastAPI, path: str = "/api/docs") -> None:
    async def reference() -> HTMLResponse:
        return HTMLResponse(render(app.openapi()))

    async def stylesheet() -> FileResponse:
        return FileResponse(HERE / "templates" / "reference.css", media_type="text/css")

    app.add_api_route(path, reference, include_in_schema=False)
    app.add_api_route(f"{path}/reference.css", stylesheet, include_in_schema=False)

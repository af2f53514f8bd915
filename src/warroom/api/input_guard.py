"""One check at the boundary for what no route can store: NUL and control characters in the
path, NUL or bad UTF-8 in query strings and bodies, JSON nested too deeply, oversized bodies.

Each refusal is a 400 (413 for size) problem+json naming the part of the request at fault, so
no route and no database ever sees such input (PostgreSQL text cannot hold NUL at all)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote_to_bytes

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from warroom.api.problems import problem_bytes

# Deeper than any payload warroom defines (label maps are 2 levels, run params 3).
MAX_JSON_DEPTH = 32
JSON_TYPES = ("application/json", "application/problem+json", "application/merge-patch+json")
FORM_TYPE = "application/x-www-form-urlencoded"
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class Refused(Exception):
    def __init__(self, status: int, title: str, detail: str, field: str) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.field = field


def _bad(title: str, detail: str, field: str) -> Refused:
    return Refused(400, title, detail, field)


def check_path(raw_path: bytes) -> None:
    """Refuse path segments holding bytes no name can: controls (NUL, newline...) or bad
    UTF-8."""
    decoded = unquote_to_bytes(raw_path)
    for index, segment in enumerate(decoded.split(b"/")):
        try:
            text = segment.decode("utf-8")
        except UnicodeDecodeError:
            raise _bad("Invalid path", f"path segment {index} is not valid UTF-8",
                       "path") from None
        bad = next((c for c in text if ord(c) < 0x20 or ord(c) == 0x7F), None)
        if bad is not None:
            raise _bad("Invalid path", f"path segment {index} ({text!r}) contains the control "
                       f"character U+{ord(bad):04X}; names never hold control characters",
                       "path")


def _check_pairs(pairs: list[tuple[bytes, bytes]], where: str) -> None:
    for key, value in pairs:
        for part, what in ((key, "name"), (value, "value")):
            try:
                text = part.decode("utf-8")
            except UnicodeDecodeError:
                name = key.decode("utf-8", "replace")
                raise _bad("Invalid encoding", f"{where} {name!r}: the {what} is not valid "
                           "UTF-8", f"{where}.{name}") from None
            if "\x00" in text:
                name = key.decode("utf-8", "replace").replace("\x00", "\\0")
                raise _bad("NUL character", f"{where} {name!r}: the {what} contains a NUL "
                           "character (\\u0000), which no field may hold", f"{where}.{name}")


def _byte_pairs(raw: bytes) -> list[tuple[bytes, bytes]]:
    pairs = []
    for item in raw.split(b"&"):
        if not item:
            continue
        key, _, value = item.partition(b"=")
        pairs.append((unquote_to_bytes(key.replace(b"+", b" ")),
                      unquote_to_bytes(value.replace(b"+", b" "))))
    return pairs


def check_query(raw: bytes) -> None:
    _check_pairs(_byte_pairs(raw), "query")


def _walk(value: Any) -> Iterator[tuple[str, Any, int]]:
    """(location, value, depth) of every node, iteratively (no recursion limit to hit)."""
    stack: list[tuple[str, Any, int]] = [("body", value, 0)]
    while stack:
        where, node, depth = stack.pop()
        yield where, node, depth
        if isinstance(node, dict):
            for key, child in node.items():
                yield f"{where}.{key}", key, depth + 1
                stack.append((f"{where}.{key}", child, depth + 1))
        elif isinstance(node, list):
            stack.extend((f"{where}[{i}]", child, depth + 1) for i, child in enumerate(node))


def check_json(raw: bytes) -> None:
    """Refuse JSON bodies that are not UTF-8, not JSON, too deep, or hold NUL anywhere."""
    if not raw.strip():
        return
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _bad("Invalid encoding", f"body: byte {exc.start} is not valid UTF-8; JSON "
                   "bodies must be UTF-8", "body") from None
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        if "depth" in str(exc) or "recursion" in str(exc):
            raise _bad("JSON nested too deeply", f"body: nested deeper than {MAX_JSON_DEPTH} "
                       "levels", "body") from None
        raise _bad("Malformed JSON", f"the request body is not valid JSON: {exc}",
                   "body") from None
    for where, node, depth in _walk(document):
        if depth > MAX_JSON_DEPTH:
            raise _bad("JSON nested too deeply", f"body: nested deeper than {MAX_JSON_DEPTH} "
                       f"levels (at {where[:200]})", "body")
        if isinstance(node, str) and "\x00" in node:
            where = where.replace("\x00", "\\0")[:200]
            raise _bad("NUL character", f"{where}: contains a NUL character (\\u0000), which "
                       "no field may hold", where)


def _media_type(scope: Scope) -> str:
    for key, value in scope["headers"]:
        if key == b"content-type":
            return bytes(value).split(b";")[0].strip().lower().decode("latin-1")
    return ""


class InputGuard:
    """Reads each body whole (up to `max_bytes`, 413 above), checks path, query and body, then
    replays the body to the app."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            check_path(scope.get("raw_path") or scope["path"].encode("utf-8", "surrogateescape"))
            check_query(scope.get("query_string", b""))
            body: bytes | None = None
            if scope["method"] in BODY_METHODS:
                body = await self._read(scope, receive)
                media = _media_type(scope)
                if media in JSON_TYPES or media.endswith("+json"):
                    check_json(body)
                elif media == FORM_TYPE:
                    _check_pairs(_byte_pairs(body), "form")
        except Refused as refused:
            await _refuse(send, refused)
            return
        if body is None:
            await self.app(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    async def _read(self, scope: Scope, receive: Receive) -> bytes:
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            raise self._too_large()
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _bad("Bad request", "the client disconnected mid-body", "body")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                raise self._too_large()
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    def _too_large(self) -> Refused:
        return Refused(413, "Payload too large",
                       f"the request body is larger than the {self.max_bytes}-byte limit "
                       "(WARROOM_MAX_BODY_BYTES)", "body")


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _refuse(send: Send, refused: Refused) -> None:
    body = problem_bytes(refused.status, refused.title, refused.detail, field=refused.field)
    await send({"type": "http.response.start", "status": refused.status, "headers": [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})

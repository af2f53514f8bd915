"""The intake HTTP endpoints as raw ASGI apps: read, authenticate by key, parse, queue, answer.

No framework validation on this path: the body is decoded once with orjson and handed to the
format module; the answer is sent only after the writer committed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
from starlette.types import Receive, Scope, Send

from warroom.intake import alertmanager, changes, generic, limits, pagerduty, prometheus
from warroom.intake.dedup import Submission
from warroom.intake.errors import IntakeError, PagerDutyEventError
from warroom.intake.integrations import Integration, RateLimiter, Registry
from warroom.intake.writer import WriteFailed, Writer, writer_for

if TYPE_CHECKING:
    from warroom.runtime import Runtime

JSON = [(b"content-type", b"application/json")]
PROBLEM = [(b"content-type", b"application/problem+json")]
# Which integration kinds each endpoint serves; Alertmanager and Prometheus share identities.
ACCEPTS = {
    "alertmanager": ("alertmanager", "prometheus"),
    "prometheus": ("prometheus", "alertmanager"),
    "pagerduty": ("pagerduty",),
    "change": ("pagerduty",),
    "generic": ("generic",),
    "heartbeat": ("heartbeat",),
}


class _Reject(Exception):
    def __init__(self, status: int, body: dict[str, Any], headers: list[tuple[bytes, bytes]]
                 | None = None, problem: bool = True) -> None:
        self.status = status
        self.body = body
        self.headers = headers or []
        self.problem = problem


def _problem(status: int, title: str, detail: str, **extra: Any) -> _Reject:
    return _Reject(status, {"type": "about:blank", "title": title, "status": status,
                            "detail": detail, **extra})


@dataclass
class Intake:
    """Per-runtime intake state: key lookups, rate limits and the writer."""

    runtime: Runtime
    registry: Registry
    limiter: RateLimiter
    writer: Writer

    @classmethod
    def of(cls, runtime: Runtime) -> Intake:
        found = runtime.extras.get("intake")
        if isinstance(found, Intake):
            return found
        intake = cls(runtime, Registry(runtime.engine), RateLimiter(), writer_for(runtime))
        runtime.extras["intake"] = intake
        return intake


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _problem(400, "Bad request", "the client disconnected mid-body")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _problem(413, "Payload too large",
                           f"the request body is larger than the {limit}-byte limit")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _header(scope: Scope, name: bytes) -> bytes:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return b""


async def _send(send: Send, status: int, body: Any, headers: list[tuple[bytes, bytes]]) -> None:
    payload = b"" if body is None else orjson.dumps(body)
    await send({"type": "http.response.start", "status": status,
                "headers": [*headers, (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})


def _decode(raw: bytes, pagerduty_style: bool) -> Any:
    try:
        if b"\\u0000" in raw:  # valid JSON, but no database column can hold a NUL
            raise ValueError("contains \\u0000 (a NUL character), which no field may hold")
        return orjson.loads(raw) if raw.strip() else None
    except ValueError as exc:  # orjson.JSONDecodeError is a ValueError
        reason = str(exc) if "NUL" in str(exc) else f"not valid JSON ({exc})"
        if pagerduty_style:
            raise _Reject(400, PagerDutyEventError([("body", reason)]).body(),
                          problem=False) from None
        raise _problem(400, "Invalid payload", f"body: {reason}", field="body") from None


RUNTIME_KEY = "warroom.runtime"
Parser = Callable[[Any, Integration, "Runtime"], Submission]


def _parse_alertmanager(body: Any, integration: Integration, runtime: Runtime) -> Submission:
    return Submission(integration, alertmanager.parse(body, integration.name))


def _parse_prometheus(body: Any, integration: Integration, runtime: Runtime) -> Submission:
    return Submission(integration, prometheus.parse(body, integration.name, runtime.clock.now(),
                                                    runtime.settings.resolve_timeout))


def _parse_pagerduty(body: Any, integration: Integration, runtime: Runtime) -> Submission:
    return Submission(integration, pagerduty.parse(body, integration.name, runtime.clock.now()))


def _parse_change(body: Any, integration: Integration, runtime: Runtime) -> Submission:
    return Submission(integration, changes=[changes.parse(body, integration.name,
                                                          runtime.clock.now())])


def _parse_generic(body: Any, integration: Integration, runtime: Runtime) -> Submission:
    return Submission(integration, generic.parse(body, integration.name))


def _parse_heartbeat(body: Any, integration: Integration, runtime: Runtime) -> Submission:
    return Submission(integration, heartbeat=True)


PARSERS: dict[str, Parser] = {
    "alertmanager": _parse_alertmanager, "prometheus": _parse_prometheus,
    "pagerduty": _parse_pagerduty, "change": _parse_change, "generic": _parse_generic,
    "heartbeat": _parse_heartbeat,
}


class Endpoint:
    """One intake format as an ASGI app. `key_from` is path, bearer or body (PagerDuty)."""

    def __init__(self, fmt: str, key_from: str = "path") -> None:
        self.fmt = fmt
        self.key_from = key_from
        self.pagerduty_style = fmt in ("pagerduty", "change")
        self.parse = PARSERS[fmt]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            status, body, headers = await self._handle(scope, receive)
            headers = [*JSON, *headers]
        except _Reject as reject:
            await _send(send, reject.status, reject.body,
                        [*(PROBLEM if reject.problem else JSON), *reject.headers])
            return
        await _send(send, status, body, headers)

    async def _handle(self, scope: Scope, receive: Receive) -> tuple[int, Any, list[Any]]:
        runtime: Runtime = scope.get(RUNTIME_KEY) or scope["app"].state.services.runtime
        intake = Intake.of(runtime)
        limit = runtime.settings.max_body_bytes
        if self.pagerduty_style:
            limit = min(limit, pagerduty.MAX_PAYLOAD_BYTES)
        raw = await _read_body(receive, limit)
        body: Any = None
        if self.key_from == "path":
            key = scope["path_params"].get("key", "")
        elif self.key_from == "bearer":
            auth = _header(scope, b"authorization").decode("latin-1")
            key = auth[7:].strip() if auth[:7].lower() == "bearer " else ""
        else:
            body = _decode(raw, True)
            key = pagerduty.routing_key(body) or ""
            if not key:
                raise _Reject(400, PagerDutyEventError(
                    [("routing_key", "'routing_key' is missing or blank")]).body(),
                    problem=False)
        # A key with control characters (NUL above all) matches nothing and must not reach
        # the database, which would refuse the query itself.
        integration = intake.registry.by_key(key) if key and key.isprintable() else None
        if integration is None or integration.kind not in ACCEPTS[self.fmt]:
            # The same answer for every unknown or mismatched key: nothing to probe.
            raise _problem(404, "Not found", "no integration has this key; copy the intake "
                           "URL from `warroom integration list`")
        wait = intake.limiter.take(integration, runtime.clock.now().timestamp())
        if wait > 0:
            retry = str(max(1, int(wait + 0.999))).encode()
            if self.pagerduty_style:
                raise _Reject(429, {"status": "throttle event",
                                    "message": "Requests for this service are arriving too "
                                    "quickly. Please retry later."},
                              [(b"retry-after", retry)], problem=False)
            raise _Reject(429, {"type": "about:blank", "title": "Too many requests",
                                "status": 429, "detail": f"integration {integration.name} "
                                "is rate-limited; retry after the Retry-After seconds"},
                          [(b"retry-after", retry)])
        if body is None and self.fmt != "heartbeat":
            body = _decode(raw, self.pagerduty_style)
        try:
            submission = self.parse(body, integration, runtime)
            limits.check(submission.signals, "payload" if self.pagerduty_style else "alerts")
        except PagerDutyEventError as exc:
            raise _Reject(400, exc.body(), problem=False) from None
        except IntakeError as exc:
            if self.pagerduty_style:
                raise _Reject(400, PagerDutyEventError([(exc.field, str(exc))]).body(),
                              problem=False) from None
            raise _problem(400, "Invalid payload", str(exc), field=exc.field) from None
        try:
            await intake.writer.submit_async(submission)
        except WriteFailed as exc:
            raise _Reject(503, {"type": "about:blank", "title": "Not stored", "status": 503,
                                "detail": str(exc)}, [(b"retry-after", b"1")]) from None
        return self._answer(submission)

    def _answer(self, submission: Submission) -> tuple[int, Any, list[Any]]:
        if self.fmt == "pagerduty":
            return 202, pagerduty.success_body(submission.signals[0].dedup_key), []
        if self.fmt == "change":
            return 202, {"status": "success", "message": "Change event processed"}, []
        if self.fmt == "prometheus":
            return 200, None, []
        if self.fmt == "heartbeat":
            return 202, {"status": "ok", "integration": submission.integration.name}, []
        return 202, {"status": "accepted", "alerts": len(submission.signals),
                     "dedup_keys": [s.dedup_key for s in submission.signals]}, []


ENDPOINTS: dict[str, Endpoint] = {
    "alertmanager": Endpoint("alertmanager"),
    "prometheus": Endpoint("prometheus"),
    "generic": Endpoint("generic"),
    "heartbeat": Endpoint("heartbeat"),
}
EXACT: dict[str, Endpoint] = {
    "/api/v2/alerts": Endpoint("prometheus", key_from="bearer"),
    "/v2/enqueue": Endpoint("pagerduty", key_from="body"),
    "/v2/change/enqueue": Endpoint("change", key_from="body"),
}
_PREFIX = "/api/v1/intake/"


def match(path: str) -> tuple[Endpoint, str] | None:
    """The endpoint and key for an intake path, or None for every other path."""
    exact = EXACT.get(path)
    if exact is not None:
        return exact, ""
    if not path.startswith(_PREFIX):
        return None
    parts = path[len(_PREFIX):].split("/")
    if len(parts) == 2 and parts[0] in ENDPOINTS and parts[0] != "prometheus" and parts[1]:
        return ENDPOINTS[parts[0]], parts[1]
    if len(parts) == 5 and parts[0] == "prometheus" and parts[2:] == ["api", "v2", "alerts"]:
        return ENDPOINTS["prometheus"], parts[1]
    return None


class FastPath:
    """ASGI middleware sending intake POSTs straight to their endpoint: no routing table, no
    API middleware (request ids, access log) on the hottest path. Everything else passes."""

    def __init__(self, app: Any, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            found = match(scope["path"])
            if found is not None:
                endpoint, key = found
                await endpoint({**scope, "path_params": {"key": key},
                                RUNTIME_KEY: self.runtime}, receive, send)
                return
        await self.app(scope, receive, send)

"""Input no route can store is refused at the boundary with a 400/413 problem naming the
part at fault, on both engines: NUL anywhere, control characters in the path, bad UTF-8,
JSON nested too deeply, JSON sent as text/plain, oversized chunked bodies."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from warroom.runtime import Runtime
from warroom.testing.runtime import Users

JSON = {"content-type": "application/json"}


def _problem(resp: Any, status: int, field: str) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = resp.json()
    assert body["status"] == status and body["field"] == field, body
    return body


def test_nul_in_a_query_parameter_is_400_naming_it(client: TestClient, users: Users) -> None:
    resp = client.get("/api/v1/incidents?q=a%00b", headers=users.headers("viewer"))
    assert "NUL" in _problem(resp, 400, "query.q")["detail"]


@pytest.mark.parametrize("path, body", [
    ("/api/v1/incidents", b'{"title": "a\\u0000b", "severity": "P1"}'),
    ("/api/v1/silences", b'{"matchers": ["a=\\"b\\""], "comment": "x\\u0000"}'),
    ("/api/v1/users", b'{"name": "n\\u0000", "role": "viewer"}'),
    ("/api/v1/reports/drills/score", b'{"incident": "INC-1", "scenario": "a: \\u0000"}'),
])
def test_nul_anywhere_in_a_json_body_is_400_naming_the_field(
        client: TestClient, users: Users, path: str, body: bytes) -> None:
    resp = client.post(path, content=body, headers={**users.headers("admin"), **JSON})
    problem = _problem(resp, 400, resp.json().get("field", ""))
    assert problem["field"].startswith("body.") and "NUL" in problem["detail"]


def test_an_escaped_backslash_before_u0000_is_not_a_nul(client: TestClient,
                                                         users: Users) -> None:
    resp = client.post("/api/v1/incidents", content=b'{"title": "C:\\\\u0000", "severity": "P1"}',
                       headers={**users.headers("responder"), **JSON})
    assert resp.status_code == 201, resp.text
    assert resp.json()["incident"]["title"] == "C:\\u0000"


def test_nul_in_a_console_form_is_refused_too(client: TestClient) -> None:
    resp = client.post("/login", content=b"user=a%00&password=x",
                       headers={"content-type": "application/x-www-form-urlencoded"})
    _problem(resp, 400, "form.user")


@pytest.mark.parametrize("segment", ["a%0Ab", "a%00b", "a%1Bb", "a%7Fb"])
def test_control_characters_in_a_path_segment_are_400(client: TestClient, users: Users,
                                                      segment: str) -> None:
    resp = client.get(f"/api/v1/users/{segment}/oncall.ics", headers=users.headers("viewer"))
    assert "control character" in _problem(resp, 400, "path")["detail"]


def test_bad_utf8_is_named(client: TestClient, users: Users) -> None:
    headers = {**users.headers("responder"), **JSON}
    resp = client.post("/api/v1/incidents", content=b'{"title": "caf\xe9", "severity": "P1"}',
                       headers=headers)
    assert "not valid UTF-8" in _problem(resp, 400, "body")["detail"]
    resp = client.get("/api/v1/incidents?q=caf%E9", headers=users.headers("viewer"))
    assert "not valid UTF-8" in _problem(resp, 400, "query.q")["detail"]


@pytest.mark.parametrize("depth", [40, 5000, 200_000])
def test_deeply_nested_json_is_400_saying_so(client: TestClient, users: Users,
                                             depth: int) -> None:
    body = b"[" * depth + b"]" * depth
    resp = client.post("/api/v1/incidents", content=body,
                       headers={**users.headers("responder"), **JSON})
    assert _problem(resp, 400, "body")["title"] == "JSON nested too deeply"


def test_json_sent_as_text_plain_is_415_saying_which_header(client: TestClient,
                                                            users: Users) -> None:
    resp = client.post("/api/v1/incidents", content=b'{"title": "t", "severity": "P1"}',
                       headers={**users.headers("responder"), "content-type": "text/plain"})
    assert "Content-Type: application/json" in _problem(resp, 415, "body")["detail"]


def test_oversized_chunked_body_is_413_not_400(client: TestClient, users: Users,
                                               runtime: Runtime) -> None:
    limit = runtime.settings.max_body_bytes

    def chunks() -> Iterator[bytes]:
        yield b'{"title": "'
        for _ in range(limit // 65536 + 2):
            yield b"a" * 65536
        yield b'", "severity": "P1"}'

    resp = client.post("/api/v1/incidents", content=chunks(),
                       headers={**users.headers("responder"), **JSON})
    assert "transfer-encoding" in {k.lower() for k in resp.request.headers}
    assert f"{limit}-byte limit" in _problem(resp, 413, "body")["detail"]
    listed = client.get("/api/v1/incidents", headers=users.headers("viewer")).json()
    assert listed["items"] == []  # nothing half-written

"""Permission matrix: every role against every endpoint, through the HTTP app."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from warroom.testing.runtime import Users

ORDER = ["viewer", "responder", "commander", "admin"]

# (method, path, body, minimum role). {ref} is an open incident, {resolved} a resolved one.
MATRIX = [
    ("GET", "/api/v1/incidents", None, "viewer"),
    ("GET", "/api/v1/incidents/{ref}", None, "viewer"),
    ("GET", "/api/v1/incidents/{ref}/timeline", None, "viewer"),
    ("GET", "/api/v1/incidents/{ref}/verify", None, "viewer"),
    ("GET", "/api/v1/services", None, "viewer"),
    ("GET", "/api/v1/users", None, "viewer"),
    ("POST", "/api/v1/incidents", {"title": "t", "severity": "P2"}, "responder"),
    ("POST", "/api/v1/incidents/{ref}/acknowledge", {}, "responder"),
    ("POST", "/api/v1/incidents/{ref}/status", {"status": "investigating"}, "responder"),
    ("POST", "/api/v1/incidents/{ref}/severity", {"severity": "P1"}, "responder"),
    ("POST", "/api/v1/incidents/{ref}/type", {"type": "data"}, "responder"),
    ("POST", "/api/v1/incidents/{ref}/roles", {"role": "scribe", "user": "viewer"}, "responder"),
    ("POST", "/api/v1/incidents/{ref}/responders", {"user": "viewer"}, "responder"),
    ("POST", "/api/v1/incidents/{ref}/notes", {"text": "n"}, "responder"),
    ("POST", "/api/v1/incidents/{ref}/impact", {"impact": "i"}, "responder"),
    ("POST", "/api/v1/incidents/{ref}/resolve", {}, "responder"),
    ("POST", "/api/v1/incidents/{resolved}/reopen", {}, "commander"),
    ("POST", "/api/v1/incidents/{resolved}/close", {}, "commander"),
    ("POST", "/api/v1/users", {"name": "newbie", "password": "longenough"}, "admin"),
]


@pytest.mark.parametrize("method,path,body,minimum", MATRIX,
                         ids=[f"{m} {p}" for m, p, _, _ in MATRIX])
def test_role_matrix(client: TestClient, users: Users, method: str, path: str,
                     body: dict[str, str] | None, minimum: str) -> None:
    for role in ORDER:
        h = users.headers("admin")
        ref = client.post("/api/v1/incidents", json={"title": "m", "severity": "P2"},
                          headers=h).json()["incident"]["human_id"]
        resolved = client.post("/api/v1/incidents", json={"title": "r", "severity": "P2"},
                               headers=h).json()["incident"]["human_id"]
        client.post(f"/api/v1/incidents/{resolved}/resolve", json={}, headers=h)
        url = path.format(ref=ref, resolved=resolved)
        body_for_role = dict(body or {}, name=f"newbie-{role}") if "users" in path else body
        resp = client.request(method, url, json=body_for_role, headers=users.headers(role))
        allowed = ORDER.index(role) >= ORDER.index(minimum)
        if allowed:
            assert resp.status_code < 400, (role, url, resp.text)
        else:
            assert resp.status_code == 403, (role, url, resp.status_code)
        anon = client.request(method, url, json=body_for_role)
        assert anon.status_code == 401, (url, anon.status_code)

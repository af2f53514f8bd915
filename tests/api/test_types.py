"""Values beyond what the database or the clock can hold are a 422 naming the field, on both
engines (PostgreSQL INTEGER ids stop at 2^31 - 1): ids, cursors, dates and durations."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from warroom.testing.runtime import Users

HUGE = "99999999999999999999"
JUST_OVER_INT32 = str(2**31)


def _invalid(resp: Any, field: str) -> str:
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"] == "application/problem+json"
    body = resp.json()
    assert body["field"] == field, body
    return str(body["detail"])


@pytest.mark.parametrize("number", [HUGE, JUST_OVER_INT32])
@pytest.mark.parametrize("method, template, field", [
    ("GET", "/api/v1/action-items/{n}", "path.item_id"),
    ("GET", "/api/v1/alerts/{n}", "path.alert_id"),
    ("GET", "/api/v1/alerts?before={n}", "query.before"),
    ("POST", "/api/v1/tokens/{n}/revoke", "path.token_id"),
    ("POST", "/api/v1/notifications/{n}/retry", "path.row_id"),
])
def test_ids_and_cursors_beyond_the_column_are_422(
        client: TestClient, users: Users, method: str, template: str, field: str,
        number: str) -> None:
    resp = client.request(method, template.format(n=number), headers=users.headers("admin"))
    assert "2147483647" in _invalid(resp, field)


def test_the_largest_id_is_an_ordinary_404(client: TestClient, users: Users) -> None:
    resp = client.get(f"/api/v1/action-items/{2**31 - 1}", headers=users.headers("admin"))
    assert resp.status_code == 404, resp.text


def test_timeline_cursor_beyond_the_column_is_422(client: TestClient, users: Users) -> None:
    made = client.post("/api/v1/incidents", json={"title": "t", "severity": "P2"},
                       headers=users.headers("responder"))
    ref = made.json()["incident"]["human_id"]
    resp = client.get(f"/api/v1/incidents/{ref}/timeline?after={HUGE}",
                      headers=users.headers("viewer"))
    _invalid(resp, "query.after")


def test_overflowing_silence_duration_is_422(client: TestClient, users: Users) -> None:
    resp = client.post("/api/v1/silences", headers=users.headers("responder"), json={
        "matchers": ['alertname="DiskFull"'], "duration": "9999999999d", "comment": "x"})
    assert "100-year maximum" in _invalid(resp, "body.duration")


def test_far_future_silence_start_is_422(client: TestClient, users: Users) -> None:
    resp = client.post("/api/v1/silences", headers=users.headers("responder"), json={
        "matchers": ['alertname="DiskFull"'], "starts_at": "9999-12-31T23:00:00Z",
        "comment": "x"})
    assert "2999-12-31" in _invalid(resp, "body.starts_at")


@pytest.mark.parametrize("path", ["/api/v1/schedules/primary.ics",
                                  "/api/v1/schedules/primary/oncall",
                                  "/api/v1/users/admin/oncall.ics"])
def test_dates_before_1970_are_422_on_calendar_endpoints(client: TestClient, users: Users,
                                                         path: str) -> None:
    resp = client.get(f"{path}?start=0001-01-01", headers=users.headers("viewer"))
    assert "1970-01-01" in _invalid(resp, "query.start")


def test_declared_dates_out_of_range_are_422(client: TestClient, users: Users) -> None:
    resp = client.post("/api/v1/incidents", headers=users.headers("responder"), json={
        "title": "t", "severity": "P2", "started_at": "0001-01-01T00:00:00Z"})
    _invalid(resp, "body.started_at")


@pytest.mark.parametrize("path, body, field", [
    ("/api/v1/incidents", {"title": "t", "severity": "P2", "impact": "x" * 20_001},
     "body.impact"),
    ("/api/v1/incidents", {"title": "t", "severity": "P2", "commander": "c" * 201},
     "body.commander"),
    ("/api/v1/silences", {"matchers": ['a="b"'], "comment": "x" * 20_001}, "body.comment"),
    ("/api/v1/users", {"name": "n" * 201, "role": "viewer"}, "body.name"),
])
def test_free_text_fields_have_documented_limits(client: TestClient, users: Users, path: str,
                                                 body: dict[str, Any], field: str) -> None:
    resp = client.post(path, json=body, headers=users.headers("admin"))
    assert "at most" in _invalid(resp, field)


def test_openapi_shows_the_limits(client: TestClient) -> None:
    schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert schemas["DeclareBody"]["properties"]["impact"]["maxLength"] == 20_000

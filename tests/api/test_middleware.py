"""The access log records the status the client got: a crash is logged as 500 and answered
with a problem+json that carries the request id."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from warroom.api.app import create_app
from warroom.runtime import Runtime


def test_a_crash_is_answered_and_logged_as_500(runtime: Runtime,
                                               caplog: pytest.LogCaptureFixture) -> None:
    app = create_app(runtime)

    def crash() -> None:
        raise RuntimeError("a bug")

    # A deliberately broken route: no real route may crash, so the test brings its own.
    app.add_api_route("/api/v1/test-crash", crash)
    with TestClient(app, raise_server_exceptions=False) as client, \
            caplog.at_level(logging.INFO, logger="warroom.access"):
        resp = client.get("/api/v1/test-crash", headers={"x-request-id": "req-42"})
    assert resp.status_code == 500
    assert resp.headers["content-type"] == "application/problem+json"
    assert "req-42" in resp.json()["detail"]
    assert resp.headers["x-request-id"] == "req-42"
    access = [r for r in caplog.records if r.name == "warroom.access"]
    assert [getattr(r, "status", None) for r in access] == [500]

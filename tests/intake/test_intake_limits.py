"""Intake size limits over HTTP on both engines: too many alerts, labels or characters get a
400 naming the field (PagerDuty-shaped on the PagerDuty endpoint) and nothing is stored."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from warroom.api.app import create_app
from warroom.clock import FakeClock
from warroom.intake import limits
from warroom.runtime import Runtime
from warroom.testing.intake import am_alert, am_webhook, keys, stored_alerts, write_org
from warroom.testing.runtime import make_runtime, make_users


@pytest.fixture
def rt(db_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[Runtime]:
    runtime = make_runtime(db_url, tmp_path, clock, write_org(tmp_path))
    yield runtime
    runtime.engine.dispose()


@pytest.fixture
def http(rt: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(rt)) as c:
        yield c


def _refused(resp: Any, field: str, words: str) -> None:
    assert resp.status_code == 400, resp.text
    assert resp.headers["content-type"] == "application/problem+json"
    body = resp.json()
    assert body["field"] == field and words in body["detail"], body


def test_too_many_labels_is_400_naming_the_alert(http: TestClient, rt: Runtime) -> None:
    labels = {f"l{i}": "v" for i in range(limits.MAX_LABELS + 1)}
    body = am_webhook(am_alert(alertname="Fine"), am_alert(**labels))
    resp = http.post(f"/api/v1/intake/alertmanager/{keys(rt)['am']}", json=body)
    _refused(resp, "alerts[1].labels", f"at most {limits.MAX_LABELS}")
    assert stored_alerts(rt) == []


def test_huge_label_value_is_400_naming_the_label(http: TestClient, rt: Runtime) -> None:
    body = am_webhook(am_alert(alertname="Big", instance="x" * 900_000))
    resp = http.post(f"/api/v1/intake/alertmanager/{keys(rt)['am']}", json=body)
    _refused(resp, "alerts[0].labels.instance", f"at most {limits.MAX_LABEL_VALUE_CHARS}")


def test_huge_annotation_and_long_label_name_are_refused(http: TestClient,
                                                         rt: Runtime) -> None:
    url = f"/api/v1/intake/generic/{keys(rt)['hook']}"
    resp = http.post(url, json={"summary": "s", "labels": {"a": "b"},
                                "annotations": {"runbook": "y" * 20_000}})
    assert resp.status_code == 400, resp.text
    assert "annotations.runbook" in resp.json()["field"]
    resp = http.post(url, json={"summary": "s", "labels": {"k" * 300: "v"}})
    assert resp.status_code == 400 and "names hold at most" in resp.json()["detail"]


def test_too_many_alerts_in_one_request(http: TestClient, rt: Runtime) -> None:
    alerts = [am_alert(alertname=f"A{i}") for i in range(limits.MAX_ALERTS + 1)]
    resp = http.post(f"/api/v1/intake/alertmanager/{keys(rt)['am']}", json=am_webhook(*alerts))
    _refused(resp, "alerts", "split the batch")
    assert stored_alerts(rt) == []


def test_pagerduty_endpoint_answers_limits_in_pagerduty_shape(http: TestClient,
                                                              rt: Runtime) -> None:
    details = {f"d{i}": "v" for i in range(limits.MAX_ANNOTATIONS + 1)}
    resp = http.post("/v2/enqueue", json={
        "routing_key": keys(rt)["pd"], "event_action": "trigger",
        "payload": {"summary": "disk full", "source": "db1", "severity": "critical",
                    "custom_details": details}})
    assert resp.status_code == 400, resp.text
    body = resp.json()
    assert body["status"] == "invalid event" and body["message"] == "Event object is invalid"
    assert any("at most" in e for e in body["errors"]), body


@pytest.mark.parametrize("key", ["a%00b", "%0A"])
def test_a_key_with_control_characters_is_an_ordinary_404(http: TestClient, key: str) -> None:
    resp = http.post(f"/api/v1/intake/generic/{key}", json={"summary": "s"})
    assert resp.status_code == 404, resp.text
    resp = http.post("/v2/enqueue", json={"routing_key": "a\nb", "event_action": "trigger"})
    assert resp.status_code in (400, 404), resp.text


def test_an_integration_key_already_in_use_is_409(http: TestClient, rt: Runtime) -> None:
    admin = make_users(rt, {"boss": "admin"}).headers("boss")
    resp = http.post("/api/v1/integrations", headers=admin, json={
        "name": "copycat", "kind": "generic", "key": keys(rt)["hook"]})
    assert resp.status_code == 409, resp.text
    assert "already uses this key" in resp.json()["detail"]

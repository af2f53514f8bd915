"""Prometheus posting to /api/v2/alerts: repeats dedup, endsAt in the past resolves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from warroom.domain.alerts import alertmanager_fingerprint
from warroom.intake import alertmanager, prometheus
from warroom.intake.errors import IntakeError

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
LABELS = {"alertname": "ServiceDown", "job": "shieldx-api", "severity": "critical"}


def _alert(ends_at: datetime | None) -> dict[str, Any]:
    alert: dict[str, Any] = {
        "labels": dict(LABELS),
        "annotations": {"summary": "shieldx-api down"},
        "startsAt": "2026-01-05T07:00:00Z",
        "generatorURL": "http://prometheus:9090/graph",
    }
    if ends_at is not None:
        alert["endsAt"] = ends_at.isoformat()
    return alert


def test_resent_firing_alert_keeps_the_same_dedup_key() -> None:
    first = prometheus.parse([_alert(NOW + timedelta(minutes=4))], "prom", NOW)
    again = prometheus.parse([_alert(NOW + timedelta(minutes=5))], "prom", NOW + timedelta(
        seconds=60))
    assert first[0].dedup_key == again[0].dedup_key
    assert first[0].status == again[0].status == "firing"


@given(st.integers(min_value=-3600, max_value=3600))
def test_alert_is_resolved_iff_ends_at_is_not_in_the_future(offset: int) -> None:
    ends_at = NOW + timedelta(seconds=offset)
    [signal] = prometheus.parse([_alert(ends_at)], "prom", NOW)
    assert signal.status == ("resolved" if ends_at <= NOW else "firing")


def test_alert_without_ends_at_is_firing_and_starts_now_when_unset() -> None:
    alert = _alert(None)
    del alert["startsAt"]
    [signal] = prometheus.parse([alert], "prom", NOW)
    assert signal.status == "firing"
    assert signal.starts_at == NOW


def test_dedup_key_equals_the_fingerprint_alertmanager_would_send() -> None:
    [signal] = prometheus.parse([_alert(None)], "prom", NOW)
    assert signal.dedup_key == alertmanager_fingerprint(LABELS)
    webhook = {"version": "4", "status": "firing", "alerts": [
        {"status": "firing", "labels": dict(LABELS), "annotations": {}}]}
    assert alertmanager.parse(webhook, "am")[0].dedup_key == signal.dedup_key


@pytest.mark.parametrize(("body", "field", "fragment"), [
    ({"labels": {}}, "body", "JSON array"),
    ([{"labels": {}}], "[0].labels", "at least one label pair"),
    ([_alert(None), {"labels": {"a": "b"}, "annotations": {"x": 1}}], "[1].annotations.x",
     "must be a string"),
    ([{"labels": {"a": "b"}, "startsAt": "2026-01-05T09:00:00Z",
       "endsAt": "2026-01-05T08:00:00Z"}], "[0].endsAt", "before startsAt"),
    (["alert"], "[0]", "must be an object"),
])
def test_bad_bodies_name_the_field(body: Any, field: str, fragment: str) -> None:
    with pytest.raises(IntakeError) as caught:
        prometheus.parse(body, "prom", NOW)
    assert caught.value.field == field
    assert fragment in caught.value.message

"""Grouping: stable keys from group_by labels; join an open incident inside the window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from warroom.routing.grouping import OpenIncident, group_key, joinable_incident

NOW = datetime(2026, 1, 5, 9, tzinfo=UTC)


def test_group_key_uses_only_group_by_labels_that_exist() -> None:
    labels = {"alertname": "HighLatency", "env": "prod", "pod": "api-7"}
    assert group_key(labels, ["env", "alertname", "region"]) == (
        '{alertname="HighLatency",env="prod"}')
    assert group_key(labels, []) == "{}"
    assert group_key(labels, ["..."]) == '{alertname="HighLatency",env="prod",pod="api-7"}'


@given(st.dictionaries(st.text(min_size=1, max_size=5), st.text(max_size=5), max_size=6))
def test_group_key_is_independent_of_label_and_group_by_order(labels: dict[str, str]) -> None:
    names = list(labels)
    assert group_key(labels, names) == group_key(dict(reversed(list(labels.items()))),
                                                 list(reversed(names)))


def _incident(incident_id: str, minutes_ago: int, service: str = "api",
              key: str = '{alertname="X"}') -> OpenIncident:
    return OpenIncident(incident_id, service, key, NOW - timedelta(minutes=minutes_ago))


def test_alert_joins_same_service_and_key_inside_the_window() -> None:
    window = timedelta(hours=1)
    found = joinable_incident("api", '{alertname="X"}', NOW, window,
                              [_incident("INC-1", 90), _incident("INC-2", 30),
                               _incident("INC-3", 5, service="db"),
                               _incident("INC-4", 5, key='{alertname="Y"}')])
    assert found is not None and found.incident_id == "INC-2"


def test_no_join_outside_the_window() -> None:
    assert joinable_incident("api", '{alertname="X"}', NOW, timedelta(hours=1),
                             [_incident("INC-1", 61)]) is None
    assert joinable_incident("api", '{alertname="X"}', NOW, timedelta(hours=1),
                             [_incident("INC-1", 60)]) is not None


def test_most_recently_active_incident_wins() -> None:
    found = joinable_incident("api", '{alertname="X"}', NOW, timedelta(hours=1),
                              [_incident("INC-1", 50), _incident("INC-2", 10)])
    assert found is not None and found.incident_id == "INC-2"

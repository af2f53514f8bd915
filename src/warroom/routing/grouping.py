"""Grouping: which alerts belong together, and whether a new alert joins an open incident."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

# Alertmanager's "group by every label": each distinct label set is its own group.
ALL_LABELS = "..."


def group_key(labels: Mapping[str, str], group_by: Sequence[str]) -> str:
    """A stable text key from the grouping labels, e.g. `{alertname="HighLatency",env="prod"}`.

    Absent labels are left out, like Alertmanager. An empty `group_by` puts every alert of the
    service in one group.
    """
    names = sorted(labels) if ALL_LABELS in group_by else sorted(set(group_by))
    pairs = ",".join(f"{name}={json.dumps(labels[name], ensure_ascii=False)}"
                     for name in names if name in labels)
    return "{" + pairs + "}"


@dataclass(frozen=True)
class OpenIncident:
    """What grouping needs to know about an open incident."""

    incident_id: str
    service: str
    group_key: str
    last_alert_at: datetime  # when the latest alert joined (or the incident was declared)


def joinable_incident(service: str, key: str, now: datetime, window: timedelta,
                      open_incidents: Iterable[OpenIncident]) -> OpenIncident | None:
    """The open incident a new alert joins: same service and group key, and its latest alert no
    longer than `window` ago. The window slides, so a long-running problem keeps collecting its
    alerts; of several candidates the most recently active wins."""
    best: OpenIncident | None = None
    for incident in open_incidents:
        if (incident.service == service and incident.group_key == key
                and now - incident.last_alert_at <= window
                and (best is None or incident.last_alert_at > best.last_alert_at)):
            best = incident
    return best

"""Intake test helpers: an org config with integrations, and reading integrations and alerts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

from warroom.intake import integrations as integ
from warroom.runtime import Runtime
from warroom.store.alerts import alerts

BASE_ORG = """
services:
  - {name: api}
  - {name: auth}
  - {name: database}
integrations:
  - {name: am, kind: alertmanager, service: api}
  - {name: prom, kind: prometheus, service: api}
  - {name: pd, kind: pagerduty, service: database}
  - {name: hook, kind: generic}
  - {name: cron, kind: heartbeat, service: database, interval: 10m}
  - {name: limited, kind: generic, service: api, rate_limit: 1, burst: 2}
"""


def write_org(tmp_path: Path, extra: str = "") -> Path:
    """An org config file with the standard test integrations plus `extra` YAML."""
    path = tmp_path / "org.yaml"
    path.write_text(BASE_ORG + extra)
    return path


def keys(runtime: Runtime) -> dict[str, str]:
    """Integration name -> key."""
    with runtime.engine.connect() as conn:
        return {i.name: i.key for i in integ.list_all(conn)}


def stored_alerts(runtime: Runtime, **where: Any) -> list[Any]:
    query = sa.select(alerts).order_by(alerts.c.id)
    for name, value in where.items():
        query = query.where(alerts.c[name] == value)
    with runtime.engine.connect() as conn:
        return list(conn.execute(query).all())


def am_alert(status: str = "firing", **labels: str) -> dict[str, Any]:
    """One Alertmanager webhook alert."""
    return {"status": status, "labels": {"alertname": "ServiceDown", **labels},
            "annotations": {"summary": f"{labels.get('job', 'job')} is down"},
            "startsAt": "2026-01-05T08:59:00Z", "endsAt": "0001-01-01T00:00:00Z"}


def am_webhook(*alerts_: dict[str, Any], status: str = "firing") -> dict[str, Any]:
    return {"version": "4", "status": status, "receiver": "warroom", "groupKey": "{}",
            "truncatedAlerts": 0, "groupLabels": {}, "commonLabels": {},
            "commonAnnotations": {}, "externalURL": "http://am", "alerts": list(alerts_)}

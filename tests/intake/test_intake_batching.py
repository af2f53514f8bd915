"""One transaction of many alerts does exactly what one transaction per alert does: the same
incidents, the same grouping and the same timelines, with chains that verify."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

from warroom.clock import FakeClock
from warroom.intake.dedup import Submission, apply
from warroom.intake.integrations import Integration
from warroom.intake.signal import Signal
from warroom.intake.writer import writer_for
from warroom.runtime import Runtime
from warroom.services.incidents import IncidentService
from warroom.services.principal import SYSTEM
from warroom.store.alerts import alerts
from warroom.store.schema import incident_events, incidents, metadata
from warroom.testing.intake import write_org
from warroom.testing.runtime import make_runtime

ROUTES = """
routes:
  - {name: shieldx, matchers: ['job=~"shieldx-.*"'], service: api, group_by: [alertname],
     severity_map: {critical: P1, warning: P2}}
  - {name: auth, matchers: ['job=~"auth.*"'], service: auth, group_by: [alertname, cluster]}
"""
HOOK = Integration("hook", "generic", "api", "k" * 32)


def _signal(n: int, status: str = "firing") -> Signal:
    job = "shieldx-api" if n % 3 else "auth-svc"
    labels = {"alertname": f"Alert{n % 4}", "job": job, "instance": f"i{n}",
              "cluster": f"c{n % 2}", "severity": "critical" if n % 5 == 0 else "warning"}
    return Signal("generic", "hook", f"key-{n}", status, f"alert {n}",  # type: ignore[arg-type]
                  labels=labels)


def _storm() -> list[Signal]:
    signals = [_signal(n) for n in range(200)]
    signals[25:25] = [_signal(3, "resolved"), _signal(7, "resolved")]  # resolves mid-storm
    signals.append(_signal(3))  # fires again after its resolve
    return signals


def _picture(runtime: Runtime) -> tuple[dict[Any, Any], dict[str, list[tuple[str, Any]]]]:
    """Alert -> incident, and each incident's timeline as (kind, alert key) in order."""
    with runtime.engine.connect() as conn:
        human = dict(conn.execute(sa.select(incidents.c.id, incidents.c.human_id)).all())
        placed = {(key, status): human.get(incident) for key, status, incident in conn.execute(
            sa.select(alerts.c.dedup_key, alerts.c.status, alerts.c.incident_id))}
        timelines: dict[str, list[tuple[str, Any]]] = {}
        for incident_id, kind, data in conn.execute(
                sa.select(incident_events.c.incident_id, incident_events.c.kind,
                          incident_events.c.data)
                .order_by(incident_events.c.incident_id, incident_events.c.seq)):
            alert = data.get("alert") if isinstance(data, dict) else None
            key = alert.get("dedup_key") if isinstance(alert, dict) else None
            timelines.setdefault(human[incident_id], []).append((kind, key))
    return placed, timelines


def test_one_transaction_for_a_storm_matches_one_transaction_per_alert(
        db_url: str, tmp_path: Path, clock: FakeClock) -> None:
    config = write_org(tmp_path, ROUTES)
    one_by_one = make_runtime(db_url, tmp_path / "a", clock, config)
    writer = writer_for(one_by_one)
    for signal in _storm():
        writer.write(Submission(HOOK, [signal]))
    expected = _picture(one_by_one)
    with one_by_one.engine.begin() as conn:  # the same database, emptied for the second run
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())
    one_by_one.engine.dispose()

    together = make_runtime(db_url, tmp_path / "b", clock, config)
    with together.engine.begin() as conn:
        batch = apply(conn, writer_for(together).pipeline, [Submission(HOOK, _storm())],
                      clock.now())
    appends = len(batch.results)
    assert _picture(together) == expected
    service = IncidentService(together)
    for human_id in expected[1]:
        _, broken, _ = service.verify(SYSTEM, human_id)
        assert broken is None, f"{human_id}: {broken}"
    # The joins of each incident went in as one append, not one per alert.
    assert appends < len(_storm()) // 4
    together.engine.dispose()

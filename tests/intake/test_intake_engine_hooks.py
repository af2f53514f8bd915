"""Heartbeats and probes as engine passes, driven by a FakeClock and a local HTTP server."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx
import sqlalchemy as sa

from warroom.api.app import create_app
from warroom.clock import FakeClock
from warroom.engine.worker import Worker
from warroom.store.alerts import probe_results
from warroom.testing.intake import keys, stored_alerts, write_org
from warroom.testing.receivers import HttpReceiver, ScriptedResponse, self_signed_certificate
from warroom.testing.runtime import make_runtime


def test_missed_heartbeat_fires_and_the_next_ping_resolves(db_url: str, tmp_path: Path,
                                                          clock: FakeClock) -> None:
    from fastapi.testclient import TestClient

    runtime = make_runtime(db_url, tmp_path, clock, write_org(tmp_path))
    worker = Worker(runtime)
    with TestClient(create_app(runtime)) as http:
        url = f"/api/v1/intake/heartbeat/{keys(runtime)['cron']}"
        assert http.post(url).status_code == 202
        clock.advance(timedelta(minutes=10))
        worker.run_once()
        assert stored_alerts(runtime) == []  # exactly one interval: not missed yet
        clock.advance(timedelta(seconds=6))
        worker.run_once()
        [alert] = stored_alerts(runtime)
        assert (alert.status, alert.service, alert.labels["alertname"]) == (
            "firing", "database", "HeartbeatMissed")
        assert alert.incident_id is not None
        clock.advance(timedelta(seconds=6))
        worker.run_once()
        assert len(stored_alerts(runtime)) == 1  # still missed: no second alert
        http.post(url)
        assert [a.status for a in stored_alerts(runtime)] == ["resolved"]
    runtime.engine.dispose()


def test_probe_alerts_after_n_failures_keeps_history_and_resolves(
        db_url: str, tmp_path: Path, clock: FakeClock) -> None:
    with HttpReceiver(default=ScriptedResponse(503, b"down")) as target:
        org = write_org(tmp_path).read_text().replace("  - {name: auth}\n", f"""  - name: auth
    probes:
      - name: auth-health
        url: {target.url_for('/api/health')}
        interval: 30s
        timeout: 2s
        failures_before_alert: 2
        severity: critical
""")
        (tmp_path / "org.yaml").write_text(org)
        runtime = make_runtime(db_url, tmp_path, clock, tmp_path / "org.yaml")
        worker = Worker(runtime)
        worker.run_once()
        assert stored_alerts(runtime) == []
        worker.run_once()  # within the interval: the probe does not run again
        clock.advance(timedelta(seconds=30))
        worker.run_once()
        [alert] = stored_alerts(runtime)
        assert (alert.status, alert.dedup_key, alert.service) == ("firing",
                                                                   "probe:auth-health:http",
                                                                   "auth")
        target.respond(ScriptedResponse(200, b"ok"))
        clock.advance(timedelta(seconds=30))
        worker.run_once()
        assert [a.status for a in stored_alerts(runtime)] == ["resolved"]
        with runtime.engine.connect() as conn:
            history = conn.execute(sa.select(probe_results.c.ok).order_by(
                probe_results.c.id)).scalars().all()
        assert history == [False, False, True]
        assert len(target.requests) == 3
        runtime.engine.dispose()
    assert httpx  # the probe uses a real HTTP client against the receiver


def test_http_probe_with_verify_tls_false_passes_on_a_self_signed_host(
        db_url: str, tmp_path: Path, clock: FakeClock) -> None:
    pair = self_signed_certificate(tmp_path / "tls")
    with HttpReceiver(default=ScriptedResponse(200, b"ok"),
                      tls=pair.server_context()) as target:
        org = write_org(tmp_path).read_text().replace("  - {name: auth}\n", f"""  - name: auth
    probes:
      - name: self-signed
        url: {target.url_for('/health')}
        verify_tls: false
        failures_before_alert: 1
      - name: verified
        url: {target.url_for('/health')}
        failures_before_alert: 1
""")
        (tmp_path / "org.yaml").write_text(org)
        runtime = make_runtime(db_url, tmp_path, clock, tmp_path / "org.yaml")
        Worker(runtime).run_once()
        with runtime.engine.connect() as conn:
            results = {row.probe: row for row in conn.execute(sa.select(probe_results))}
        runtime.engine.dispose()
    assert target.url.startswith("https://")
    assert results["self-signed"].ok, results["self-signed"].detail
    assert results["self-signed"].status_code == 200
    # verify_tls defaults to true: the same host fails, naming the certificate.
    assert not results["verified"].ok
    assert "certificate" in results["verified"].detail.lower()
    assert [a.dedup_key for a in stored_alerts(runtime)] == ["probe:verified:http"]

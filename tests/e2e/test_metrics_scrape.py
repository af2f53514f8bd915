"""A real Prometheus scrapes a real `warroom serve` and sees the open incidents."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from warroom.clock import SystemClock
from warroom.domain import incident as dom
from warroom.services.incidents import IncidentService
from warroom.services.principal import SYSTEM
from warroom.testing.runtime import make_runtime
from warroom.testing.server import Server, free_port

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(shutil.which("prometheus") is None
                                 and not Path("/usr/bin/prometheus").exists(),
                                 reason="Prometheus is not installed")]
PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    db_url = f"sqlite:///{tmp_path / 'warroom.db'}"
    runtime = make_runtime(db_url, tmp_path, SystemClock())  # type: ignore[arg-type]
    svc = IncidentService(runtime)
    for title, severity in (("Checkout down", "P0"), ("Replication lag", "P1"),
                            ("Slow search", "P1")):
        svc.declare(SYSTEM, dom.Declare(title=title, severity=severity))
    svc.declare(SYSTEM, dom.Declare(title="Drill", severity="P1", drill=True))
    runtime.engine.dispose()
    srv = Server(tmp_path, {"WARROOM_DATABASE_URL": db_url,
                            "WARROOM_DATA_DIR": str(tmp_path / "data"), "WARROOM_CONFIG": "",
                            "WARROOM_BOOTSTRAP_ADMIN": ""})
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def prometheus(tmp_path: Path, server: Server) -> Iterator[str]:
    port = free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(f"""
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: warroom
    metrics_path: /metrics
    static_configs:
      - targets: ["127.0.0.1:{server.port}"]
""", encoding="utf-8")
    log = (tmp_path / "prometheus.log").open("w")
    proc = subprocess.Popen([PROMETHEUS, f"--config.file={config}",
                             f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                             f"--web.listen-address=127.0.0.1:{port}"],
                            stdout=log, stderr=subprocess.STDOUT)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    log.close()


def _query(base: str, expr: str) -> list[dict[str, object]]:
    try:
        resp = httpx.get(f"{base}/api/v1/query", params={"query": expr}, timeout=2)
    except httpx.HTTPError:
        return []
    if resp.status_code != 200:
        return []
    result: list[dict[str, object]] = resp.json()["data"]["result"]
    return result


def test_prometheus_scrapes_open_incidents_by_severity(prometheus: str, tmp_path: Path) -> None:
    deadline = time.monotonic() + 45
    found: dict[str, str] = {}
    while time.monotonic() < deadline:
        rows = _query(prometheus, 'warroom_open_incidents{job="warroom"}')
        found = {str(r["metric"]["severity"]): str(r["value"][1])  # type: ignore[index]
                 for r in rows}
        if found:
            break
        time.sleep(0.25)  # waiting on a real Prometheus process, not on a warroom timer
    log = (tmp_path / "prometheus.log").read_text()
    assert found, f"Prometheus never stored warroom_open_incidents:\n{log[-2000:]}"
    assert found == {"P0": "1", "P1": "2", "P2": "0", "P3": "0"}
    up = _query(prometheus, 'up{job="warroom"}')
    assert up and up[0]["value"][1] == "1"  # type: ignore[index]
    depth = _query(prometheus, 'warroom_outbox_depth{status="dead"}')
    assert depth and float(depth[0]["value"][1]) >= 0  # type: ignore[index]

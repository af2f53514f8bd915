"""Test helpers for the runbook engine: an org config directory with a `runbooks:` section,
runbook files written from dicts, API shortcuts for runs and approvals, a real Prometheus."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import yaml
from fastapi.testclient import TestClient

from warroom.testing.receivers import free_port
from warroom.testing.runtime import Users

ORG = {
    "services": [{"name": "frontend", "team": "sre"}, {"name": "api", "team": "sre"}],
    "teams": [{"name": "sre", "members": ["responder", "responder2"]}],
}


def write_org(root: Path, runbooks: list[dict[str, Any]], *, execution: str = "enabled",
              extra: dict[str, Any] | None = None, org: dict[str, Any] | None = None) -> Path:
    """A config directory `root/config` whose runbooks live in `root/runbooks`."""
    config, books = root / "config", root / "runbooks"
    config.mkdir(parents=True, exist_ok=True)
    books.mkdir(parents=True, exist_ok=True)
    for rb in runbooks:
        (books / f"{rb['id']}.yaml").write_text(yaml.safe_dump(rb, sort_keys=False))
    section: dict[str, Any] = {"directory": "../runbooks", "environment": "test",
                               "execution": {"default": "dry-run", "test": execution},
                               **(extra or {})}
    (config / "org.yaml").write_text(yaml.safe_dump({**(org or ORG), "runbooks": section},
                                                    sort_keys=False))
    return config


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def declare(client: TestClient, users: Users, who: str = "responder", **body: Any) -> str:
    data = ok(client.post("/api/v1/incidents", headers=users.headers(who), json={
        "title": "Frontend down", "severity": "P1", "services": ["frontend"], **body}), 201)
    return str(data["incident"]["human_id"])


def start_run(client: TestClient, users: Users, runbook: str, incident: str | None = None,
              who: str = "responder", **params: str) -> dict[str, Any]:
    result: dict[str, Any] = ok(client.post("/api/v1/runs", headers=users.headers(who), json={
        "runbook": runbook, "incident": incident, "params": params}), 201)
    return result


def run_step(client: TestClient, users: Users, run_id: str, step: str,
             who: str = "responder") -> Any:
    return client.post(f"/api/v1/runs/{run_id}/steps/{step}/run", headers=users.headers(who))


def timeline_kinds(client: TestClient, users: Users, incident: str) -> list[str]:
    data = ok(client.get(f"/api/v1/incidents/{incident}/timeline",
                         headers=users.headers("responder")))
    return [e["kind"] for e in data["events"]]


def timeline(client: TestClient, users: Users, incident: str) -> list[dict[str, Any]]:
    data = ok(client.get(f"/api/v1/incidents/{incident}/timeline",
                         headers=users.headers("responder")))
    events: list[dict[str, Any]] = data["events"]
    return events


class RealPrometheus:
    """The Debian `prometheus` binary on a free port with tmp storage, scraping `targets`
    every second. `wait_for(query)` polls the real server until the query has data."""

    BINARY = "/usr/bin/prometheus"

    def __init__(self, workdir: Path, targets: list[str]) -> None:
        self.workdir = workdir
        self.targets = targets
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> RealPrometheus:
        self.workdir.mkdir(parents=True, exist_ok=True)
        config = self.workdir / "prometheus.yml"
        config.write_text(yaml.safe_dump({
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "scrape_configs": [{"job_name": "test", "static_configs": [
                {"targets": self.targets}]}]}))
        self.log = (self.workdir / "prometheus.log").open("wb")
        self.proc = subprocess.Popen(
            [self.BINARY, f"--config.file={config}",
             f"--storage.tsdb.path={self.workdir / 'data'}",
             f"--web.listen-address=127.0.0.1:{self.port}"],
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def wait_for(self, query: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None and self.proc.poll() is None, \
                (self.workdir / "prometheus.log").read_text()[-2000:]
            try:
                data = httpx.get(f"{self.url}/api/v1/query", params={"query": query},
                                 timeout=2).json()
                if data.get("data", {}).get("result"):
                    return
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(0.2)  # waiting on a real process's scrape, not on a warroom timer
        raise TimeoutError(f"Prometheus had no data for {query!r} within {timeout:g}s")

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

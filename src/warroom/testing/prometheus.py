"""Real Prometheus and Alertmanager processes for end-to-end tests, and a /metrics target."""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from warroom.testing.receivers import HttpReceiver, ScriptedResponse, free_port

PROMETHEUS = "/usr/bin/prometheus"
ALERTMANAGER = "/usr/bin/prometheus-alertmanager"


def metrics_target(port: int = 0, body: bytes = b"shieldx_requests_total 1\n") -> HttpReceiver:
    """A scrape target; stop it to make `up` 0, start one on the same port to bring it back.
    `set_metrics` changes what it serves while it runs."""
    return set_metrics(HttpReceiver(port=port), body)


def set_metrics(target: HttpReceiver, body: bytes) -> HttpReceiver:
    target.default = ScriptedResponse(200, body, {"Content-Type": "text/plain; version=0.0.4"})
    return target


@dataclass
class Process:
    """A started binary with its log file; `stop` kills it."""

    name: str
    args: list[str]
    workdir: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, ready_path: str, timeout: float = 20) -> None:
        log = (self.workdir / f"{self.name}.log").open("wb")
        self.proc = subprocess.Popen(
            [*self.args, f"--web.listen-address=127.0.0.1:{self.port}"],
            cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.output()}")
            try:
                if httpx.get(self.url + ready_path, timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()  # callers add it to their clean-up only once it is ready
        raise RuntimeError(f"{self.name} not ready in {timeout}s: {self.output()}")

    def output(self) -> str:
        path = self.workdir / f"{self.name}.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def alertmanager(workdir: Path, webhook_url: str) -> Process:
    """Alertmanager posting every group to `webhook_url` after 1 s (resolved too)."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "alertmanager.yml").write_text(f"""
route:
  receiver: warroom
  group_by: [alertname, job]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: warroom
    webhook_configs:
      - url: {webhook_url}
        send_resolved: true
""")
    return Process("alertmanager", [
        ALERTMANAGER, f"--config.file={workdir / 'alertmanager.yml'}",
        f"--storage.path={workdir / 'am-data'}", "--cluster.listen-address="], workdir)


def prometheus(workdir: Path, target: str, alerting: str, rules: str) -> Process:
    """Prometheus scraping `target` as job shieldx-api every second and evaluating `rules`;
    `alerting` is the YAML of one `alertmanagers` entry."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "rules.yml").write_text(rules)
    (workdir / "prometheus.yml").write_text(f"""
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [{workdir / 'rules.yml'}]
scrape_configs:
  - job_name: shieldx-api
    scrape_timeout: 500ms
    static_configs: [{{targets: ["{target}"]}}]
alerting:
  alertmanagers:
{alerting}
""")
    return Process("prometheus", [
        PROMETHEUS, f"--config.file={workdir / 'prometheus.yml'}",
        f"--storage.tsdb.path={workdir / 'tsdb'}", "--rules.alert.resend-delay=1s",
        "--web.enable-lifecycle"], workdir)


def reload_rules(prom: Process, rules: str) -> None:
    """Rewrite the rule file and have Prometheus reload its configuration (`/-/reload`)."""
    (prom.workdir / "rules.yml").write_text(rules)
    response = httpx.post(prom.url + "/-/reload", timeout=30)
    response.raise_for_status()


SERVICE_DOWN_RULES = """
groups:
  - name: shieldx
    rules:
      - alert: ServiceDown
        expr: up{job=~"shieldx-.*"} == 0
        for: 2s
        labels: {severity: critical}
        annotations: {summary: "{{ $labels.job }} is down"}
"""


# The three rules of issue 10's done-when: a target down, 5xx share above half, a low balance.
# The error ratio reaches warroom's triage as `values.error_ratio`, through the annotation.
SERVICE_DOWN_RULE = """
      - alert: ServiceDown
        expr: up{job=~"shieldx-.*"} == 0
        for: 2s
        labels: {severity: critical}
        annotations: {summary: "{{ $labels.job }} is down"}"""
ERROR_RATIO_RULE = """
      - alert: HighErrorRatio
        expr: sum(shieldx_responses{code=~"5.."}) / sum(shieldx_responses) > 0.5
        for: 2s
        labels: {severity: warning, job: shieldx-api}
        annotations: {summary: "5xx share above half", error_ratio: "{{ $value }}"}"""
LOW_BALANCE_RULE = """
      - alert: LowBalance
        expr: shieldx_account_balance < 100
        for: 2s
        labels: {severity: warning}
        annotations: {summary: "balance {{ $value }} is low", value: "{{ $value }}"}"""


def flow_rules(*rules: str) -> str:
    return "\ngroups:\n  - name: shieldx\n    rules:" + "".join(rules) + "\n"


FAILING_METRICS = (b'shieldx_responses{code="200"} 3\nshieldx_responses{code="500"} 7\n'
                   b"shieldx_account_balance 42\n")
HEALTHY_METRICS = (b'shieldx_responses{code="200"} 10\nshieldx_responses{code="500"} 0\n'
                   b"shieldx_account_balance 42\n")

"""Real Prometheus (and Alertmanager) firing ServiceDown into a real `warroom serve`."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import yaml

from warroom.testing.paging import write_paging_config
from warroom.testing.prometheus import (
    ERROR_RATIO_RULE,
    FAILING_METRICS,
    HEALTHY_METRICS,
    LOW_BALANCE_RULE,
    SERVICE_DOWN_RULE,
    SERVICE_DOWN_RULES,
    Process,
    alertmanager,
    flow_rules,
    metrics_target,
    prometheus,
    reload_rules,
    set_metrics,
)
from warroom.testing.receivers import HttpReceiver, SmtpReceiver
from warroom.testing.runtime import REPO
from warroom.testing.server import Server, cli

pytestmark = pytest.mark.e2e
T = TypeVar("T")

KEYS = {"E2E_AM_KEY": "am-e2e-0123456789abcdef", "E2E_PATH_KEY": "path-e2e-0123456789abcd",
        "E2E_BEARER_KEY": "bearer-e2e-0123456789ab"}
ORG = """
services: [{name: shieldx}, {name: other}]
integrations:
  - {name: alertmanager, kind: alertmanager, key: "${E2E_AM_KEY}"}
  - {name: prom-path, kind: prometheus, key: "${E2E_PATH_KEY}"}
  - {name: prom-bearer, kind: prometheus, key: "${E2E_BEARER_KEY}"}
routes:
  - name: shieldx
    matchers: ['job=~"shieldx-.*"']
    service: shieldx
    group_by: [alertname]
"""


@pytest.fixture
def warroom(tmp_path: Path) -> Iterator[tuple[Server, dict[str, str]]]:
    config = tmp_path / "config"
    config.mkdir()
    (config / "org.yaml").write_text(ORG)
    (config / "rules.yaml").write_text((REPO / "examples/org/rules.yaml").read_text())
    env = {"WARROOM_CONFIG": str(config), **KEYS}
    server = Server(tmp_path, dict(env))
    server.start()
    token = cli(["token", "create", "--user", "admin"], env, tmp_path).stdout.splitlines()[-1]
    yield server, {"Authorization": f"Bearer {token.strip()}"}
    server.stop()


def eventually(check: Callable[[], T | None], what: str, procs: list[Process],
               timeout: float = 25) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.25)
    logs = "\n".join(f"--- {p.name}\n{p.output()}" for p in procs)
    raise AssertionError(f"timed out waiting for {what}\n{logs}")


def get(server: Server, headers: dict[str, str], path: str, **params: Any) -> Any:
    return httpx.get(server.url + path, headers=headers, params=params, timeout=5).json()


def run_outage(server: Server, headers: dict[str, str], tmp_path: Path, alerting: str,
               with_alertmanager: bool) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Stop the target until warroom has an incident, bring it back until alerts resolve."""
    target = metrics_target().start()
    port = target.port
    procs: list[Process] = []
    try:
        if with_alertmanager:
            am = alertmanager(tmp_path / "am", server.url + "/api/v1/intake/alertmanager/"
                              + KEYS["E2E_AM_KEY"])
            am.start("/-/ready")
            procs.append(am)
            alerting = f'    - static_configs: [{{targets: ["127.0.0.1:{am.port}"]}}]'
        prom = prometheus(tmp_path / "prom", f"127.0.0.1:{port}", alerting,
                          SERVICE_DOWN_RULES)
        prom.start("/-/ready")
        procs.append(prom)
        target.stop()
        incident = eventually(lambda: (get(server, headers, "/api/v1/incidents")["items"]
                                       or None), "an incident", procs)[0]
        target = metrics_target(port).start()
        alerts = eventually(lambda: [a for a in get(server, headers, "/api/v1/alerts")["items"]
                                     if a["status"] == "resolved"] or None,
                            "the alert to resolve", procs)
        all_alerts = get(server, headers, "/api/v1/alerts")["items"]
        assert all(a["status"] == "resolved" for a in all_alerts), all_alerts
        return incident, alerts
    finally:
        target.stop()
        for proc in reversed(procs):
            proc.stop()


def test_prometheus_through_alertmanager_declares_and_resolves(
        warroom: tuple[Server, dict[str, str]], tmp_path: Path) -> None:
    server, headers = warroom
    incident, alerts = run_outage(server, headers, tmp_path, "", with_alertmanager=True)
    assert incident["services"] == ["shieldx"]
    assert incident["severity"] == "P0"
    assert incident["title"] == "shieldx: complete outage — shieldx-api is down"
    assert [a["integration"] for a in alerts] == ["alertmanager"]
    assert alerts[0]["labels"]["alertname"] == "ServiceDown"


def test_prometheus_straight_to_warroom_in_both_forms(
        warroom: tuple[Server, dict[str, str]], tmp_path: Path) -> None:
    server, headers = warroom
    host = server.url.removeprefix("http://")
    alerting = (f'    - static_configs: [{{targets: ["{host}"]}}]\n'
                f'      path_prefix: /api/v1/intake/prometheus/{KEYS["E2E_PATH_KEY"]}\n'
                f'    - static_configs: [{{targets: ["{host}"]}}]\n'
                f'      authorization: {{credentials: {KEYS["E2E_BEARER_KEY"]}}}')
    incident, _ = run_outage(server, headers, tmp_path, alerting, with_alertmanager=False)
    assert (incident["services"], incident["severity"]) == (["shieldx"], "P0")
    alerts = get(server, headers, "/api/v1/alerts")["items"]
    # One alert per integration despite Prometheus re-sending every second; both resolved,
    # both in the one incident.
    assert sorted(a["integration"] for a in alerts) == ["prom-bearer", "prom-path"]
    assert {a["incident_id"] for a in alerts} == {incident["id"]}
    assert all(a["count"] >= 1 and a["status"] == "resolved" for a in alerts)


# ------------------------------------------------------------------ issue 10: the whole flow

FLOW_KEYS = {"am": "am-flow-0123456789abcdef", "prom": "prom-flow-0123456789abcd"}


@pytest.fixture
def paged(tmp_path: Path) -> Iterator[tuple[Server, dict[str, str], HttpReceiver]]:
    """`warroom serve` with the example triage rules, a shieldx route mapping critical -> P1 and
    warning -> P2, and the on-call (alice) paged on a local webhook receiver."""
    with HttpReceiver() as hooks, SmtpReceiver() as smtp:
        rules = yaml.safe_load((REPO / "examples/org/rules.yaml").read_text())["rules"]
        path = write_paging_config(tmp_path / "config", hooks.url, smtp.port, extra={
            "services": [{"name": "shieldx", "team": "sre"}],
            "integrations": [
                {"name": "alertmanager", "kind": "alertmanager", "key": FLOW_KEYS["am"]},
                {"name": "prometheus", "kind": "prometheus", "key": FLOW_KEYS["prom"]}],
            "routes": [{"name": "shieldx", "matchers": ['job=~"shieldx-.*"'],
                        "service": "shieldx", "group_by": ["alertname"],
                        "severity_map": {"critical": "P1", "warning": "P2"}}],
            "rules": rules})
        env = {"WARROOM_CONFIG": str(path)}
        server = Server(tmp_path, dict(env))
        server.start()
        try:
            token = cli(["token", "create", "--user", "admin"], env,
                        tmp_path).stdout.splitlines()[-1]
            yield server, {"Authorization": f"Bearer {token.strip()}"}, hooks
        finally:
            server.stop()


def run_flow(server: Server, headers: dict[str, str], hooks: HttpReceiver, tmp_path: Path,
             with_alertmanager: bool) -> None:
    """Errors and a low balance, then the target down, then back with the balance still low,
    then the low-balance rule deleted: severities, pages, ack, resolution and expiry."""
    target = metrics_target(body=FAILING_METRICS).start()
    port = target.port
    procs: list[Process] = []

    def by_alertname() -> dict[str, list[dict[str, Any]]]:
        found: dict[str, list[dict[str, Any]]] = {}
        for item in get(server, headers, "/api/v1/alerts", limit=200)["items"]:
            found.setdefault(item["labels"]["alertname"], []).append(item)
        return found

    def incident_of(alertname: str) -> dict[str, Any] | None:
        alerts = [a for a in by_alertname().get(alertname, []) if a["incident_id"]]
        if not alerts:
            return None
        found: dict[str, Any] = get(server, headers,
                                    f"/api/v1/incidents/{alerts[0]['incident_id']}")
        return found

    def pages(ref: str) -> list[dict[str, Any]]:
        return [r.json() for r in hooks.requests if r.path == "/pager"
                and r.json()["incident"]["human_id"] == ref
                and r.json()["destination"] == "alice"]

    def status_is(ref: str, status: str) -> bool | None:
        return get(server, headers, f"/api/v1/incidents/{ref}")["status"] == status or None

    def wait(check: Callable[[], T | None], what: str) -> T:
        try:
            return eventually(check, what, procs, timeout=90)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n--- warroom\n{server.output()[-4000:]}") from None

    try:
        if with_alertmanager:
            am = alertmanager(tmp_path / "am", f"{server.url}/api/v1/intake/alertmanager/"
                              f"{FLOW_KEYS['am']}")
            am.start("/-/ready")
            procs.append(am)
            alerting = f'    - static_configs: [{{targets: ["127.0.0.1:{am.port}"]}}]'
        else:
            host = server.url.removeprefix("http://")
            alerting = (f'    - static_configs: [{{targets: ["{host}"]}}]\n'
                        f'      authorization: {{credentials: {FLOW_KEYS["prom"]}}}')
        prom = prometheus(tmp_path / "prom", f"127.0.0.1:{port}", alerting,
                          flow_rules(SERVICE_DOWN_RULE, ERROR_RATIO_RULE, LOW_BALANCE_RULE))
        prom.start("/-/ready")
        procs.append(prom)

        # 1. 5xx share 0.7: the triage tree reads `error_ratio: "{{ $value }}"` -> P0, although
        # the alert's own severity label says warning. The low balance: warning -> P2 by the
        # route's severity_map (the catch-all rule names no severity).
        errors = wait(lambda: incident_of("HighErrorRatio"), "the error-ratio incident")
        balance = wait(lambda: incident_of("LowBalance"), "the low-balance incident")
        assert (errors["severity"], balance["severity"]) == ("P0", "P2")
        assert errors["id"] != balance["id"]
        wait(lambda: pages(errors["human_id"]), "the P0 page")
        wait(lambda: pages(balance["human_id"]), "the P2 page")

        # 2. A person acknowledges the P0.
        acked = httpx.post(f"{server.url}/api/v1/incidents/{errors['human_id']}/acknowledge",
                           headers=headers, timeout=10)
        assert acked.status_code == 200, acked.text

        # 3. The target goes down: ServiceDown is a P0 of its own; the error and balance
        # series go stale, so those alerts resolve and both incidents wait in `monitoring`.
        target.stop()
        down = wait(lambda: incident_of("ServiceDown"), "the ServiceDown incident")
        assert down["severity"] == "P0"
        wait(lambda: pages(down["human_id"]), "the ServiceDown page")
        for ref in (errors["human_id"], balance["human_id"]):
            wait(partial(status_is, ref, "monitoring"), f"{ref} in monitoring")
        errors = get(server, headers, f"/api/v1/incidents/{errors['human_id']}")
        balance = get(server, headers, f"/api/v1/incidents/{balance['human_id']}")
        assert errors["milestones"]["acknowledged"] is not None  # the admin acknowledged
        assert balance["milestones"]["acknowledged"] is None  # nobody's: a system move
        assert balance["milestones"]["mitigated"] is None

        # 4. Back up, healthy but still low on balance: ServiceDown resolves, LowBalance fires
        # again into its `monitoring` incident, which is active again and pages again.
        target = set_metrics(metrics_target(port), HEALTHY_METRICS).start()
        wait(lambda: all(a["status"] == "resolved" for a in by_alertname()["ServiceDown"])
             or None, "ServiceDown to resolve")
        wait(partial(status_is, balance["human_id"], "triggered"),
             "the low-balance incident to be active again")
        wait(lambda: len(pages(balance["human_id"])) >= 2 or None, "the second P2 page")

        # 5. The rule is deleted and Prometheus reloads: nothing resolves the alert but its
        # endsAt passing (warroom's expiry, or Alertmanager's own when it sits in between).
        reload_rules(prom, flow_rules(SERVICE_DOWN_RULE, ERROR_RATIO_RULE))
        wait(lambda: all(a["status"] == "resolved" for a in by_alertname()["LowBalance"])
             or None, "LowBalance to expire")
        wait(partial(status_is, balance["human_id"], "monitoring"),
             "the low-balance incident back in monitoring")
        assert all(a["status"] == "resolved" for items in by_alertname().values()
                   for a in items)
    finally:
        target.stop()
        for proc in reversed(procs):
            proc.stop()


def test_issue_10_flow_through_alertmanager(
        paged: tuple[Server, dict[str, str], HttpReceiver], tmp_path: Path) -> None:
    server, headers, hooks = paged
    run_flow(server, headers, hooks, tmp_path, with_alertmanager=True)


def test_issue_10_flow_straight_to_warroom(
        paged: tuple[Server, dict[str, str], HttpReceiver], tmp_path: Path) -> None:
    server, headers, hooks = paged
    run_flow(server, headers, hooks, tmp_path, with_alertmanager=False)


def test_rules_explain_cli_names_the_map_and_the_rule(
        paged: tuple[Server, dict[str, str], HttpReceiver], tmp_path: Path) -> None:
    server, headers, _ = paged
    env = {"WARROOM_URL": server.url,
           "WARROOM_TOKEN": headers["Authorization"].removeprefix("Bearer ")}
    mapped = cli(["rules", "explain", "-l", "alertname=DiskFull", "-l", "job=shieldx-api",
                  "-l", "severity=critical"], env, tmp_path)
    assert mapped.returncode == 0, mapped.stderr + mapped.stdout
    assert "severity  P1: P1 from the severity_map of route 'shieldx'" in mapped.stdout
    assert "rules     everything-else" in mapped.stdout
    (tmp_path / "alert.json").write_text(
        '{"labels": {"alertname": "Errors", "job": "shieldx-api", "severity": "warning"},\n'
        ' "annotations": {"error_ratio": "0.7"}}')
    ruled = cli(["rules", "explain", str(tmp_path / "alert.json")], env, tmp_path)
    assert "severity  P0: P0 from rule 'complete-outage'" in ruled.stdout, ruled.stdout
    assert "values    error_ratio=0.7" in ruled.stdout
    (tmp_path / "bad.json").write_text('{"labels":\n  oops}')
    bad = cli(["rules", "explain", str(tmp_path / "bad.json")], env, tmp_path)
    assert bad.returncode == 1
    assert f"{tmp_path / 'bad.json'}:2: not JSON" in " ".join(bad.stderr.split())

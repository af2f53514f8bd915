"""The real `amtool` (Debian's prometheus-alertmanager) against a real `warroom serve`: alert
query, silence add, silence query and silence expire through the Alertmanager API v2, with the
intake key passed as a bearer token by `--http.config.file`."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from warroom.domain.alerts import alertmanager_fingerprint
from warroom.testing.server import Server, cli

pytestmark = pytest.mark.e2e

AMTOOL = "/usr/bin/amtool"
KEY = "prom-amtool-0123456789abcdef"
ORG = f"""
services: [{{name: api}}, {{name: storage}}]
integrations:
  - {{name: prom, kind: prometheus, key: "{KEY}"}}
  - {{name: hooks, kind: generic, key: "generic-amtool-0123456789"}}
routes:
  - {{name: api, matchers: ['job="api"'], service: api}}
  - {{name: storage, matchers: ['job="storage"'], service: storage}}
"""
API_DOWN = {"alertname": "ApiDown", "job": "api", "severity": "critical"}
DISK_FULL = {"alertname": "DiskFull", "job": "storage", "severity": "warning"}


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Server]:
    (tmp_path / "org.yaml").write_text(ORG)
    server = Server(tmp_path, {"WARROOM_CONFIG": str(tmp_path / "org.yaml")})
    server.start()
    try:
        yield server
    finally:
        server.stop()


def amtool(server: Server, tmp_path: Path, *args: str, auth: bool = True,
           ok: bool = True) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "amtool-http.yml"
    config.write_text(f"authorization:\n  type: Bearer\n  credentials: {KEY}\n")
    flags = [f"--alertmanager.url={server.url}"]
    if auth:
        flags.append(f"--http.config.file={config}")
    done = subprocess.run([AMTOOL, *flags, *args], capture_output=True, text=True,
                          timeout=60)
    if ok:
        assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done


def test_amtool_queries_alerts_and_adds_queries_and_expires_silences(
        served: Server, tmp_path: Path) -> None:
    sent = httpx.post(f"{served.url}/api/v2/alerts", headers={"Authorization": f"Bearer {KEY}"},
                      json=[{"labels": API_DOWN, "annotations": {"summary": "api is down"}},
                            {"labels": DISK_FULL, "annotations": {"summary": "disk full"}}],
                      timeout=10)
    assert sent.status_code == 200, sent.text

    refused = amtool(served, tmp_path, "alert", "query", auth=False, ok=False)
    assert refused.returncode != 0 and "401" in refused.stderr

    listed = amtool(served, tmp_path, "alert", "query").stdout
    assert "ApiDown" in listed and "DiskFull" in listed
    by_receiver = amtool(served, tmp_path, "alert", "query", "--receiver=stor.*").stdout
    assert "DiskFull" in by_receiver and "ApiDown" not in by_receiver
    [api_down] = json.loads(amtool(served, tmp_path, "-o", "json", "alert", "query",
                                   "alertname=ApiDown").stdout)
    assert api_down["labels"] == API_DOWN
    assert api_down["fingerprint"] == alertmanager_fingerprint(API_DOWN)
    assert api_down["receivers"] == [{"name": "api"}]
    assert api_down["status"] == {"state": "active", "silencedBy": [], "inhibitedBy": []}
    assert api_down["annotations"] == {"summary": "api is down"}

    silence_id = amtool(served, tmp_path, "silence", "add", "alertname=ApiDown",
                        "--comment=rolling back", "--duration=1h",
                        "--author=tester").stdout.strip()
    assert silence_id
    [silence] = json.loads(amtool(served, tmp_path, "-o", "json", "silence", "query").stdout)
    assert (silence["id"], silence["createdBy"], silence["comment"]) == (
        silence_id, "tester", "rolling back")
    assert silence["status"]["state"] == "active"
    assert silence["matchers"] == [{"name": "alertname", "value": "ApiDown",
                                    "isRegex": False, "isEqual": True}]
    assert amtool(served, tmp_path, "silence", "query", "-q",
                  "alertname=ApiDown").stdout.split() == [silence_id]
    assert amtool(served, tmp_path, "silence", "query", "-q",
                  "alertname=DiskFull").stdout.split() == []

    # The silence applies at once, as in Alertmanager: ApiDown leaves the default view.
    listed = amtool(served, tmp_path, "alert", "query").stdout
    assert "ApiDown" not in listed and "DiskFull" in listed
    [silenced] = json.loads(amtool(served, tmp_path, "-o", "json", "alert", "query",
                                   "--silenced").stdout)
    assert silenced["labels"]["alertname"] == "ApiDown"
    assert silenced["status"]["silencedBy"] == [silence_id]
    assert silenced["status"]["state"] == "suppressed"

    amtool(served, tmp_path, "silence", "expire", silence_id)
    assert amtool(served, tmp_path, "silence", "query", "-q").stdout.split() == []
    assert silence_id in amtool(served, tmp_path, "silence", "query", "--expired").stdout
    assert "ApiDown" in amtool(served, tmp_path, "alert", "query").stdout

    # The same silence through warroom's own API: one store.
    env = {"WARROOM_CONFIG": str(tmp_path / "org.yaml")}
    token = cli(["token", "create", "--user", "admin"], env, tmp_path).stdout.split()[-1]
    mine = httpx.get(f"{served.url}/api/v1/silences", params={"all": "true"},
                     headers={"Authorization": f"Bearer {token}"}, timeout=10).json()
    assert [(s["id"], s["state"]) for s in mine["items"]] == [(silence_id, "expired")]
    # An API token reads the Alertmanager API too.
    status = httpx.get(f"{served.url}/api/v2/status",
                       headers={"Authorization": f"Bearer {token}"}, timeout=10).json()
    assert status["cluster"]["status"] == "disabled" and status["versionInfo"]["version"]
    receivers = httpx.get(f"{served.url}/api/v2/receivers",
                          headers={"Authorization": f"Bearer {KEY}"}, timeout=10).json()
    assert [r["name"] for r in receivers] == ["api", "storage", "unrouted"]


def test_other_keys_get_401_and_errors_come_as_alertmanager_sends_them(
        served: Server, tmp_path: Path) -> None:
    for path in ("/api/v2/alerts", "/api/v2/silences", "/api/v2/status"):
        got = httpx.get(f"{served.url}{path}",
                        headers={"Authorization": "Bearer generic-amtool-0123456789"},
                        timeout=10)
        assert got.status_code == 401, (path, got.text)
        assert got.headers["content-type"] == "application/json"
    bad = httpx.post(f"{served.url}/api/v2/silences", headers={"Authorization": f"Bearer {KEY}"},
                     json={"matchers": [{"name": "alertname", "value": "(", "isRegex": True}],
                           "endsAt": "2099-01-01T00:00:00Z", "createdBy": "x", "comment": "c"},
                     timeout=10)
    # Alertmanager's error shape, which amtool prints: 400 and a JSON string.
    assert bad.status_code == 400, bad.text
    assert bad.headers["content-type"] == "application/json"
    assert bad.json().startswith("matchers[0].value: ")
    missing = httpx.get(f"{served.url}/api/v2/silence/nope",
                        headers={"Authorization": f"Bearer {KEY}"}, timeout=10)
    assert missing.status_code == 404 and "no silence 'nope'" in missing.json()
    expired = amtool(served, tmp_path, "silence", "expire", "nope", ok=False)
    assert expired.returncode != 0

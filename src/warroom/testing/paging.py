"""Test helpers for paging: an organisation config wired to local receivers, and a responder
that answers like Slack's Web API (`conversations.create`)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from warroom.api.app import create_app
from warroom.clock import FakeClock
from warroom.engine.worker import Worker
from warroom.runtime import Runtime
from warroom.testing.receivers import HttpReceiver, ReceivedRequest, ScriptedResponse, SmtpReceiver
from warroom.testing.runtime import Users, make_runtime, make_users

ALERTMANAGER_KEY = "am-test-key-0123456789"


def slack_like(request: ReceivedRequest) -> ScriptedResponse:
    """Answer `conversations.create` as Slack does; everything else (webhooks) with 200 ok."""
    if request.path.endswith("/conversations.create"):
        name = request.json().get("name", "incident")
        return ScriptedResponse(200, {"ok": True, "channel": {"id": f"C{abs(hash(name)) % 10**8}",
                                                              "name": name}})
    return ScriptedResponse(200, b"ok")


def write_paging_config(directory: Path, http_url: str, smtp_port: int, *,
                        slack_bot: bool = True, extra: dict[str, Any] | None = None) -> Path:
    """An org config: service `api` pages schedule `primary` (alice: webhook + email now,
    SMS after 5 minutes), then `secondary` (bob) at +5 min, then team chat at +10 min."""
    directory.mkdir(parents=True, exist_ok=True)
    team_chat: dict[str, object] = {"type": "slack", "url": f"{http_url}/team-chat",
                                    "audiences": ["internal"], "blocks": False}
    if slack_bot:
        team_chat |= {"bot_token": "xoxb-test", "api_url": f"{http_url}/slack-api"}
    config: dict[str, Any] = {
        "organisation": {"name": "Paging Test"},
        "users": [
            {"name": "alice", "display_name": "Alice Adams", "role": "commander",
             "contact_methods": [{"kind": "webhook", "address": "alice"},
                                 {"kind": "email", "address": "alice@example.org"},
                                 {"kind": "sms", "address": "+15550100101"}],
             "notification_rules": [{"contact": "webhook"}, {"contact": "email"},
                                    {"contact": "sms", "after": "5m"}]},
            {"name": "bob", "display_name": "Bob Brown", "role": "responder",
             "contact_methods": [{"kind": "webhook", "address": "bob"}]},
            {"name": "carol", "role": "responder",
             "contact_methods": [{"kind": "email", "address": "carol@example.org"}]},
        ],
        "teams": [{"name": "sre", "members": ["alice", "bob"], "escalation_policy": "sre"}],
        "services": [{"name": "api", "team": "sre"}],
        "schedules": [
            {"name": "primary", "time_zone": "UTC", "layers": [{"name": "l1", "rotation": {
                "participants": ["alice"], "shift": "weekly", "handoff": "09:00",
                "start": "2025-12-29"}}]},
            {"name": "secondary", "time_zone": "UTC", "layers": [{"name": "l1", "rotation": {
                "participants": ["bob"], "shift": "weekly", "handoff": "09:00",
                "start": "2025-12-29"}}]},
        ],
        "escalation_policies": [{
            "name": "sre",
            "steps": [{"at": "immediately", "targets": [{"schedule": "primary"}]},
                      {"at": "+5 min", "targets": [{"schedule": "secondary"}]},
                      {"at": "+10 min", "targets": [{"channel": "team-chat"}]}],
        }],
        "channels": {
            "pager": {"type": "webhook", "url": f"{http_url}/pager", "secret": "s3cret",
                      "rate_limit": {"per_second": 1000, "burst": 1000}},
            "mail": {"type": "email", "host": "127.0.0.1", "port": smtp_port,
                     "security": "none", "from_address": "warroom <warroom@example.com>"},
            "sms": {"type": "sms", "url": f"{http_url}/sms", "from_number": "+15550100000"},
            "team-chat": team_chat,
        },
        "communications": {
            "bridge_url_template": "https://meet.example.com/{{ human_id | lower }}",
            "status_page_url": "https://status.example.com",
        },
        "integrations": [{"name": "am", "kind": "alertmanager", "key": ALERTMANAGER_KEY}],
        "routes": [{"name": "api", "matchers": ['service="api"'], "service": "api",
                    "severity_map": {"critical": "P0"}}],
    }
    for key, value in (extra or {}).items():
        if isinstance(value, dict) and isinstance(config.get(key), dict):
            config[key] = {**config[key], **value}  # type: ignore[dict-item]
        else:
            config[key] = value
    path = directory / "org.yaml"
    # `{http_url}` in `extra` names the local receiver, whose port is known only now.
    path.write_text(json.dumps(config, indent=1).replace("{http_url}", http_url))  # JSON is YAML
    return path


def alertmanager_payload(alertname: str = "ApiDown", severity: str = "critical",
                         fingerprint: str = "f00d") -> dict[str, object]:
    """A minimal Alertmanager webhook (version 4) with one firing alert for service api."""
    labels = {"alertname": alertname, "service": "api", "severity": severity}
    return {
        "version": "4", "groupKey": f'{{}}:{{alertname="{alertname}"}}', "status": "firing",
        "receiver": "warroom", "groupLabels": {"alertname": alertname},
        "commonLabels": labels, "commonAnnotations": {"summary": "API is down"},
        "externalURL": "http://alertmanager.local", "truncatedAlerts": 0,
        "alerts": [{"status": "firing", "labels": labels,
                    "annotations": {"summary": "API is down"},
                    "startsAt": "2026-01-05T08:59:00Z", "endsAt": "0001-01-01T00:00:00Z",
                    "generatorURL": "http://prometheus.local/graph", "fingerprint": fingerprint}],
    }


@dataclass
class PagingRig:
    """A runtime wired to local receivers, the HTTP app, API users and a worker."""

    runtime: Runtime
    client: TestClient
    users: Users
    clock: FakeClock
    hooks: HttpReceiver
    smtp: SmtpReceiver
    worker: Worker

    def run(self) -> None:
        self.worker.run_once()

    def paths(self, prefix: str) -> list[ReceivedRequest]:
        return [r for r in self.hooks.requests if r.path.startswith(prefix)]

    def pages_for(self, user: str) -> list[dict[str, Any]]:
        return [r.json() for r in self.paths("/pager") if r.json()["destination"] == user]

    def declare(self, severity: str = "P0", **extra: Any) -> str:
        # Naming a commander carries approval rights, which a responder may not hand out.
        who = "commander" if "commander" in extra else "responder"
        resp = self.client.post("/api/v1/incidents", headers=self.users.headers(who),
                                json={"title": "Checkout down", "severity": severity,
                                      "services": ["api"], **extra})
        assert resp.status_code == 201, resp.text
        ref: str = resp.json()["incident"]["human_id"]
        return ref

    def post(self, path: str, body: dict[str, Any] | None = None,
             who: str = "responder") -> Any:
        return self.client.post(path, headers=self.users.headers(who), json=body or {})

    def get(self, path: str, who: str = "viewer") -> Any:
        return self.client.get(path, headers=self.users.headers(who))

    def timeline(self, ref: str) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = self.get(f"/api/v1/incidents/{ref}/timeline"
                                                ).json()["events"]
        return events

    def kinds(self, ref: str) -> list[str]:
        return [e["kind"] for e in self.timeline(ref)]

    def events(self, ref: str, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.timeline(ref) if e["kind"] == kind]


@contextlib.contextmanager
def paging_rig(db_url: str, tmp_path: Path, clock: FakeClock,
               **config: Any) -> Iterator[PagingRig]:
    """Receivers, config (see write_paging_config), runtime, app and worker; all stopped after."""
    with HttpReceiver(responder=slack_like) as hooks, SmtpReceiver() as smtp:
        path = write_paging_config(tmp_path / "org", hooks.url, smtp.port, **config)
        runtime = make_runtime(db_url, tmp_path, clock, path)
        users = make_users(runtime)
        worker = Worker(runtime, threads=2)
        try:
            with TestClient(create_app(runtime)) as client:
                yield PagingRig(runtime, client, users, clock, hooks, smtp, worker)
        finally:
            worker.stop()
            runtime.engine.dispose()

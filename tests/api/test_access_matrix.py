"""The role × endpoint matrix: every route of the app has an access rule, anonymous callers get
nothing from protected routes, and a restricted incident with its alerts, runs, approvals,
action items, notifications and counts is invisible, by token and by cookie, to everyone who
is neither a participant, security nor an admin."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.routing import Mount, Route

from warroom.api.app import create_app
from warroom.clock import FakeClock
from warroom.runtime import Runtime
from warroom.services.principal import SYSTEM
from warroom.services.users import UserService
from warroom.testing.intake import am_alert, am_webhook, keys
from warroom.web.testkit import PASSWORD, Browser, add_users, org_runtime_at, token_for

PUBLIC, INTAKE, FEED, ACK = "public", "intake key", "feed secret", "signed ack link"
# Every route and who may call it: a role is the minimum (restricted incidents additionally
# need participation, security or admin), "self" a user acting on their own account (or an
# admin), PUBLIC needs nothing, INTAKE an integration key, FEED a calendar feed secret, ACK
# the signed single-use acknowledge link a page carries.
RULES: dict[tuple[str, str], str] = {
    ("GET", "/api/v1/openapi.json"): PUBLIC, ("GET", "/api/docs"): PUBLIC,
    ("MOUNT", "/static"): PUBLIC,
    ("GET", "/healthz"): PUBLIC, ("GET", "/readyz"): PUBLIC, ("GET", "/metrics"): PUBLIC,
    ("GET", "/login"): PUBLIC, ("POST", "/login"): PUBLIC, ("POST", "/logout"): "viewer",
    ("GET", "/status"): PUBLIC, ("GET", "/status/incidents/{ref}"): PUBLIC,
    ("GET", "/status/feed.atom"): PUBLIC,
    **{("GET", f"/status/api/v2/{name}.json"): PUBLIC for name in (
        "summary", "status", "components", "incidents", "incidents/unresolved",
        "scheduled-maintenances", "scheduled-maintenances/upcoming",
        "scheduled-maintenances/active")},
    ("POST", "/api/v2/alerts"): INTAKE, ("POST", "/v2/enqueue"): INTAKE,
    ("POST", "/v2/change/enqueue"): INTAKE,
    ("POST", "/api/v1/intake/alertmanager/{key}"): INTAKE,
    ("POST", "/api/v1/intake/prometheus/{key}/api/v2/alerts"): INTAKE,
    ("POST", "/api/v1/intake/generic/{key}"): INTAKE,
    ("POST", "/api/v1/intake/heartbeat/{key}"): INTAKE,
    ("GET", "/ical/{secret}.ics"): FEED,
    # a page's acknowledge link: the signed, single-use token is the credential
    ("GET", "/ack/{token}"): ACK, ("POST", "/ack/{token}"): ACK,
    # the Alertmanager API v2 read side: an intake key, or an API token of this role
    ("GET", "/api/v2/alerts"): "viewer", ("GET", "/api/v2/silences"): "viewer",
    ("POST", "/api/v2/silences"): "responder",
    ("GET", "/api/v2/silence/{silence_id}"): "viewer",
    ("DELETE", "/api/v2/silence/{silence_id}"): "responder",
    ("GET", "/api/v2/status"): "viewer", ("GET", "/api/v2/receivers"): "viewer",
    ("GET", "/favicon.ico"): PUBLIC, ("GET", "/api/docs/reference.css"): PUBLIC,
    ("GET", "/api/v1/incidents/{ref}/publication"): "viewer",
    ("POST", "/api/v1/incidents/{ref}/publish"): "commander",
    ("POST", "/incidents/{ref}/publish"): "commander",
    ("POST", "/incidents/{ref}/assign-me"): "responder",
    ("POST", "/api/v1/rules/explain"): "viewer",
    ("GET", "/api/v1/notifications/{row_id}/attempts"): "admin",
    # incidents
    ("GET", "/api/v1/incidents"): "viewer", ("POST", "/api/v1/incidents"): "responder",
    ("GET", "/api/v1/incidents/{ref}"): "viewer",
    ("GET", "/api/v1/incidents/{ref}/timeline"): "viewer",
    ("GET", "/api/v1/incidents/{ref}/verify"): "viewer",
    **{("POST", f"/api/v1/incidents/{{ref}}/{verb}"): "responder" for verb in (
        "acknowledge", "status", "severity", "type", "roles", "responders", "notes",
        "impact", "resolve", "updates", "updates/preview", "escalate", "reassign")},
    ("POST", "/api/v1/incidents/{ref}/reopen"): "commander",
    ("POST", "/api/v1/incidents/{ref}/close"): "commander",
    ("GET", "/api/v1/incidents/{ref}/escalation"): "viewer",
    ("GET", "/api/v1/incidents/{ref}/evidence"): "commander",
    ("GET", "/api/v1/incidents/{ref}/changes"): "viewer",
    ("GET", "/api/v1/incidents/{ref}/postmortem"): "viewer",
    ("PUT", "/api/v1/incidents/{ref}/postmortem"): "responder",
    ("POST", "/api/v1/incidents/{ref}/postmortem/status"): "commander",
    ("GET", "/api/v1/incidents/{ref}/postmortem/revisions"): "viewer",
    ("GET", "/api/v1/incidents/{ref}/action-items"): "viewer",
    ("POST", "/api/v1/incidents/{ref}/action-items"): "responder",
    ("POST", "/api/v1/incidents/{ref}/action-items/from-postmortem"): "responder",
    ("GET", "/api/v1/incidents/{ref}/runbooks/suggested"): "viewer",
    ("GET", "/api/v1/incidents/{ref}/runbooks"): "viewer",
    ("POST", "/api/v1/incidents/{ref}/runbooks"): "responder",
    ("DELETE", "/api/v1/incidents/{ref}/runbooks/{runbook_id}"): "responder",
    # alerts, intake, silences, changes
    ("GET", "/api/v1/alerts"): "viewer", ("GET", "/api/v1/alerts/{alert_id}"): "viewer",
    ("GET", "/api/v1/integrations"): "admin", ("POST", "/api/v1/integrations"): "admin",
    ("GET", "/api/v1/silences"): "viewer", ("POST", "/api/v1/silences"): "responder",
    ("GET", "/api/v1/silences/{silence_id}"): "viewer",
    ("POST", "/api/v1/silences/{silence_id}/expire"): "responder",
    ("GET", "/api/v1/changes"): "viewer",
    # runbooks, runs, approvals, action items
    ("GET", "/api/v1/runbooks"): "viewer", ("GET", "/api/v1/runbooks/{runbook_id}"): "viewer",
    ("POST", "/api/v1/runs"): "responder", ("GET", "/api/v1/runs"): "viewer",
    ("GET", "/api/v1/runs/{run_id}"): "viewer",
    ("GET", "/api/v1/runs/{run_id}/events"): "viewer",
    **{("POST", f"/api/v1/runs/{{run_id}}/steps/{{step_id}}/{verb}"): "responder"
       for verb in ("run", "retry", "done", "skip", "approval")},
    ("GET", "/api/v1/artifacts/{sha256}"): "viewer",
    ("GET", "/api/v1/approvals"): "viewer", ("GET", "/api/v1/approvals/{request_id}"): "viewer",
    **{("POST", f"/api/v1/approvals/{{request_id}}/{verb}"): "responder"
       for verb in ("approve", "deny", "revoke")},
    ("GET", "/api/v1/action-items"): "viewer",
    ("GET", "/api/v1/action-items/{item_id}"): "viewer",
    ("PATCH", "/api/v1/action-items/{item_id}"): "responder",
    # paging, on-call, notifications
    ("GET", "/api/v1/dashboard"): "viewer", ("GET", "/api/v1/live"): "viewer",
    ("GET", "/api/v1/console/oncall"): "viewer",
    ("GET", "/api/v1/console/escalation-policies"): "viewer",
    ("GET", "/api/v1/escalation-policies"): "viewer",
    ("GET", "/api/v1/notifications"): "admin",
    ("POST", "/api/v1/notifications/{row_id}/retry"): "admin",
    ("GET", "/api/v1/oncall"): "viewer", ("GET", "/api/v1/schedules/{name}.ics"): "viewer",
    ("GET", "/api/v1/schedules/{name}/oncall"): "viewer",
    ("GET", "/api/v1/schedules/{name}/overrides"): "viewer",
    ("POST", "/api/v1/schedules/{name}/overrides"): "responder",
    ("GET", "/api/v1/users/{user}/oncall.ics"): "viewer",
    ("POST", "/api/v1/users/{user}/ical-feed"): "self",
    ("DELETE", "/api/v1/users/{user}/ical-feed"): "self",
    # reports, services, config
    ("GET", "/api/v1/reports/metrics"): "viewer",
    ("GET", "/api/v1/reports/metrics/trend"): "viewer",
    ("POST", "/api/v1/reports/drills/score"): "viewer",
    ("GET", "/api/v1/reports/runbooks-overdue"): "viewer",
    ("GET", "/api/v1/services"): "viewer", ("GET", "/api/v1/services/{name}"): "viewer",
    ("GET", "/api/v1/config/vocabulary"): "viewer",
    # accounts
    ("GET", "/api/v1/me"): "viewer", ("GET", "/api/v1/users"): "viewer",
    ("POST", "/api/v1/users"): "admin", ("PATCH", "/api/v1/users/{name}"): "admin",
    ("POST", "/api/v1/users/{name}/password"): "self",
    ("POST", "/api/v1/users/{name}/sessions/end"): "self",
    ("GET", "/api/v1/tokens"): "viewer", ("POST", "/api/v1/tokens"): "self",
    ("POST", "/api/v1/tokens/{token_id}/revoke"): "self",
    # console pages and forms
    ("GET", "/"): "viewer", ("GET", "/incidents"): "viewer",
    ("GET", "/incidents/new"): "responder", ("POST", "/incidents"): "responder",
    ("GET", "/incidents/{ref}"): "viewer",
    **{("POST", f"/incidents/{{ref}}/{verb}"): "responder" for verb in (
        "acknowledge", "status", "severity", "roles", "notes", "resolve", "updates",
        "escalate", "runbooks", "runs", "runs/{run_id}/steps/{step_id}/{verb}",
        "approvals/{request_id}/{verb}", "action-items", "action-items/from-postmortem")},
    ("POST", "/incidents/{ref}/reopen"): "commander",
    ("GET", "/incidents/{ref}/postmortem"): "viewer",
    ("POST", "/incidents/{ref}/postmortem"): "responder",
    ("POST", "/incidents/{ref}/postmortem/status"): "commander",
    ("GET", "/alerts"): "viewer", ("POST", "/silences"): "responder",
    ("POST", "/silences/{silence_id}/expire"): "responder",
    ("GET", "/runbooks"): "viewer", ("GET", "/runbooks/{runbook_id}"): "viewer",
    ("GET", "/services"): "viewer", ("GET", "/oncall"): "viewer",
    ("POST", "/oncall/overrides"): "responder", ("GET", "/escalation-policies"): "viewer",
    ("GET", "/reports/metrics"): "viewer",
    ("GET", "/admin/users"): "viewer", ("POST", "/admin/users"): "admin",
    **{("POST", f"/admin/users/{{name}}/{verb}"): "admin"
       for verb in ("role", "deactivate", "activate", "end-sessions")},
    ("GET", "/admin/tokens"): "viewer", ("POST", "/admin/tokens"): "self",
    ("POST", "/admin/tokens/{token_id}/revoke"): "self",
    ("POST", "/admin/calendar-feed"): "self", ("POST", "/admin/calendar-feed/revoke"): "self",
    ("GET", "/admin/integrations"): "admin", ("GET", "/admin/notifications"): "admin",
    ("POST", "/admin/notifications/{row_id}/retry"): "admin",
    ("GET", "/action-items"): "viewer", ("POST", "/action-items/{item_id}"): "responder",
}
# GET routes the visibility sweep leaves to their own tests: endless streams.
STREAMS = {"/api/v1/live"}
OUTSIDERS = ("vic", "rita", "cora")  # viewer, responder, commander: not participants
INSIDERS = ("sam", "root")  # security, admin


def app_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every route the app serves, included routers unwrapped."""
    found: set[tuple[str, str]] = set()

    def walk(routes: list[Any], prefix: str) -> None:
        for route in routes:
            inner = getattr(route, "original_router", None)
            if inner is not None:
                walk(inner.routes, prefix + route.include_context.prefix)
            elif isinstance(route, Route):
                found.update((m, prefix + route.path) for m in (route.methods or ()) if
                             m != "HEAD")
            elif isinstance(route, Mount):
                found.add(("MOUNT", prefix + route.path))

    walk(list(app.routes), "")
    return found


@dataclass
class World:
    """The app with a restricted incident that has alerts, a run, an approval request, an
    action item and notifications, plus a normal incident; and callers of every role."""

    client: TestClient
    tokens: dict[str, dict[str, str]]
    cookies: dict[str, Browser]
    params: dict[str, str]
    markers: tuple[str, ...]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    rt = org_runtime_at(f"sqlite:///{tmp_path / 'warroom.db'}", tmp_path / "data", FakeClock())
    add_users(rt)
    UserService(rt).create(SYSTEM, "cora", role="commander", password=PASSWORD)
    with TestClient(create_app(rt)) as client:
        yield _populate(rt, client)
    rt.engine.dispose()


def _populate(rt: Runtime, client: TestClient) -> World:
    tokens = {name: token_for(rt, name) for name in OUTSIDERS + INSIDERS}
    root = tokens["root"]
    alert = am_alert(alertname="FrontendDown", job="frontend", severity="critical",
                     marker="ZEBRA-LABEL")
    alert["annotations"]["description"] = "ZEBRA-ANNOTATION"
    resp = client.post(f"/api/v1/intake/alertmanager/{keys(rt)['alertmanager']}",
                       json=am_webhook(alert))
    assert resp.status_code in (200, 202), resp.text
    [incident] = client.get("/api/v1/incidents", headers=root).json()["items"]
    ref, internal = incident["human_id"], incident["id"]
    assert client.post(f"/api/v1/incidents/{ref}/type", json={"type": "security"},
                       headers=root).json()["incident"]["visibility"] == "restricted"
    client.post(f"/api/v1/incidents/{ref}/notes", json={"text": "ZEBRA-NOTE"}, headers=root)
    run = client.post("/api/v1/runs", json={"runbook": "frontend-down", "incident": ref},
                      headers=root).json()
    asked = client.post(f"/api/v1/runs/{run['id']}/steps/failover-to-maintenance/approval",
                        json={"reason": "ZEBRA-REASON"}, headers=root)
    assert asked.status_code < 300, asked.text
    item = client.post(f"/api/v1/incidents/{ref}/action-items",
                       json={"title": "ZEBRA-ITEM"}, headers=root).json()
    [alert_row] = client.get("/api/v1/alerts", headers=root).json()["items"]
    [approval] = client.get("/api/v1/approvals", headers=root).json()["items"]
    normal = client.post("/api/v1/incidents", headers=tokens["rita"], json={
        "title": "Normal slowness", "severity": "P3", "services": ["api"]}).json()
    assert normal["incident"]["human_id"] != ref
    cookies = {}
    for name in OUTSIDERS + INSIDERS:
        browser = Browser(TestClient(client.app))
        assert browser.login(name).status_code == 303
        cookies[name] = browser
    params = {"ref": ref, "alert_id": str(alert_row["id"]), "run_id": run["id"],
              "request_id": approval["id"], "item_id": str(item["id"]),
              "runbook_id": "frontend-down", "name": "frontend", "user": "vic",
              "silence_id": "none", "sha256": "0" * 64, "secret": "wrcal_none",
              "key": "none", "token_id": "1", "row_id": "1", "step_id": "probe-frontend",
              "verb": "approve", "token": "none.none"}
    return World(client, tokens, cookies, params, (ref, internal, "ZEBRA"))


def _url(path: str, params: dict[str, str], world: World) -> str:
    if path.startswith("/api/v1/schedules/"):
        params = {**params, "name": "sre-primary"}
    return re.sub(r"{(\w+)}", lambda m: params[m.group(1)], path)


def test_every_route_has_an_access_rule(world: World) -> None:
    routes = app_routes(world.client.app)  # type: ignore[arg-type]
    missing = sorted(routes - set(RULES))
    assert not missing, f"routes without an access rule in RULES: {missing}"
    assert not sorted(set(RULES) - routes), "rules for routes that no longer exist"


def test_anonymous_callers_get_nothing_from_protected_reads(world: World) -> None:
    anon = TestClient(world.client.app)
    for (method, path), rule in sorted(RULES.items()):
        if method != "GET" or rule in (PUBLIC, INTAKE, FEED, ACK) or path in STREAMS:
            continue
        resp = anon.get(_url(path, world.params, world), follow_redirects=False)
        if path.startswith("/api/"):
            assert resp.status_code == 401, (path, resp.status_code)
        else:
            assert resp.status_code == 303 and "/login" in resp.headers["location"], path


def _reads(world: World) -> Iterator[str]:
    for (method, path), rule in sorted(RULES.items()):
        if method == "GET" and rule not in (INTAKE, ACK) and path not in STREAMS:
            yield _url(path, world.params, world)


def _leaks(resp: httpx.Response, markers: tuple[str, ...]) -> list[str]:
    """Markers in the response, except a caller's own reference echoed back ("no incident
    'INC-2026-0001'" tells nothing the caller did not send)."""
    text = resp.text.replace(resp.request.url.path, "")
    sent = [m for m in markers if m in resp.request.url.path]
    for value in sent:
        text = text.replace(f"'{value}'", "").replace(f"&#39;{value}&#39;", "")
    return [m for m in markers if m in text]


@pytest.mark.parametrize("who", OUTSIDERS)
def test_a_restricted_incident_is_invisible_to_outsiders_by_token_and_cookie(
        world: World, who: str) -> None:
    for url in _reads(world):
        by_token = world.client.get(url, headers=world.tokens[who])
        by_cookie = world.cookies[who].client.get(url, follow_redirects=False)
        for how, resp in (("token", by_token), ("cookie", by_cookie)):
            assert resp.status_code < 500, (who, how, url, resp.text[:300])
            assert not _leaks(resp, world.markers), (who, how, url, _leaks(resp, world.markers))


@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_cannot_act_on_a_restricted_incident(world: World, who: str) -> None:
    targets = {"ref", "run_id", "request_id", "item_id", "alert_id"}
    for (method, path), _rule in sorted(RULES.items()):
        if method in ("GET", "MOUNT") or not targets & set(re.findall(r"{(\w+)}", path)):
            continue
        url = _url(path, world.params, world)
        if path.startswith("/api/"):
            resp = world.client.request(method, url, json={}, headers=world.tokens[who])
        else:
            resp = world.cookies[who].post(url)
        assert resp.status_code in (403, 404, 422), (who, method, url, resp.status_code)
        assert not _leaks(resp, world.markers), (who, method, url)


@pytest.mark.parametrize("who", INSIDERS)
def test_security_and_admins_see_the_restricted_incident_everywhere(
        world: World, who: str) -> None:
    # The sweep above can fail: the markers are there for those allowed to see them.
    for url in ("/api/v1/alerts", f"/api/v1/alerts/{world.params['alert_id']}",
                "/api/v1/runs", "/api/v1/approvals", "/api/v1/action-items",
                f"/api/v1/incidents/{world.params['ref']}/timeline", "/alerts",
                f"/incidents/{world.params['ref']}"):
        for resp in (world.client.get(url, headers=world.tokens[who]),
                     world.cookies[who].client.get(url)):
            assert resp.status_code == 200, (who, url, resp.status_code)
            assert _leaks(resp, world.markers), (who, url)


def test_counts_leave_out_the_restricted_incident_for_outsiders_only(world: World) -> None:
    def open_total(who: str) -> int:
        return int(world.client.get("/api/v1/dashboard",
                                    headers=world.tokens[who]).json()["open_total"])

    assert [open_total(who) for who in OUTSIDERS] == [1, 1, 1]
    assert [open_total(who) for who in INSIDERS] == [2, 2]
    for who in OUTSIDERS:
        listed = world.client.get("/api/v1/alerts", headers=world.tokens[who]).json()
        assert listed["items"] == []


def test_no_shared_channel_is_told_about_the_restricted_incident(world: World) -> None:
    # The example organisation sends runbook notices (approval requests) to team-chat and has
    # no restricted_channels: the approval request on the restricted incident goes nowhere.
    rows = world.client.get("/api/v1/notifications?limit=1000",
                            headers=world.tokens["root"]).json()["items"]
    internal = world.markers[1]
    assert any(r["kind"] == "approval_request" for r in rows) is False
    assert [r for r in rows if r["incident_id"] == internal and r["channel"]
            and r["destination"] is None] == []


def test_metrics_never_count_restricted_incidents(world: World) -> None:
    text = world.client.get("/metrics").text
    open_total = sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                     if line.startswith("warroom_open_incidents{"))
    assert open_total == 1  # the normal incident only
    admin_count = world.client.get("/api/v1/incidents", headers=world.tokens["root"]).json()
    assert len(admin_count["items"]) == 2

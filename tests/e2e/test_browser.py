"""The console in a real browser: Debian's Chromium driven by Playwright against a real
`warroom serve` with the example organisation. Screenshots land in test-artifacts/."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from warroom.testing.intake import am_alert, am_webhook
from warroom.testing.server import Server, cli

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
SHOTS = REPO / "test-artifacts" / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
PASSWORD = "browser-test-pw"
STATUSPAGE_INCIDENT = {"id", "name", "status", "created_at", "updated_at", "monitoring_at",
                       "resolved_at", "impact", "shortlink", "started_at", "page_id",
                       "incident_updates", "components"}
STATUSPAGE_COMPONENT = {"id", "name", "status", "created_at", "updated_at", "position",
                        "description", "showcase", "start_date", "group_id", "page_id",
                        "group", "only_show_if_degraded"}

sync_api = pytest.importorskip("playwright.sync_api")
if not os.path.exists(CHROMIUM):
    pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)", allow_module_level=True)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    env = {"WARROOM_CONFIG": str(REPO / "examples" / "org")}
    for name, role in (("ada", "admin"), ("ben", "responder"), ("cora", "commander")):
        made = cli(["user", "create", name, "--role", role, "--password", PASSWORD], env,
                   tmp_path)
        # Judged by output: the CLI has been seen to abort at interpreter exit after success.
        assert f"created user {name}" in made.stdout, made.stderr
    srv = Server(tmp_path, env)
    srv.start()
    yield srv
    srv.stop()


def _login(page: Any, url: str, name: str) -> None:
    page.goto(f"{url}/login")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{url}/")


def test_console_end_to_end_in_chromium(server: Server, tmp_path: Path) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    url = server.url
    token = cli(["token", "create", "--user", "ada"], server.env, tmp_path)
    api = httpx.Client(base_url=url, timeout=10, headers={
        "Authorization": f"Bearer {token.stdout.strip().splitlines()[-1]}"})
    profile = tmp_path / "chromium-profile"
    with sync_api.sync_playwright() as pw:
        first = pw.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=ARGS,
            viewport={"width": 1280, "height": 900})
        page = first.pages[0] if first.pages else first.new_page()
        page.set_default_timeout(10_000)
        _login(page, url, "ada")
        page.locator("#live-state.on").wait_for()

        # Declared through the API, the incident appears on the open dashboard: SSE, no reload.
        declared = api.post("/api/v1/incidents", json={
            "title": "Checkout returns 500", "severity": "P1", "services": ["frontend", "api"],
            "impact": "Customers cannot pay"}).json()["incident"]
        ref = declared["human_id"]
        row = page.locator(f'[data-incident-id="{declared["id"]}"]')
        row.wait_for()
        assert page.evaluate("document.body.dataset.liveVersion") is not None
        assert "Ack due in" in row.locator(".timer").inner_text()
        page.screenshot(path=str(SHOTS / "dashboard.png"), full_page=True)

        # A second user follows the incident page in another browser.
        second_browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        other = second_browser.new_context(viewport={"width": 1100, "height": 900})
        watcher = other.new_page()
        watcher.set_default_timeout(10_000)
        _login(watcher, url, "ben")
        watcher.goto(f"{url}/incidents/{ref}")
        watcher.locator("#live-state.on").wait_for()

        row.get_by_role("link").click()
        page.wait_for_url(f"{url}/incidents/{ref}")
        page.get_by_role("button", name="Acknowledge").click()
        page.wait_for_url(f"{url}/incidents/{ref}")
        assert "Acknowledged" in page.locator(".timeline").inner_text()
        page.locator("#note-text").fill("Rolled back release 2026.01.3 <b>not bold</b>")
        page.get_by_role("button", name="Add note").click()
        page.wait_for_url(f"{url}/incidents/{ref}")
        page.locator("#severity-select").select_option("P0")
        page.get_by_role("button", name="Change severity").click()
        page.wait_for_url(f"{url}/incidents/{ref}")
        assert "Severity P1 → P0" in page.locator(".timeline").inner_text()
        assert page.locator(".timeline b").count() == 0  # the note's markup stayed text
        watcher.get_by_text("Rolled back release 2026.01.3").wait_for()
        watcher.get_by_text("Severity P1 → P0").wait_for()
        page.screenshot(path=str(SHOTS / "incident.png"), full_page=True)

        page.get_by_label("Resolution summary").fill("rollback")
        page.get_by_role("button", name="Resolve").click()
        page.wait_for_url(f"{url}/incidents/{ref}")
        watcher.get_by_text("Resolved — rollback").wait_for()
        assert "Resolved" in watcher.locator(".incident-head .status").inner_text()
        watcher.screenshot(path=str(SHOTS / "incident-second-user.png"), full_page=True)
        second_browser.close()

        # The public status page, without a login, shows it resolved; its JSON validates.
        public = first.browser.new_context() if first.browser else None
        status_page = (public or first).new_page()
        status_page.goto(f"{url}/status")
        assert "All Systems Operational" in status_page.locator(".banner").inner_text()
        past = status_page.locator('section[aria-labelledby="hist-h"]').inner_text()
        assert "Checkout returns 500" in past
        status_page.screenshot(path=str(SHOTS / "status.png"), full_page=True)
        summary = httpx.get(f"{url}/status/api/v2/summary.json").json()
        assert summary["status"]["indicator"] == "none"
        assert all(set(c) == STATUSPAGE_COMPONENT for c in summary["components"])
        history = httpx.get(f"{url}/status/api/v2/incidents.json").json()["incidents"]
        mine = next(i for i in history if i["id"] == ref)
        assert set(mine) == STATUSPAGE_INCIDENT and mine["status"] == "resolved"
        assert mine["impact"] == "critical"
        assert "2026.01.3" not in json.dumps(history)  # notes are internal

        # Phone width: nothing overflows sideways.
        for path, name in (("/", "dashboard"), (f"/incidents/{ref}", "incident"),
                           ("/incidents", "incidents"), ("/oncall", "oncall"),
                           ("/reports/metrics", "metrics"), ("/action-items", "action-items"),
                           (f"/incidents/{ref}/postmortem", "postmortem")):
            page.set_viewport_size({"width": 390, "height": 844})
            page.goto(f"{url}{path}")
            page.screenshot(path=str(SHOTS / f"phone-{name}.png"), full_page=True)
            width = page.evaluate("document.scrollingElement.scrollWidth")
            assert width <= 390, f"{path} is {width}px wide at phone width"
        status_page.set_viewport_size({"width": 390, "height": 844})
        status_page.goto(f"{url}/status")
        status_page.screenshot(path=str(SHOTS / "phone-status.png"), full_page=True)
        assert status_page.evaluate("document.scrollingElement.scrollWidth") <= 390
        page.set_viewport_size({"width": 1280, "height": 900})
        for path, name in (("/oncall", "oncall"), ("/reports/metrics", "metrics"),
                           ("/action-items", "action-items"),
                           (f"/incidents/{ref}/postmortem", "postmortem")):
            page.goto(f"{url}{path}")
            page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
        first.close()
    api.close()
    shutil.rmtree(profile, ignore_errors=True)
    errors = [line for line in server.output().splitlines()
              if re.search(r'"status": 5\d\d', line)]
    assert not errors, errors


def test_alert_to_runbook_approval_update_and_status_page_in_chromium(
        server: Server, tmp_path: Path) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    url = server.url
    token = cli(["token", "create", "--user", "ada"], server.env, tmp_path)
    api = httpx.Client(base_url=url, timeout=10, headers={
        "Authorization": f"Bearer {token.stdout.strip().splitlines()[-1]}"})
    intake = next(i for i in api.get("/api/v1/integrations").json()["items"]
                  if i["name"] == "alertmanager")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        page.set_default_timeout(10_000)
        _login(page, url, "ada")
        page.locator("#live-state.on").wait_for()

        # An alert through the Alertmanager intake opens an incident the dashboard shows live.
        alert = am_alert(alertname="FrontendDown", job="frontend", severity="critical")
        alert["annotations"]["summary"] = "Frontend is down"
        posted = httpx.post(intake["url"], json=am_webhook(alert), timeout=10)
        assert posted.status_code in (200, 202), posted.text
        incident = api.get("/api/v1/incidents").json()["items"][0]
        ref = incident["human_id"]
        row = page.locator(f'[data-incident-id="{incident["id"]}"]')
        row.wait_for()
        row.get_by_role("link").click()
        page.wait_for_url(f"{url}/incidents/{ref}")
        page.get_by_role("button", name="Acknowledge").click()
        page.wait_for_url(f"{url}/incidents/{ref}*")

        # Runbook: attach the suggestion, start a run, run a diagnosis step (dry-run here).
        page.locator('[data-attach="frontend-down"]').click()
        page.locator('[data-start="frontend-down"]').click()
        page.locator('[data-run="probe-frontend"]').click()
        probe = page.locator('[data-step="probe-frontend"]').first
        assert "curl -sS -o /dev/null" in probe.inner_text()
        failover = page.locator('[data-step="failover-to-maintenance"]').first
        failover.get_by_label("Why").fill("restart did not help")
        page.locator('[data-request="failover-to-maintenance"]').click()
        assert page.locator('[data-approve="failover-to-maintenance"]').count() == 0
        page.screenshot(path=str(SHOTS / "incident-runbook.png"), full_page=True)

        # A commander approves in a second browser context; then the step runs.
        approver = browser.new_context(viewport={"width": 1100, "height": 900}).new_page()
        approver.set_default_timeout(10_000)
        _login(approver, url, "cora")
        approver.goto(f"{url}/incidents/{ref}")
        approver.locator('[data-approve="failover-to-maintenance"]').click()
        approver.locator('[data-approval="granted"]').wait_for()
        page.reload()
        page.locator('[data-run="failover-to-maintenance"]').click()
        failover = page.locator('[data-step="failover-to-maintenance"]').first
        assert "kubectl -n web scale deployment/frontend" in failover.inner_text()
        runs = api.get(f"/api/v1/runs?incident={ref}").json()["items"]
        steps = {s["step_id"]: s for s in runs[0]["steps"]}
        assert steps["failover-to-maintenance"]["state"] == steps["probe-frontend"]["state"]
        assert steps["failover-to-maintenance"]["state"] not in ("pending", "failed")

        # A public status update, previewed first (fetch, the form stays filled).
        page.locator("#update-audience").select_option("public")
        page.locator("#update-template").select_option("initial")
        page.locator("#update-body").fill("We are failing over to a maintenance page.")
        page.locator("#preview-button").click()
        page.locator("#update-preview:not([hidden])").wait_for()
        assert page.locator("#update-body").input_value().startswith("We are failing over")
        assert page.locator("#preview-body").inner_text().strip()
        page.locator("#post-update-button").click()
        page.wait_for_url(f"{url}/incidents/{ref}*")
        page.get_by_label("Resolution summary").fill("failed over, then fixed")
        page.get_by_role("button", name="Resolve").click()
        page.wait_for_url(f"{url}/incidents/{ref}*")
        page.screenshot(path=str(SHOTS / "incident-runbook-resolved.png"), full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=str(SHOTS / "phone-incident-runbook.png"), full_page=True)
        assert page.evaluate("document.scrollingElement.scrollWidth") <= 390

        status_page = browser.new_context().new_page()
        status_page.goto(f"{url}/status")
        assert "All Systems Operational" in status_page.locator(".banner").inner_text()
        browser.close()
    history = httpx.get(f"{url}/status/api/v2/incidents.json").json()["incidents"]
    mine = next(i for i in history if i["id"] == ref)
    assert set(mine) == STATUSPAGE_INCIDENT and mine["status"] == "resolved"
    bodies = " ".join(u["body"] for u in mine["incident_updates"])
    assert "failing over to a maintenance page" in bodies
    api.close()
    errors = [line for line in server.output().splitlines()
              if re.search(r'"status": 5\d\d', line)]
    assert not errors, errors

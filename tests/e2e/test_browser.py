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
    srv.start(timeout=90)  # 2 busy cores shared with other work: wait generously
    yield srv
    srv.stop()


def _login(page: Any, url: str, name: str) -> None:
    page.goto(f"{url}/login")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{url}/")


def _publish(page: Any, title: str, components: dict[str, str], impact: str) -> None:
    """Publish through the console's dialog and wait for the redirect back."""
    page.locator("#publish-title").fill(title)
    for name, status in components.items():
        page.locator(f"#publish-component-{name}").select_option(status)
    page.locator("#publish-impact").select_option(impact)
    page.locator("#publish-button").click()
    page.wait_for_url("**done=published**")
    assert "Published to the status page." in page.locator("#flash").inner_text()


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

        row.get_by_role("link").first.click()
        page.wait_for_url(f"{url}/incidents/{ref}")
        page.get_by_role("button", name="Acknowledge").click()
        page.wait_for_url(f"{url}/incidents/{ref}*")
        assert "Acknowledged" in page.locator(".timeline").inner_text()
        page.locator("#note-text").fill("Rolled back release 2026.01.3 <b>not bold</b>")
        page.get_by_role("button", name="Add note", exact=True).click()
        page.wait_for_url(f"{url}/incidents/{ref}*")
        page.locator("#severity-select").select_option("P0")
        page.get_by_role("button", name="Change severity").click()
        page.wait_for_url(f"{url}/incidents/{ref}*")
        assert "Severity P1 → P0" in page.locator(".timeline").inner_text()
        assert page.locator(".timeline b").count() == 0  # the note's markup stayed text
        watcher.get_by_text("Rolled back release 2026.01.3").wait_for()
        watcher.get_by_text("Severity P1 → P0").wait_for()
        page.screenshot(path=str(SHOTS / "incident.png"), full_page=True)

        _publish(page, "Checkout problems", {"frontend": "major_outage"}, "critical")
        page.get_by_label("Resolution summary").fill("rollback")
        page.locator("#resolve-confirm").check()  # a P0 asks for confirmation
        page.get_by_role("button", name="Resolve", exact=True).click()
        page.wait_for_url(f"{url}/incidents/{ref}*")
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
        assert "Checkout problems" in past and "Checkout returns 500" not in past
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
        row.get_by_role("link").first.click()
        page.wait_for_url(f"{url}/incidents/{ref}")
        page.get_by_role("button", name="Acknowledge").click()
        page.wait_for_url(f"{url}/incidents/{ref}*")

        # Runbook: attach the suggestion, start a run, run a diagnosis step (dry-run here).
        page.locator('[data-attach="frontend-down"]').click()
        page.locator('[data-start="frontend-down"]').first.click()
        page.locator('[data-done="acknowledge"]').click()  # the first step is by hand
        page.locator('[data-run="probe-frontend"]').click()
        probe = page.locator('[data-step="probe-frontend"]').first
        assert "curl -sS -o /dev/null" in (probe.text_content() or "")
        failover = page.locator('[data-step="failover-to-maintenance"]').first
        if failover.locator("details:not([open])").count():
            failover.locator("summary").click()  # a later step starts folded
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
        assert "kubectl -n web scale deployment/frontend" in (failover.text_content() or "")
        runs = api.get(f"/api/v1/runs?incident={ref}").json()["items"]
        steps = {s["step_id"]: s for s in runs[0]["steps"]}
        assert steps["failover-to-maintenance"]["state"] == steps["probe-frontend"]["state"]
        assert steps["failover-to-maintenance"]["state"] not in ("pending", "failed")

        # Published first: a public update on an unpublished incident is refused.
        _publish(page, "Website unavailable", {"frontend": "major_outage"}, "critical")
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
        if page.locator("#resolve-confirm").count():
            page.locator("#resolve-confirm").check()
        page.get_by_role("button", name="Resolve", exact=True).click()
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


CONSOLE_PAGES = ("/", "/incidents", "/incidents/new", "/alerts", "/services", "/runbooks",
                 "/runbooks/frontend-down", "/action-items", "/reports/metrics", "/oncall",
                 "/escalation-policies", "/admin/users", "/admin/tokens",
                 "/admin/integrations", "/admin/notifications")


def _visible_without_scrolling(page: Any, selector: str, height: int) -> bool:
    box = page.locator(selector).first.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + min(box["height"], 60) <= height


def test_publish_gate_incident_workspace_and_every_page_on_phone_in_chromium(
        server: Server, tmp_path: Path) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    url = server.url
    token = cli(["token", "create", "--user", "ada"], server.env, tmp_path)
    api = httpx.Client(base_url=url, timeout=10, headers={
        "Authorization": f"Bearer {token.stdout.strip().splitlines()[-1]}"})
    intake = next(i for i in api.get("/api/v1/integrations").json()["items"]
                  if i["name"] == "alertmanager")
    alert = am_alert(alertname="FrontendDown", job="frontend", severity="critical")
    alert["annotations"]["summary"] = "Frontend is down on web-7"
    assert httpx.post(intake["url"], json=am_webhook(alert), timeout=10).status_code in (200,
                                                                                          202)
    incident = api.get("/api/v1/incidents").json()["items"][0]
    ref = incident["human_id"]

    # Declared from an alert, the incident is on no public surface until it is published.
    public = ("/status", "/status/feed.atom", "/status/api/v2/summary.json",
              "/status/api/v2/incidents.json", "/status/api/v2/incidents/unresolved.json")
    for path in public:
        text = httpx.get(f"{url}{path}", timeout=10).text
        assert ref not in text and incident["title"] not in text and "web-7" not in text, path
    assert httpx.get(f"{url}/status/incidents/{ref}", timeout=10).status_code == 404

    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        desk = browser.new_context(viewport={"width": 1366, "height": 900})
        page = desk.new_page()
        page.set_default_timeout(10_000)
        _login(page, url, "ada")
        page.goto(f"{url}/incidents/{ref}")
        assert "Not public" in page.locator(".incident-head").inner_text()
        page.locator('[data-attach="frontend-down"]').click()
        page.locator('[data-start="frontend-down"]').first.click()
        page.wait_for_url("**done=run_started**")

        page.locator('[data-done="acknowledge"]').click()  # the first step is by hand
        page.wait_for_url("**done=step_done**")

        # The command is shown before Run, under a banner naming the execution mode.
        assert "dry-run" in page.locator("#mode-banner").inner_text()
        current = page.locator(".step.current")
        assert current.get_attribute("data-step") == "probe-frontend"
        assert "curl" in current.locator("pre.command").inner_text()
        assert "Run (dry run)" in current.locator('[data-run="probe-frontend"]').inner_text()

        # At 1366×900 the header, the current step and the newest timeline entries show
        # without scrolling.
        page.goto(f"{url}/incidents/{ref}")
        for selector in (".incident-head", ".step.current", ".timeline .event"):
            assert _visible_without_scrolling(page, selector, 900), selector
        page.screenshot(path=str(SHOTS / "incident-1366x900.png"))

        # Approval: the requester sees where to press, the approver sees the command.
        failover = page.locator('[data-step="failover-to-maintenance"]').first
        if failover.locator("details:not([open])").count():
            failover.locator("summary").click()
        assert "Request approval" in failover.inner_text()
        planned = failover.locator('[data-planned="failover-to-maintenance"]').inner_text()
        assert "kubectl" in planned
        failover.get_by_label("Why").fill("frontend pods crash-loop")
        page.locator('[data-request="failover-to-maintenance"]').click()
        page.wait_for_url("**done=step_approval**")
        approver = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
        approver.set_default_timeout(10_000)
        _login(approver, url, "cora")
        approver.goto(f"{url}/incidents/{ref}")
        asked = approver.locator('[data-approval-command="failover-to-maintenance"]')
        assert asked.inner_text().strip() == planned.strip()
        approver.locator('[data-approve="failover-to-maintenance"]').wait_for()
        approver.screenshot(path=str(SHOTS / "incident-approval.png"), full_page=True)

        # Post/redirect/get: reloading after a POST repeats nothing.
        page.goto(f"{url}/incidents/{ref}")
        page.locator("#note-text").fill("**Pods** crash-looping since 09:58")
        page.get_by_role("button", name="Add note", exact=True).click()
        page.wait_for_url("**done=note**")
        assert page.locator("#flash").inner_text() == "Note added."
        assert page.locator(".timeline .note strong").first.inner_text() == "Pods"  # Markdown
        page.reload()
        page.wait_for_load_state()
        notes = [e for e in api.get(f"/api/v1/incidents/{ref}/timeline").json()["events"]
                 if e["kind"] == "note_added"]
        assert len(notes) == 1

        # Publishing through the dialog puts the public words, and only those, out.
        _publish(page, "Website unavailable", {"frontend": "major_outage"}, "critical")
        summary = httpx.get(f"{url}/status/api/v2/summary.json", timeout=10).json()
        assert [i["name"] for i in summary["incidents"]] == ["Website unavailable"]
        assert "web-7" not in httpx.get(f"{url}/status/feed.atom", timeout=10).text

        # Every page, desktop and phone; no page is wider than a 390 px phone.
        phone = browser.new_context(viewport={"width": 390, "height": 844},
                                    is_mobile=True, has_touch=True).new_page()
        phone.set_default_timeout(10_000)
        _login(phone, url, "ada")
        pages = [*CONSOLE_PAGES, f"/incidents/{ref}", f"/incidents/{ref}/postmortem",
                 "/status", f"/status/incidents/{ref}"]
        for path in pages:
            name = path.strip("/").replace("/", "-") or "dashboard"
            page.goto(f"{url}{path}")
            page.screenshot(path=str(SHOTS / f"page-desktop-{name}.png"), full_page=True)
            phone.goto(f"{url}{path}")
            phone.screenshot(path=str(SHOTS / f"page-phone-{name}.png"), full_page=True)
            width = phone.evaluate("document.scrollingElement.scrollWidth")
            assert width <= 390, f"{path} is {width}px wide on a phone"
        # On a phone the menu is folded and the first incident shows without scrolling.
        phone.goto(f"{url}/")
        assert not phone.locator("#main-nav").is_visible()
        phone.locator("#menu-toggle").click()
        assert phone.locator("#main-nav").is_visible()
        phone.goto(f"{url}/")
        assert _visible_without_scrolling(phone, ".incident-row", 844)
        phone.goto(f"{url}/incidents/{ref}")
        assert _visible_without_scrolling(phone, "#primary-actions", 844)
        browser.close()
    favicon = httpx.get(f"{url}/favicon.ico", timeout=10, follow_redirects=True)
    assert favicon.status_code == 200 and "svg" in favicon.headers["content-type"]
    api.close()
    errors = [line for line in server.output().splitlines()
              if re.search(r'"status": 5\d\d', line)]
    assert not errors, errors


def test_imported_runbook_beside_its_source_on_desktop_and_phone_in_chromium(
        server: Server) -> None:
    """An example runbook imported from the corpus: steps left, source Markdown right on a
    desktop, each step's link lands on its highlighted lines; stacked on a phone."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    url = server.url
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        page.set_default_timeout(10_000)
        _login(page, url, "ben")
        page.goto(f"{url}/runbooks/KubePodCrashLooping")
        steps, source = page.locator("#steps-h"), page.locator(".source-doc")
        steps_box, source_box = steps.bounding_box(), source.bounding_box()
        assert steps_box and source_box
        assert source_box["x"] > steps_box["x"] + steps_box["width"], "not side by side"
        link = page.locator(".source-link").first
        target = link.get_attribute("href")
        assert target and target.startswith("#source-")
        link.click()
        page.wait_for_url(f"**{target}")
        block = page.locator(target)
        assert "in-step" in (block.get_attribute("class") or "")
        assert page.evaluate("document.querySelector(':target').id") == target[1:]
        assert block.locator(".src-line").count() >= 1
        assert block.is_visible()
        page.screenshot(path=str(SHOTS / "runbook-source-desktop.png"))

        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(f"{url}/runbooks/KubePodCrashLooping")
        steps_box, source_box = steps.bounding_box(), source.bounding_box()
        assert steps_box and source_box and source_box["y"] > steps_box["y"], "not stacked"
        page.screenshot(path=str(SHOTS / "runbook-source-phone.png"), full_page=True)
        width = page.evaluate("document.scrollingElement.scrollWidth")
        assert width <= 390, f"the runbook page is {width}px wide at phone width"
        browser.close()

"""The incident page's working panels through HTTP: runbook runs with approvals by a second
user, status updates with preview, escalate now, and alert labels rendered inert."""

from __future__ import annotations

from markupsafe import escape

from warroom.runtime import Runtime
from warroom.testing.intake import am_alert, am_webhook, keys
from warroom.web.testkit import Browser

XSS_LABEL = '<script>alert("l")</script>'
XSS_ANNOTATION = '<img src=x onerror=alert(9)>'


def _frontend_alert(browser: Browser, rt: Runtime, **extra: str) -> str:
    """Fire a FrontendDown alert through the alertmanager intake; return the incident ref."""
    key = keys(rt)["alertmanager"]
    alert = am_alert(alertname="FrontendDown", job="frontend", severity="critical", **extra)
    resp = browser.client.post(f"/api/v1/intake/alertmanager/{key}", json=am_webhook(alert))
    assert resp.status_code in (200, 202), resp.text
    listing = browser.get("/api/v1/incidents").json()["items"]
    assert listing, "the alert opened no incident"
    return str(listing[0]["human_id"])


def test_runbook_steps_run_and_a_gated_step_needs_another_users_approval(
        browser: Browser, second_browser: Browser, org_runtime: Runtime) -> None:
    browser.login("rita")
    ref = _frontend_alert(browser, org_runtime)
    page = f"/incidents/{ref}"
    html = browser.get(page).text
    assert 'data-attach="frontend-down"' in html
    assert browser.post(f"{page}/runbooks", {"runbook": "frontend-down"}).status_code == 303
    assert browser.post(f"{page}/runs", {"runbook": "frontend-down"}).status_code == 303
    html = browser.get(page).text
    probe = _last_action(html, "data-run", "probe-frontend")
    assert browser.post(probe).status_code == 303
    html = browser.get(page).text
    assert "curl -sS -o /dev/null" in html  # dry-run: the rendered command is the output
    ask = _last_action(html, "data-request", "failover-to-maintenance")
    assert browser.post(ask, {"reason": "restart did not help"}).status_code == 303
    html = browser.get(page).text
    assert 'data-approve="failover-to-maintenance"' not in html  # not for the requester
    second_browser.login("root")
    other = second_browser.get(page).text
    approve = _last_action(other, "data-approve", "failover-to-maintenance")
    resp = second_browser.post(approve)
    assert resp.status_code == 303, resp.text[:500]
    html = browser.get(page).text
    assert 'data-approval="granted"' in html
    run = _last_action(html, "data-run", "failover-to-maintenance")
    assert browser.post(run).status_code == 303
    runs = browser.get(f"/api/v1/runs?incident={ref}").json()["items"]
    states = {s["step_id"]: s["state"] for s in runs[0]["steps"]}
    assert states["probe-frontend"] == states["failover-to-maintenance"]
    assert states["probe-frontend"] not in ("pending", "failed")


def test_requester_approving_their_own_step_is_refused_with_the_services_reason(
        browser: Browser, org_runtime: Runtime) -> None:
    browser.login("root")
    ref = _frontend_alert(browser, org_runtime)
    page = f"/incidents/{ref}"
    browser.post(f"{page}/runbooks", {"runbook": "frontend-down"})
    browser.post(f"{page}/runs", {"runbook": "frontend-down"})
    ask = _last_action(browser.get(page).text, "data-request", "failover-to-maintenance")
    browser.post(ask, {"reason": "needed"})
    pending = browser.get("/api/v1/approvals?status=pending").json()["items"]
    resp = browser.post(f"{page}/approvals/{pending[0]['id']}/approve")
    assert resp.status_code in (403, 409), resp.text[:300]
    assert 'role="alert"' in resp.text


def _last_action(html: str, attr: str, step: str) -> str:
    marker = html.index(f'{attr}="{step}"')
    start = html.rindex('<form method="post" action="', 0, marker)
    return html[start:marker].split('action="', 1)[1].split('"', 1)[0]


def test_status_update_preview_renders_server_side_and_keeps_the_form(
        browser: Browser, second_browser: Browser, org_runtime: Runtime) -> None:
    browser.login("rita")
    ref = _frontend_alert(browser, org_runtime)
    page = f"/incidents/{ref}"
    body = "We are <b>looking</b> into it"
    resp = browser.post(f"{page}/updates", {"audience": "public", "template": "initial",
                                            "body": body, "action": "preview"})
    assert resp.status_code == 200
    assert 'id="update-preview" class="preview" aria-live="polite" >' in resp.text
    assert "We are &lt;b&gt;looking&lt;/b&gt; into it</textarea>" in resp.text
    assert "<b>looking</b>" not in resp.text
    api = browser.client.post(f"/api/v1/incidents/{ref}/updates/preview",
                              json={"audience": "public", "template": "initial",
                                    "body": body}, headers={"X-CSRF-Token": browser.csrf})
    assert api.status_code == 200
    shown = api.json()
    assert f'<strong id="preview-subject">{escape(shown["subject"])}</strong>' in resp.text
    assert f'<pre id="preview-body">{escape(shown["body"])}</pre>' in resp.text
    refused = browser.post(f"{page}/updates", {"audience": "public", "template": "initial",
                                               "body": "Investigating", "action": "post"})
    assert refused.status_code == 422 and "is not published" in refused.text
    assert "Investigating</textarea>" in refused.text  # the form keeps what was typed
    second_browser.login("root")
    published = second_browser.post(f"{page}/publish", {
        "title": "Website errors", "component.frontend": "partial_outage",
        "impact": "major", "body": "Some pages fail to load."})
    assert published.status_code == 303
    assert published.headers["location"] == f"{page}?done=published#publish-h"
    assert "Published to the status page." in second_browser.get(
        published.headers["location"]).text
    posted = browser.post(f"{page}/updates", {"audience": "public", "template": "initial",
                                              "body": "Investigating", "action": "post"})
    assert posted.status_code == 303
    assert posted.headers["location"] == f"{page}?done=update#updates-h"
    kinds = [e["kind"] for e in browser.get(f"/api/v1/incidents/{ref}/timeline")
             .json()["events"]]
    assert any("update" in k for k in kinds), kinds


def test_escalate_now_goes_through_the_paging_service(browser: Browser,
                                                      org_runtime: Runtime) -> None:
    browser.login("rita")
    ref = _frontend_alert(browser, org_runtime)
    resp = browser.post(f"/incidents/{ref}/escalate", {"reason": "nobody answers"})
    assert resp.status_code == 303, resp.text[:300]
    kinds = [e["kind"] for e in browser.get(f"/api/v1/incidents/{ref}/timeline")
             .json()["events"]]
    assert "escalation_requested" in kinds, kinds


def test_alert_labels_and_annotations_render_inert_on_the_incident_page(
        browser: Browser, org_runtime: Runtime) -> None:
    browser.login("rita")
    ref = _frontend_alert(browser, org_runtime, instance=XSS_LABEL, note=XSS_ANNOTATION)
    html = browser.get(f"/incidents/{ref}").text
    assert "<script>alert(" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#34;l&#34;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(9)&gt;" in html


def test_panel_forms_without_a_csrf_token_are_refused(browser: Browser,
                                                      org_runtime: Runtime) -> None:
    browser.login("rita")
    ref = _frontend_alert(browser, org_runtime)
    resp = browser.post(f"/incidents/{ref}/runbooks", {"runbook": "frontend-down"},
                        with_csrf=False)
    assert resp.status_code == 403
    assert browser.get(f"/api/v1/incidents/{ref}/runbooks").json()["items"] == []


def test_header_counts_down_to_the_next_status_update(browser: Browser,
                                                       org_runtime: Runtime) -> None:
    browser.login("rita")
    ref = _frontend_alert(browser, org_runtime)
    incident = browser.get(f"/api/v1/incidents/{ref}").json()
    if incident["severity"] != "P1":  # P1 updates every 30 minutes in the example org
        assert browser.post(f"/incidents/{ref}/severity", {"severity": "P1"}).status_code == 303
    posted = browser.post(f"/incidents/{ref}/updates", {
        "audience": "internal", "template": "initial", "body": "Looking", "action": "post"})
    assert posted.status_code == 303
    updates = browser.get(f"/api/v1/incidents/{ref}/escalation").json()["updates"]
    assert updates["cadence_minutes"] and updates["next_due_at"], updates
    page = browser.get(f"/incidents/{ref}").text
    assert (f'data-deadline="{updates["next_due_at"]}" data-label="Update" role="timer"'
            in page)

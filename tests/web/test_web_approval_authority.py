"""Console approvals: Approve is shown only to those who can approve, with the exact command
and its target; a responder who POSTs a role to themselves, or an approval, gets no grant."""

from __future__ import annotations

from fastapi.testclient import TestClient
from markupsafe import escape

from warroom.api.app import create_app
from warroom.runtime import Runtime
from warroom.testing.intake import am_alert, am_webhook, keys
from warroom.web.testkit import Browser

STEP = "failover-to-maintenance"


def _incident_with_pending_request(browser: Browser, rt: Runtime) -> tuple[str, str]:
    """As rita: an alert's incident, a run of frontend-down, approval asked for the failover."""
    key = keys(rt)["alertmanager"]
    alert = am_alert(alertname="FrontendDown", job="frontend", severity="critical")
    assert browser.client.post(f"/api/v1/intake/alertmanager/{key}",
                               json=am_webhook(alert)).status_code in (200, 202)
    ref = str(browser.get("/api/v1/incidents").json()["items"][0]["human_id"])
    page = f"/incidents/{ref}"
    assert browser.post(f"{page}/runbooks", {"runbook": "frontend-down"}).status_code == 303
    assert browser.post(f"{page}/runs", {"runbook": "frontend-down"}).status_code == 303
    html = browser.get(page).text
    marker = html.index(f'data-request="{STEP}"')
    start = html.rindex('<form method="post" action="', 0, marker)
    ask = html[start:marker].split('action="', 1)[1].split('"', 1)[0]
    assert browser.post(ask, {"reason": "restart did not help"}).status_code == 303
    [pending] = browser.get("/api/v1/approvals?status=pending").json()["items"]
    return page, str(pending["id"])


def test_self_assigned_roles_through_the_console_never_approve(
        browser: Browser, second_browser: Browser, org_runtime: Runtime) -> None:
    browser.login("rita")
    page, req = _incident_with_pending_request(browser, org_runtime)
    second_browser.login("sam")
    html = second_browser.get(page).text
    assert f'data-approve="{STEP}"' not in html
    assert f'data-cannot-approve="{STEP}"' in html
    assert escape("commander (the commander user role or above, or this incident's "
                  "commander role)") in html
    shown = second_browser.get(f"/api/v1/approvals/{req}").json()
    assert shown["can_approve"] is False
    assert (f'<pre class="command" data-approval-command="{STEP}"><code>'
            f'{escape(shown["rendered"])}') in html
    assert escape(shown["target"]) in html
    assert shown["parameters"], shown   # the values the command runs with, secrets masked
    assert f'data-approval-params="{STEP}"' in html
    for name, value in shown["parameters"].items():
        assert escape(f"{name}={value}") in html

    for actor, user in ((second_browser, "sam"), (browser, "sam")):
        refused = actor.post(f"{page}/roles", {"role": "commander", "user": user})
        assert refused.status_code == 403, refused.text[:300]
        assert "carries approval rights" in refused.text
    refused = second_browser.post(f"{page}/approvals/{req}/approve")
    assert refused.status_code == 403
    assert second_browser.get(f"/api/v1/approvals/{req}").json()["status"] == "pending"

    with TestClient(create_app(org_runtime)) as client:
        admin = Browser(client)
        admin.login("root")
        assert f'data-approve="{STEP}"' in admin.get(page).text
        assert admin.get(f"/api/v1/approvals/{req}").json()["can_approve"] is True

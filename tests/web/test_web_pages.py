"""Console pages through HTTP: every page renders, actions go through the incident service,
output is escaped, and restricted incidents stay invisible to those not allowed."""

from __future__ import annotations

import re

import pytest

from warroom.runtime import Runtime
from warroom.web.testkit import Browser, token_for

PAGES = ["/", "/incidents", "/incidents?state=all", "/incidents/new", "/oncall",
         "/escalation-policies", "/admin/users", "/admin/tokens", "/reports/metrics"]
XSS_TITLE = '<script>alert("t")</script><img src=x onerror=alert(1)>'
XSS_NOTE = '<svg onload=alert(2)>"><b>bold</b>'


def _declare(rt: Runtime, who: str, **body: object) -> dict[str, object]:
    from fastapi.testclient import TestClient

    from warroom.api.app import create_app

    with TestClient(create_app(rt)) as api:
        resp = api.post("/api/v1/incidents", headers=token_for(rt, who),
                        json={"severity": "P1", **body})
    assert resp.status_code == 201, resp.text
    incident: dict[str, object] = resp.json()["incident"]
    return incident


@pytest.mark.parametrize("path", PAGES)
def test_every_page_renders_for_a_viewer_with_a_json_twin(browser: Browser, path: str) -> None:
    browser.login("vic")
    resp = browser.get(path)
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/html")
    twin = re.search(r'<link rel="alternate" type="application/json" href="([^"]+)">',
                     resp.text)
    if path != "/incidents/new":
        assert twin, f"{path} has no JSON twin link"
        assert browser.get(twin.group(1).replace("&amp;", "&")).status_code == 200


def test_pages_carry_no_inline_script(browser: Browser) -> None:
    browser.login("root")
    for path in PAGES:
        html = browser.get(path).text
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), path
        assert not re.search(r"\son[a-z]+=", html), path


def test_responder_works_an_incident_through_the_forms(browser: Browser) -> None:
    browser.login("rita")
    created = browser.post("/incidents", {"title": "Login fails", "severity": "P1",
                                          "services": ["auth"], "type": "service_outage"})
    page = created.headers["location"]
    steps = [("acknowledge", {}), ("severity", {"severity": "P0", "reason": "all users"}),
             ("roles", {"role": "commander", "user": "alice"}),
             ("status", {"status": "identified"}), ("notes", {"text": "rolled back v42"}),
             ("resolve", {"summary": "rollback", "confirm": "yes"})]
    for action, data in steps:
        if action == "resolve":  # a P0 resolve needs a summary and a ticked confirmation
            unconfirmed = browser.post(f"{page}/resolve", {"summary": "rollback"})
            assert unconfirmed.status_code == 422
            assert "needs a resolution summary and the confirmation box" in unconfirmed.text
        resp = browser.post(f"{page}/{action}", data)
        assert resp.status_code == 303, (action, resp.text[:400])
        assert resp.headers["location"].startswith(f"{page}?done=")  # post/redirect/get
    html = browser.get(page).text
    for text in ("Acknowledged", "Severity P1 → P0 — all users", "alice is now commander",
                 "rolled back v42", "Resolved — rollback"):
        assert text in html
    timeline = browser.get(f"/api/v1/incidents/{page.rsplit('/', 1)[1]}/timeline").json()
    mine = [e for e in timeline["events"] if e["actor"] == "rita"]
    assert [e["kind"] for e in mine] == [
        "declared", "acknowledged", "severity_changed", "role_assigned", "status_changed",
        "note_added", "resolved"]


def test_an_invalid_action_shows_the_reason_and_changes_nothing(browser: Browser) -> None:
    browser.login("rita")
    page = browser.post("/incidents", {"title": "Slow", "severity": "P2"}).headers["location"]
    browser.post(f"{page}/resolve", {"summary": "done"})
    resp = browser.post(f"{page}/acknowledge")
    assert resp.status_code == 409
    assert "cannot acknowledge: the incident is resolved" in resp.text
    reopen = browser.post(f"{page}/reopen", {"reason": "back"})
    assert reopen.status_code == 403  # reopening needs the commander role


def test_viewers_get_no_action_forms_and_cannot_post(browser: Browser,
                                                     org_runtime: Runtime) -> None:
    incident = _declare(org_runtime, "rita", title="Queue backlog")
    browser.login("vic")
    html = browser.get(f"/incidents/{incident['human_id']}").text
    assert "Acknowledge</button>" not in html
    resp = browser.post(f"/incidents/{incident['human_id']}/acknowledge")
    assert resp.status_code == 403
    assert "requires the responder role" in resp.text


def test_title_and_note_markup_render_inert(browser: Browser, org_runtime: Runtime) -> None:
    incident = _declare(org_runtime, "rita", title=XSS_TITLE)
    browser.login("rita")
    page = f"/incidents/{incident['human_id']}"
    browser.post(f"{page}/notes", {"text": XSS_NOTE})
    for path in (page, "/", "/incidents"):
        html = browser.get(path).text
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(&#34;t&#34;)&lt;/script&gt;" in html
    html = browser.get(page).text
    assert "<svg onload" not in html and "<b>bold</b>" not in html
    assert "&lt;svg onload=alert(2)&gt;" in html


def test_restricted_incident_is_invisible_to_others_on_every_page(
        browser: Browser, second_browser: Browser, org_runtime: Runtime) -> None:
    secret = _declare(org_runtime, "sam", title="Credential stuffing on login",
                      type="security", services=["auth"])
    assert secret["visibility"] == "restricted"
    browser.login("rita")
    ref = str(secret["human_id"])
    for path in ("/", "/incidents", "/incidents?state=all", "/incidents?q=stuffing",
                 "/api/v1/dashboard", "/api/v1/incidents", "/admin/users"):
        body = browser.get(path).text
        assert "Credential stuffing" not in body and ref not in body, path
    assert browser.get(f"/incidents/{ref}").status_code == 404
    assert browser.get(f"/incidents/{secret['id']}").status_code == 404
    assert browser.post(f"/incidents/{ref}/notes", {"text": "probe"}).status_code == 404
    dashboard = browser.get("/api/v1/dashboard").json()
    assert dashboard["open_total"] == 0
    # The security responder who declared it sees it everywhere.
    second_browser.login("sam")
    assert "Credential stuffing" in second_browser.get("/").text
    assert second_browser.get(f"/incidents/{ref}").status_code == 200
    assert second_browser.get("/api/v1/dashboard").json()["open_total"] == 1


def test_dashboard_groups_open_incidents_by_severity_with_ack_deadlines(
        browser: Browser, org_runtime: Runtime) -> None:
    _declare(org_runtime, "rita", title="Payments down", severity="P0")
    _declare(org_runtime, "rita", title="Slow search", severity="P2")
    browser.login("vic")
    data = browser.get("/api/v1/dashboard").json()
    counts = {g["severity"]: g["count"] for g in data["open"]}
    assert counts == {"P0": 1, "P1": 0, "P2": 1, "P3": 0}
    html = browser.get("/").text
    assert 'data-deadline="2026-01-05T09:05:00.000000Z"' in html  # P0: 5-minute ack SLA
    assert "P0</span> Critical" in html and "P2</span> Medium" in html
    assert {row["schedule"] for row in data["on_call"]} == {"sre-primary", "sre-secondary"}


def test_dashboard_metrics_follow_this_months_incidents(browser: Browser,
                                                        org_runtime: Runtime) -> None:
    from datetime import timedelta

    from warroom.clock import FakeClock

    clock = org_runtime.clock
    assert isinstance(clock, FakeClock)
    browser.login("rita")
    page = browser.post("/incidents", {"title": "Disk full", "severity": "P2"})\
        .headers["location"]
    clock.advance(timedelta(minutes=4))
    browser.post(f"{page}/acknowledge")
    clock.advance(timedelta(minutes=56))
    browser.post(f"{page}/resolve", {"summary": "cleaned"})
    metrics = browser.get("/api/v1/dashboard").json()["metrics"]
    assert metrics["month"] == "2026-01"
    assert metrics["incidents"] == 1
    assert metrics["mtta_median"] == 240 and metrics["mttr_median"] == 3600
    assert metrics["trend"][-1]["mttr_median"] == 3600
    html = browser.get("/").text
    assert "MTTA median, last 6 months: 01 4m" in html
    assert "MTTR median, last 6 months: 01 1h 00m" in html


def _store_unrouted_alert(rt: Runtime, summary: str, **labels: str) -> int:
    """A firing alert the rules chose not to declare for, stored as the intake stores it
    (the example organisation's rules declare for every alert, so HTTP cannot make one)."""
    import sqlalchemy as sa

    from warroom.store.alerts import alerts

    now = rt.clock.now()
    with rt.engine.begin() as conn:
        inserted = conn.execute(sa.insert(alerts).values(
            integration="alertmanager", source="alertmanager", dedup_key=summary,
            status="firing", labels=labels, annotations={}, summary=summary,
            severity_hint=None, service="database", starts_at=now, ends_at=None,
            first_seen=now, last_seen=now, count=1, links=[], incident_id=None,
            silenced_by=None, acknowledged_at=None, raw={}).returning(alerts.c.id))
        return int(inserted.scalar_one())


def _live_region(html: str, name: str) -> str:
    found = re.search(rf'data-live-region="{name}">(.*?)</section>', html, re.S)
    assert found, f"no live region {name}"
    return found.group(1)


def test_dashboard_shows_unrouted_firing_alerts_and_recent_changes(
        browser: Browser, org_runtime: Runtime) -> None:
    from datetime import timedelta

    from warroom.testing.intake import am_alert, am_webhook, keys

    browser.login("rita")
    intake = f"/api/v1/intake/alertmanager/{keys(org_runtime)['alertmanager']}"
    # Routed (it declares an incident) and silenced alerts are not unrouted.
    routed = am_webhook(am_alert(alertname="FrontendDown", job="frontend"))
    assert browser.client.post(intake, json=routed).status_code in (200, 202)
    assert browser.post("/silences", {"matchers": 'alertname="NoisyNode"', "duration": "2h",
                                      "comment": "rack move"}).status_code == 303
    silenced = am_webhook(am_alert(alertname="NoisyNode", job="node"))
    assert browser.client.post(intake, json=silenced).status_code in (200, 202)
    [muted] = browser.get("/api/v1/alerts?silenced=true").json()["items"]
    assert muted["summary"] == "node is down" and muted["incident_id"] is None
    alert_id = _store_unrouted_alert(org_runtime, "Disk 95% full on db-3",
                                     alertname="DiskFull", instance=XSS_TITLE)
    now = org_runtime.clock.now()
    for summary, at in (("Deploy db schema v42", now - timedelta(minutes=20)),
                        ("Ancient deploy", now - timedelta(days=8))):
        body = {"routing_key": keys(org_runtime)["zabbix"],
                "payload": {"summary": summary, "source": "ci", "timestamp": at.isoformat()}}
        assert browser.client.post("/v2/change/enqueue", json=body).status_code == 202
    browser.login("vic")
    data = browser.get("/api/v1/dashboard").json()
    assert data["unrouted_alerts"]["count"] == 1
    [alert] = data["unrouted_alerts"]["items"]
    assert alert["id"] == alert_id and alert["incident_id"] is None
    assert alert["labels"] == {"alertname": "DiskFull", "instance": XSS_TITLE}
    assert [c["summary"] for c in data["recent_changes"]["items"]] == ["Deploy db schema v42"]
    assert data["recent_changes"]["items"][0]["service"] == "database"
    unrouted = browser.get("/api/v1/alerts?unrouted=true").json()["items"]
    assert [a["id"] for a in unrouted] == [alert_id]
    html = browser.get("/").text
    region = _live_region(html, "unrouted")
    assert "Disk 95% full on db-3" in region and "DiskFull" in region
    assert "FrontendDown" not in region and "NoisyNode" not in region
    assert "<script>alert" not in region and "&lt;script&gt;" in region
    assert 'href="/alerts?status=firing"' in region
    recent = _live_region(html, "changes")
    assert "Deploy db schema v42" in recent and "Ancient deploy" not in recent


def test_dashboard_panels_say_when_there_is_nothing_to_show(browser: Browser) -> None:
    browser.login("vic")
    data = browser.get("/api/v1/dashboard").json()
    assert data["unrouted_alerts"] == {"count": 0, "items": []}
    assert data["recent_changes"]["items"] == []
    html = browser.get("/").text
    assert "Every firing alert reached an incident or a silence." in html
    assert "No changes in the last 7 days." in html


def test_oncall_page_shows_now_and_two_weeks(browser: Browser) -> None:
    browser.login("vic")
    html = browser.get("/oncall").text
    # 2026-01-05 09:00 UTC is a Monday, 09:00 in London: erin's business-hours shift.
    assert "Erin Evans" in html
    data = browser.get("/api/v1/console/oncall").json()
    primary = next(r for r in data["now"] if r["schedule"] == "sre-primary")
    assert primary["user"] == "erin" and primary["layer"] == "business-hours"
    assert len(data["calendar"][0]["days"]) == 14
    assert html.count('class="day"') == 28  # two schedules × 14 days


def test_escalation_policies_are_shown_read_only(browser: Browser) -> None:
    browser.login("vic")
    html = browser.get("/escalation-policies").text
    assert "sre-escalation" in html and "dir-dan" in html and "+20m" in html
    assert "after the last step. Pages again" in html  # sentences keep their space
    assert "<form" not in html.split("<main", 1)[1]


def test_admin_creates_users_and_tokens_shown_once(browser: Browser,
                                                   second_browser: Browser) -> None:
    browser.login("root")
    created = browser.post("/admin/users", {"name": "nina", "role": "responder",
                                            "password": "long-enough-pw"})
    assert created.status_code == 303
    assert "nina" in browser.get("/admin/users").text
    issued = browser.post("/admin/tokens", {"user": "nina", "name": "ci"})
    assert issued.status_code == 201 and issued.headers["cache-control"] == "no-store"
    token = re.search(r'id="issued-token">(wr_[^<]+)<', issued.text)
    assert token
    me = browser.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token[1]}"})
    assert me.json()["name"] == "nina"
    listing = browser.get("/admin/tokens").text
    assert token[1] not in listing
    token_id = re.findall(r'action="/admin/tokens/(\d+)/revoke"', listing)[-1]
    assert browser.post(f"/admin/tokens/{token_id}/revoke").status_code == 303
    assert browser.client.get("/api/v1/me", headers={
        "Authorization": f"Bearer {token[1]}"}).status_code == 401
    # A non-admin cannot create users.
    second_browser.login("rita")
    refused = second_browser.post("/admin/users", {"name": "eve", "role": "admin"})
    assert refused.status_code == 403


def test_the_declare_form_says_what_each_severity_means(browser: Browser) -> None:
    browser.login("rita")
    html = browser.get("/incidents/new").text
    assert '<span class="sev-name">P0 Critical</span> <small class="sev-desc">Complete ' \
        'outage, security breach, or data loss</small>' in html


def test_list_rows_acknowledge_assign_and_resolve_and_return_to_the_list(
        browser: Browser) -> None:
    browser.login("rita")
    page = browser.post("/incidents", {"title": "Queue backlog", "severity": "P2"})\
        .headers["location"]
    ref = page.rsplit("/", 1)[1]
    listing = browser.get("/incidents").text
    for marker in ("data-row-ack", "data-row-assign", "data-row-resolve"):
        assert f'{marker}="{ref}"' in listing
    acked = browser.post(f"{page}/acknowledge?back=%2Fincidents")
    assert acked.headers["location"] == "/incidents?done=acknowledged"
    assert "Acknowledged. Paging has stopped." in browser.get(acked.headers["location"]).text
    mine = browser.post(f"{page}/assign-me?back=%2F%2Fevil.example")  # never off-site
    assert mine.status_code == 303
    assert mine.headers["location"] == f"{page}?done=assigned"
    shown = browser.get(f"/api/v1/incidents/{ref}").json()
    # rita is a responder: the commander role carries approval rights, so she joins instead.
    assert shown["roles"] == {} and "rita" in shown["responders"]
    done = browser.post(f"{page}/resolve?back=%2F", {})  # a P2 resolves from the row
    assert done.status_code == 303 and done.headers["location"] == "/?done=resolved"

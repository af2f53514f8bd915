"""The alerts and silences page and the intake/delivery admin pages through HTTP: filters,
silences created and expired through the silence API's rules, integration keys for admins
only, dead letters retried, and alert markup rendered inert."""

from __future__ import annotations

from warroom.engine import outbox
from warroom.engine.worker import Worker
from warroom.notify.base import DeliveryResult, Message
from warroom.runtime import Runtime
from warroom.testing.intake import am_alert, am_webhook, keys
from warroom.web.testkit import Browser

XSS_LABEL = '<script>alert("a")</script>'
XSS_ANNOTATION = '"><img src=x onerror=alert(7)>'


def _fire(browser: Browser, rt: Runtime, **labels: str) -> None:
    key = keys(rt)["alertmanager"]
    resp = browser.client.post(f"/api/v1/intake/alertmanager/{key}",
                               json=am_webhook(am_alert(**labels)))
    assert resp.status_code in (200, 202), resp.text


def test_alerts_page_lists_and_filters_alerts_with_markup_inert(
        browser: Browser, org_runtime: Runtime) -> None:
    browser.login("rita")
    _fire(browser, org_runtime, alertname="FrontendDown", job="frontend", pod=XSS_LABEL)
    alert = am_alert(alertname="DbSlow", job="postgres")
    alert["annotations"]["runbook"] = XSS_ANNOTATION
    resp = browser.client.post(f"/api/v1/intake/alertmanager/{keys(org_runtime)['alertmanager']}",
                               json=am_webhook(alert))
    assert resp.status_code in (200, 202)
    html = browser.get("/alerts").text
    assert "FrontendDown" in html and "DbSlow" in html
    assert "<script>alert(" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#34;a&#34;)&lt;/script&gt;" in html
    assert "&#34;&gt;&lt;img src=x onerror=alert(7)&gt;" in html
    only_db = browser.get("/alerts?service=database").text
    assert "DbSlow" in only_db and "FrontendDown" not in only_db
    assert browser.get("/alerts?status=resolved").text.count('data-alert-id=') == 0


def test_silence_is_created_then_expired_from_the_page(browser: Browser) -> None:
    browser.login("rita")
    made = browser.post("/silences", {"matchers": 'alertname="DiskFull"\njob="node"',
                                      "duration": "2h", "comment": "disk swap tonight"})
    assert made.status_code == 303, made.text[:400]
    active = browser.get("/api/v1/silences").json()["items"]
    assert [s["comment"] for s in active] == ["disk swap tonight"]
    html = browser.get("/alerts").text
    assert "disk swap tonight" in html
    assert browser.post(f"/silences/{active[0]['id']}/expire").status_code == 303
    assert browser.get("/api/v1/silences").json()["items"] == []


def test_a_bad_silence_shows_the_reason_and_keeps_the_input(browser: Browser) -> None:
    browser.login("rita")
    resp = browser.post("/silences", {"matchers": "", "duration": "2h", "comment": "x"})
    assert resp.status_code == 422
    assert 'role="alert"' in resp.text and "matchers" in resp.text
    assert browser.get("/api/v1/silences").json()["items"] == []


def test_viewers_cannot_create_silences(browser: Browser) -> None:
    browser.login("vic")
    assert "Create silence" not in browser.get("/alerts").text
    resp = browser.post("/silences", {"matchers": 'job="x"', "duration": "1h",
                                      "comment": "no"})
    assert resp.status_code == 403
    assert "requires the responder role" in resp.text


def test_admins_see_integration_keys_and_urls_others_are_refused(
        browser: Browser, second_browser: Browser, org_runtime: Runtime) -> None:
    browser.login("root")
    html = browser.get("/admin/integrations").text
    key = keys(org_runtime)["alertmanager"]
    assert f"/api/v1/intake/alertmanager/{key}" in html
    second_browser.login("rita")
    assert second_browser.get("/admin/integrations").status_code == 403


class _Refusing:
    """A deliverer whose receiver permanently refuses everything (like an HTTP 400)."""

    def deliver(self, row: outbox.OutboxRow) -> DeliveryResult:
        return DeliveryResult.failure("400", "permanent failure: 400", retryable=False)

    def rate_wait(self, row: outbox.OutboxRow) -> float:
        return 0.0


def test_dead_letter_is_listed_and_retried_from_the_page(browser: Browser,
                                                         org_runtime: Runtime) -> None:
    with org_runtime.engine.begin() as conn:
        outbox.enqueue(conn, message=Message(
            idempotency_key="dl:1", incident_id="inc-x", incident_human_id="INC-2026-0001",
            kind="page", subject="<b>page</b> for dave", body="b", severity="P1"),
            channel="team-chat", now=org_runtime.clock.now())
    worker = Worker(org_runtime, _Refusing())
    try:
        worker.run_once()
    finally:
        worker.stop()
    dead = outbox.list_rows(org_runtime, status="dead")
    assert len(dead) == 1
    browser.login("root")
    html = browser.get("/admin/notifications").text
    assert "&lt;b&gt;page&lt;/b&gt; for dave" in html and "permanent failure: 400" in html
    assert browser.post(f"/admin/notifications/{dead[0]['id']}/retry").status_code == 303
    assert outbox.list_rows(org_runtime, status="dead") == []
    again = browser.post(f"/admin/notifications/{dead[0]['id']}/retry")
    assert again.status_code == 409 and "is not a dead letter" in again.text

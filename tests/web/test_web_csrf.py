"""CSRF: console forms and cookie-authenticated JSON API calls need the session's token."""

from __future__ import annotations

from warroom.runtime import Runtime
from warroom.web.testkit import Browser, token_for


def _declare(browser: Browser) -> str:
    resp = browser.post("/incidents", {"title": "Checkout errors", "severity": "P2"})
    assert resp.status_code == 303
    return str(resp.headers["location"])


def test_form_post_without_token_is_refused_and_changes_nothing(browser: Browser) -> None:
    browser.login("rita")
    page = _declare(browser)
    before = browser.get(page).text.count('class="event')
    refused = browser.post(f"{page}/notes", {"text": "forged"}, with_csrf=False)
    assert refused.status_code == 403
    assert "CSRF token" in refused.text
    assert browser.get(page).text.count('class="event') == before


def test_form_post_with_another_sessions_token_is_refused(browser: Browser,
                                                          second_browser: Browser) -> None:
    browser.login("rita")
    second_browser.login("root")
    page = _declare(browser)
    browser.csrf = second_browser.csrf
    assert browser.post(f"{page}/acknowledge").status_code == 403


def test_cookie_authenticated_json_api_needs_the_csrf_header(browser: Browser) -> None:
    browser.login("rita")
    body = {"title": "From a script", "severity": "P3"}
    refused = browser.client.post("/api/v1/incidents", json=body)
    assert refused.status_code == 403
    assert "X-CSRF-Token" in refused.json()["detail"]
    assert browser.client.get("/api/v1/incidents?q=script").json()["count"] == 0
    wrong = browser.client.post("/api/v1/incidents", json=body,
                                headers={"X-CSRF-Token": "0" * 64})
    assert wrong.status_code == 403
    ok = browser.client.post("/api/v1/incidents", json=body,
                             headers={"X-CSRF-Token": browser.csrf})
    assert ok.status_code == 201


def test_bearer_token_requests_need_no_csrf_token(browser: Browser,
                                                  org_runtime: Runtime) -> None:
    resp = browser.client.post("/api/v1/incidents", headers=token_for(org_runtime, "rita"),
                               json={"title": "From CI", "severity": "P3"})
    assert resp.status_code == 201


def test_safe_requests_with_the_cookie_need_no_token(browser: Browser) -> None:
    browser.login("vic")
    assert browser.client.get("/api/v1/me").json()["name"] == "vic"

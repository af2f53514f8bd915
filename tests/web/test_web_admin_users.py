"""The admin users page changes roles, deactivates users and ends their sessions; only admins
see and use those forms."""

from __future__ import annotations

from warroom.web.testkit import Browser


def test_an_admin_demotes_deactivates_and_ends_sessions_from_the_users_page(
        browser: Browser, second_browser: Browser) -> None:
    browser.login("root")
    second_browser.login("rita")
    page = browser.get("/admin/users").text
    assert 'action="/admin/users/rita/deactivate"' in page
    assert second_browser.get("/api/v1/me").json()["role"] == "responder"

    assert browser.post("/admin/users/rita/end-sessions").status_code == 303
    assert second_browser.get("/api/v1/me").status_code == 401
    second_browser.login("rita")
    assert browser.post("/admin/users/rita/role", {"role": "viewer"}).status_code == 303
    assert second_browser.get("/api/v1/me").status_code == 401  # a demotion ends sessions
    second_browser.login("rita")
    assert second_browser.get("/api/v1/me").json()["role"] == "viewer"

    assert browser.post("/admin/users/rita/deactivate").status_code == 303
    assert second_browser.get("/api/v1/me").status_code == 401
    assert "deactivated" in browser.get("/admin/users").text
    assert second_browser.login("rita").status_code == 401
    assert browser.post("/admin/users/rita/activate").status_code == 303
    assert second_browser.login("rita").status_code == 303

    refused = browser.post("/admin/users/root/deactivate")
    assert refused.status_code == 409 and "last active admin" in refused.text


def test_non_admins_see_no_user_forms_and_cannot_post_them(
        browser: Browser, second_browser: Browser) -> None:
    browser.login("rita")
    assert "/deactivate" not in browser.get("/admin/users").text
    resp = browser.post("/admin/users/vic/deactivate")
    assert resp.status_code == 403
    second_browser.login("vic")
    assert second_browser.get("/api/v1/me").status_code == 200

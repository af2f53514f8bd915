"""Logging in and out: argon2 passwords, signed HttpOnly SameSite cookies, login CSRF."""

from __future__ import annotations

from warroom.api.deps import SESSION_COOKIE
from warroom.web.session import safe_next
from warroom.web.testkit import Browser


def test_pages_send_anonymous_visitors_to_the_login_form(browser: Browser) -> None:
    resp = browser.client.get("/incidents?state=all", follow_redirects=False)
    assert resp.status_code == 303
    assert resp.headers["location"] == "/login?next=%2Fincidents%3Fstate%3Dall"


def test_login_sets_a_signed_httponly_samesite_cookie(browser: Browser) -> None:
    resp = browser.login("rita")
    assert resp.status_code == 303
    cookie = next(v for k, v in resp.headers.multi_items()
                  if k == "set-cookie" and v.startswith(SESSION_COOKIE))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    page = browser.get("/")
    assert page.status_code == 200 and "rita" in page.text


def test_wrong_password_is_refused_without_a_session(browser: Browser) -> None:
    resp = browser.login("rita", "not-the-password")
    assert resp.status_code == 401
    assert "Wrong user name or password" in resp.text
    assert SESSION_COOKIE not in browser.client.cookies


def test_login_form_without_its_token_is_refused(browser: Browser) -> None:
    resp = browser.client.post("/login", data={"username": "rita", "password": "x" * 8},
                               follow_redirects=False)
    assert resp.status_code == 403
    assert SESSION_COOKIE not in browser.client.cookies


def test_a_tampered_cookie_is_no_session(browser: Browser) -> None:
    browser.login("rita")
    value = browser.client.cookies[SESSION_COOKIE]
    browser.client.cookies.clear()
    browser.client.cookies.set(SESSION_COOKIE, value[:-2] + ("A" if value[-2] != "A" else "B")
                               + value[-1])
    assert browser.client.get("/", follow_redirects=False).status_code == 303
    assert browser.client.get("/api/v1/me").status_code == 401


def test_logout_needs_the_csrf_token_and_ends_the_session(browser: Browser) -> None:
    browser.login("rita")
    assert browser.post("/logout", with_csrf=False).status_code == 403
    assert browser.get("/api/v1/me").json()["name"] == "rita"
    resp = browser.post("/logout")
    assert resp.status_code == 303 and resp.headers["location"] == "/login"
    assert browser.client.get("/", follow_redirects=False).status_code == 303


def test_login_only_returns_to_paths_on_this_site() -> None:
    assert safe_next("/incidents/INC-1") == "/incidents/INC-1"
    for hostile in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "", None):
        assert safe_next(hostile) == "/"

"""Sessions and accounts end when they should: logout, password change, deactivation, an
admin ending sessions and token revocation each end access at once, including live streams
(over real HTTP, with tokens and with the console's cookie)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from warroom.api.app import create_app
from warroom.api.deps import SESSION_COOKIE
from warroom.clock import FakeClock
from warroom.runtime import Runtime
from warroom.store.schema import api_tokens, audit_events
from warroom.testing.live import frames, serving
from warroom.web.testkit import PASSWORD, Browser, token_for


@pytest.fixture
def live(org_runtime: Runtime) -> Iterator[str]:
    live_broadcaster_fast(org_runtime)
    with serving(org_runtime) as url:
        yield url


def live_broadcaster_fast(runtime: Runtime) -> None:
    from warroom.web.broadcast import live_broadcaster

    live_broadcaster(runtime).revalidate = 0.5  # the default is 2 s; keep the suite quick


def _ends(events: Iterator[tuple[str, dict[str, Any]]]) -> str:
    """Read the stream to its end; the name of its last event."""
    last = ""
    for event, _ in events:
        last = event
    return last


def _browser(url: str, name: str) -> Browser:
    browser = Browser(httpx.Client(base_url=url, timeout=20))
    assert browser.login(name).status_code == 303
    return browser


def test_revoking_a_token_ends_its_open_stream_and_its_access(
        org_runtime: Runtime, live: str) -> None:
    rita, root = token_for(org_runtime, "rita"), token_for(org_runtime, "root")
    with httpx.Client(base_url=live, timeout=20) as api:
        [token] = [t for t in api.get("/api/v1/tokens", headers=rita).json()["items"]]
        with api.stream("GET", "/api/v1/live", headers=rita) as stream:
            events = frames(stream)
            assert next(events)[0] == "ready"
            started = time.monotonic()
            revoked = api.post(f"/api/v1/tokens/{token['id']}/revoke", headers=root)
            assert revoked.status_code == 200, revoked.text
            assert [e for e, _ in events][-1:] == ["ended"]
            assert time.monotonic() - started < 15
        assert api.get("/api/v1/me", headers=rita).status_code == 401


def test_logout_ends_the_cookie_everywhere_and_its_stream(live: str) -> None:
    browser = _browser(live, "rita")
    stolen = browser.client.cookies[SESSION_COOKIE]
    with browser.client.stream("GET", "/api/v1/live") as stream:
        events = frames(stream)
        assert next(events) == ("ready", {"user": "rita"})
        assert browser.post("/logout").status_code == 303
        assert _ends(events) == "ended"
    # The old cookie, replayed with its CSRF token, is no session any more.
    with httpx.Client(base_url=live, cookies={SESSION_COOKIE: stolen}) as replay:
        assert replay.get("/api/v1/me").status_code == 401
        note = replay.post("/api/v1/incidents", json={"title": "x", "severity": "P3"},
                           headers={"X-CSRF-Token": browser.csrf})
        assert note.status_code == 401


def test_a_password_change_ends_every_session_of_that_user(
        org_runtime: Runtime, live: str) -> None:
    laptop, phone = _browser(live, "rita"), _browser(live, "rita")
    other = _browser(live, "sam")
    with phone.client.stream("GET", "/api/v1/live") as stream:
        events = frames(stream)
        assert next(events)[0] == "ready"
        changed = laptop.client.post("/api/v1/users/rita/password",
                                     json={"password": "a-new-long-password"},
                                     headers={"X-CSRF-Token": laptop.csrf})
        assert changed.status_code == 200, changed.text
        assert _ends(events) == "ended"
    for device in (laptop, phone):
        assert device.get("/api/v1/me").status_code == 401
    assert other.get("/api/v1/me").json()["name"] == "sam"
    again = Browser(httpx.Client(base_url=live, timeout=20))
    assert again.login("rita").status_code == 401
    assert again.login("rita", "a-new-long-password").status_code == 303


def test_an_admin_ends_all_of_a_users_sessions(org_runtime: Runtime, live: str) -> None:
    rita, vic = _browser(live, "rita"), token_for(org_runtime, "vic")
    root = token_for(org_runtime, "root")
    with httpx.Client(base_url=live, timeout=20) as api:
        assert api.post("/api/v1/users/rita/sessions/end", headers=vic).status_code == 403
        ended = api.post("/api/v1/users/rita/sessions/end", headers=root)
        assert ended.json() == {"user": "rita", "ended": 1}
    assert rita.get("/api/v1/me").status_code == 401


def test_deactivation_ends_sessions_revokes_tokens_and_streams(
        org_runtime: Runtime, live: str) -> None:
    rita_token, root = token_for(org_runtime, "rita"), token_for(org_runtime, "root")
    rita = _browser(live, "rita")
    with httpx.Client(base_url=live, timeout=20) as api, \
            api.stream("GET", "/api/v1/live", headers=rita_token) as by_token, \
            rita.client.stream("GET", "/api/v1/live") as by_cookie:
        token_events, cookie_events = frames(by_token), frames(by_cookie)
        assert next(token_events)[0] == "ready"
        assert next(cookie_events)[0] == "ready"
        resp = api.patch("/api/v1/users/rita", json={"active": False}, headers=root)
        assert resp.status_code == 200 and resp.json()["active"] is False
        assert _ends(token_events) == "ended" and _ends(cookie_events) == "ended"
        assert api.get("/api/v1/me", headers=rita_token).status_code == 401
        assert rita.get("/api/v1/me").status_code == 401
        assert rita.login("rita").status_code == 401  # a deactivated user cannot log in
    with org_runtime.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(api_tokens).where(
            api_tokens.c.revoked_at.is_(None), api_tokens.c.user_id == sa.select(
                sa.literal_column("id")).select_from(sa.table("users")).where(
                sa.literal_column("name") == "rita").scalar_subquery())).scalar() == 0
        [change] = [r.data for r in conn.execute(sa.select(audit_events).where(
            audit_events.c.kind == "user_updated"))]
    assert change["active"] is False and change["sessions_ended"] == 1


def test_role_changes_take_effect_at_once_and_keep_an_admin(
        org_runtime: Runtime, live: str) -> None:
    root, rita = token_for(org_runtime, "root"), token_for(org_runtime, "rita")
    with httpx.Client(base_url=live, timeout=20) as api:
        assert api.patch("/api/v1/users/rita", json={"role": "admin"},
                         headers=rita).status_code == 403
        demoted = api.patch("/api/v1/users/rita", json={"role": "viewer"}, headers=root)
        assert demoted.json()["role"] == "viewer"
        refused = api.post("/api/v1/incidents", json={"title": "t", "severity": "P3"},
                           headers=rita)
        assert refused.status_code == 403
        last = api.patch("/api/v1/users/root", json={"active": False}, headers=root)
        assert last.status_code == 409 and "last active admin" in last.json()["detail"]
        bad = api.patch("/api/v1/users/rita", json={"role": "owner"}, headers=root)
        assert bad.status_code == 422


def test_token_last_used_at_is_written_at_most_once_a_minute(
        org_runtime: Runtime, clock: FakeClock) -> None:
    from fastapi.testclient import TestClient

    rita = token_for(org_runtime, "rita")

    def last_used() -> object:
        with org_runtime.engine.connect() as conn:
            return conn.execute(sa.select(api_tokens.c.last_used_at)).scalar()

    with TestClient(create_app(org_runtime)) as client:
        assert last_used() is None
        client.get("/api/v1/me", headers=rita)
        first = last_used()
        assert first == clock.now()
        clock.advance(timedelta(seconds=30))
        client.get("/api/v1/me", headers=rita)
        assert last_used() == first
        clock.advance(timedelta(seconds=31))
        client.get("/api/v1/me", headers=rita)
        assert last_used() == clock.now()


def test_failed_logins_are_throttled_by_account_with_retry_after(
        browser: Browser, second_browser: Browser, org_runtime: Runtime,
        clock: FakeClock) -> None:
    for _ in range(5):
        assert browser.login("rita", "wrong-password").status_code == 401
    blocked = browser.login("rita", PASSWORD)  # even the right password waits
    assert blocked.status_code == 429
    assert 0 < int(blocked.headers["Retry-After"]) <= 900
    assert "Too many failed logins" in blocked.text
    assert second_browser.login("sam").status_code == 303  # other accounts are not locked
    with org_runtime.engine.connect() as conn:
        kinds = [r.kind for r in conn.execute(sa.select(audit_events.c.kind))]
    assert kinds.count("login_throttled") == 1
    clock.advance(timedelta(minutes=15, seconds=1))  # no permanent lockout
    assert browser.login("rita").status_code == 303


def test_failed_logins_are_throttled_by_client_address(browser: Browser) -> None:
    for n in range(20):
        assert browser.login(f"nobody{n}", "wrong-password").status_code == 401
    resp = browser.login("rita")
    assert resp.status_code == 429 and "Retry-After" in resp.headers


def test_an_unknown_user_costs_as_much_as_a_real_one(browser: Browser) -> None:
    def cost(name: str) -> float:
        started = time.perf_counter()
        assert browser.login(name, "wrong-password").status_code == 401
        return time.perf_counter() - started

    known = sorted(cost("rita") for _ in range(3))[1]
    unknown = sorted(cost(f"ghost{n}") for n in range(3))[1]
    # Without the dummy hash an unknown name answers ~100x faster; allow for a noisy host.
    assert unknown > known / 4, (known, unknown)


def test_hsts_only_when_the_public_url_is_https(org_runtime: Runtime) -> None:
    from dataclasses import replace

    from fastapi.testclient import TestClient

    with TestClient(create_app(org_runtime)) as plain:
        assert "strict-transport-security" not in plain.get("/healthz").headers
    org_runtime.settings = replace(org_runtime.settings, public_url="https://warroom.example")
    with TestClient(create_app(org_runtime)) as secure:
        assert secure.get("/healthz").headers["strict-transport-security"].startswith(
            "max-age=")

"""Sessions end in a real browser: Debian's Chromium (Playwright) against a real
`warroom serve`. Logout kills the cookie even when replayed; a password change and a
deactivation from the CLI end an open console, live stream included, within seconds."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from warroom.testing.server import Server, cli

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
PASSWORD = "browser-test-pw"
ENDED_WITHIN_MS = 20_000  # revalidation runs every 2 s; generous for a loaded host

sync_api = pytest.importorskip("playwright.sync_api")
if not os.path.exists(CHROMIUM):
    pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)", allow_module_level=True)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    env = {"WARROOM_CONFIG": str(REPO / "examples" / "org")}
    for name, role in (("ada", "admin"), ("ben", "responder")):
        made = cli(["user", "create", name, "--role", role, "--password", PASSWORD], env,
                   tmp_path)
        assert f"created user {name}" in made.stdout, made.stderr
    srv = Server(tmp_path, env)
    srv.start()
    yield srv
    srv.stop()


def _login(page: Any, url: str, name: str, password: str = PASSWORD) -> None:
    page.goto(f"{url}/login")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{url}/")
    page.locator("#live-state.on").wait_for()  # the live stream is open


def test_logout_password_change_and_deactivation_end_the_console(
        server: Server, tmp_path: Path) -> None:
    url = server.url
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            # Logout: the cookie it leaves behind opens nothing, even replayed elsewhere.
            first = browser.new_context()
            page = first.new_page()
            page.set_default_timeout(15_000)
            _login(page, url, "ben")
            [cookie] = [c for c in first.cookies() if c["name"] == "warroom_session"]
            page.get_by_role("button", name="Log out").click()
            page.wait_for_url(f"{url}/login")
            replay = browser.new_context()
            replay.add_cookies([cookie])
            stale = replay.new_page()
            stale.goto(f"{url}/incidents")
            assert "/login" in stale.url
            assert httpx.get(f"{url}/api/v1/me", cookies={cookie["name"]: cookie["value"]}
                             ).status_code == 401

            # A password change (here from the CLI) ends the open console and its stream.
            second = browser.new_context()
            page = second.new_page()
            page.set_default_timeout(15_000)
            _login(page, url, "ben")
            changed = cli(["user", "password", "ben", "--password", "a-new-password-1"],
                          server.env, tmp_path)
            assert "password changed" in changed.stdout, changed.stderr
            page.wait_for_url(f"{url}/login**", timeout=ENDED_WITHIN_MS)
            _login(page, url, "ben", "a-new-password-1")

            # Deactivation from the CLI: the same console ends, and logging in is refused.
            done = cli(["user", "deactivate", "ben"], server.env, tmp_path)
            assert "deactivated" in done.stdout, done.stderr
            page.wait_for_url(f"{url}/login**", timeout=ENDED_WITHIN_MS)
            page.get_by_label("User name").fill("ben")
            page.get_by_label("Password").fill("a-new-password-1")
            page.get_by_role("button", name="Log in").click()
            page.get_by_text("Wrong user name or password").wait_for()
        finally:
            browser.close()

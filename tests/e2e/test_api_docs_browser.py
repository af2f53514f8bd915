"""/api/docs in Debian's Chromium against a real `warroom serve`: every operation of the
OpenAPI document renders, under the app's CSP, with no request leaving the server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from warroom.testing.runtime import REPO
from warroom.testing.server import Server

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
METHODS = ("get", "post", "put", "patch", "delete")

sync_api = pytest.importorskip("playwright.sync_api")
if not os.path.exists(CHROMIUM):
    pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)", allow_module_level=True)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    srv = Server(tmp_path, {"WARROOM_CONFIG": str(REPO / "examples" / "org"),
                            "WARROOM_WORKERS": "0"})
    srv.start(timeout=60)
    yield srv
    srv.stop()


def test_api_docs_render_every_operation_under_the_csp(server: Server) -> None:
    document = httpx.get(f"{server.url}/api/v1/openapi.json", timeout=30).json()
    expected = {f"{m.upper()} {path}" for path, item in document["paths"].items()
                for m in METHODS if m in item}
    assert len(expected) > 80
    problems: list[str] = []
    foreign: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(30_000)

            def on_console(msg: Any) -> None:
                if msg.type == "error":
                    problems.append(msg.text)

            def on_request(request: Any) -> None:
                if not request.url.startswith(server.url):
                    foreign.append(request.url)

            page.on("console", on_console)
            page.on("request", on_request)
            response = page.goto(f"{server.url}/api/docs")
            assert response is not None and response.status == 200
            assert "script-src 'self'" in response.headers["content-security-policy"]
            page.locator("article.operation").first.wait_for()
            shown = {" ".join(t.split()) for t in page.locator("article.operation h3")
                     .all_inner_texts()}
            # The stylesheet applied: the method badge is coloured, not default black.
            colour = page.locator(".method-post").first.evaluate(
                "el => getComputedStyle(el).backgroundColor")
        finally:
            browser.close()
    assert shown == expected, sorted(expected ^ shown)[:10]
    assert colour not in ("rgba(0, 0, 0, 0)", "transparent")
    assert not problems, problems
    assert not foreign, foreign

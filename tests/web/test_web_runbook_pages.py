"""Runbook pages through HTTP: the list with search, one runbook as a checklist with lint
findings and its runs, each page linking its JSON twin."""

from __future__ import annotations

import re

from warroom.web.testkit import Browser


def _twin(html: str) -> str:
    found = re.search(r'<link rel="alternate" type="application/json" href="([^"]+)">', html)
    assert found
    return found.group(1).replace("&amp;", "&")


def test_runbook_list_searches_and_links_each_runbook(browser: Browser) -> None:
    browser.login("vic")
    html = browser.get("/runbooks").text
    assert 'href="/runbooks/frontend-down"' in html
    assert browser.get(_twin(html)).status_code == 200
    found = browser.get("/runbooks?q=frontend").text
    listed = re.findall(r'data-runbook="([^"]+)"', found)
    assert "frontend-down" in listed
    none = browser.get("/runbooks?q=no-such-runbook-xyz").text
    assert "No runbooks match." in none


def test_runbook_reads_as_a_checklist_with_commands_and_runs(browser: Browser) -> None:
    browser.login("rita")
    browser.client.post("/api/v1/runs", json={"runbook": "frontend-down"},
                        headers={"X-CSRF-Token": browser.csrf})
    html = browser.get("/runbooks/frontend-down").text
    steps = re.findall(r'data-step="([^"]+)"', html)
    assert steps[:3] == ["acknowledge", "probe-frontend", "check-pods"]
    assert "kubectl -n {{ namespace }} get pods" in html
    assert "needs approval (commander)" in html
    assert "No runs yet." not in html
    assert browser.get(_twin(html)).json()["id"] == "frontend-down"


def test_unknown_runbook_is_a_404_page_that_says_how_to_list_them(browser: Browser) -> None:
    browser.login("rita")
    resp = browser.get("/runbooks/nope")
    assert resp.status_code == 404
    assert "GET /api/v1/runbooks" in resp.text

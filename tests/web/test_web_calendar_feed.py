"""Secret calendar feed URLs: one per user, shown once, carrying only that user's shifts,
readable without a bearer header (as Google Calendar or Outlook fetch them), and dead once
replaced, revoked or its user deactivated."""

from __future__ import annotations

import re
from typing import cast

from fastapi.testclient import TestClient

from warroom.runtime import Runtime
from warroom.web.testkit import Browser, token_for


def _anon(browser: Browser) -> TestClient:
    """A client with no token and no cookie, as a calendar app is."""
    return TestClient(cast(TestClient, browser.client).app)


def _shift_owners(ics: str) -> set[str]:
    return set(re.findall(r"SUMMARY:On call: [\w-]+ \((\w+)\)", ics))


def test_a_feed_url_carries_only_its_users_shifts_without_a_token(
        browser: Browser, org_runtime: Runtime) -> None:
    alice, root = token_for(org_runtime, "alice"), token_for(org_runtime, "root")
    client = browser.client
    issued = client.post("/api/v1/users/alice/ical-feed", headers=alice)
    assert issued.status_code == 201, issued.text
    url = issued.json()["url"]
    path = url.split("://", 1)[1].split("/", 1)[1]
    feed = _anon(browser).get("/" + path)  # no Authorization, no cookie
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("text/calendar")
    assert _shift_owners(feed.text) == {"alice"}
    everyone = client.get("/api/v1/schedules/sre-primary.ics", headers=alice).text
    assert len(_shift_owners(everyone)) > 1  # the schedule itself has others' shifts

    assert client.post("/api/v1/users/alice/ical-feed",
                       headers=token_for(org_runtime, "vic")).status_code == 403
    again = client.post("/api/v1/users/alice/ical-feed", headers=root).json()["url"]
    assert _anon(browser).get("/" + path).status_code == 404  # replaced
    new_path = "/" + again.split("://", 1)[1].split("/", 1)[1]
    assert _anon(browser).get(new_path).status_code == 200
    assert client.delete("/api/v1/users/alice/ical-feed", headers=alice).json()["revoked"] == 1
    assert _anon(browser).get(new_path).status_code == 404
    assert _anon(browser).get("/ical/wrcal_guess.ics").status_code == 404


def test_deactivating_a_user_kills_their_feed_url(browser: Browser,
                                                  org_runtime: Runtime) -> None:
    alice, root = token_for(org_runtime, "alice"), token_for(org_runtime, "root")
    url = browser.client.post("/api/v1/users/alice/ical-feed", headers=alice).json()["url"]
    path = "/" + url.split("://", 1)[1].split("/", 1)[1]
    browser.client.patch("/api/v1/users/alice", json={"active": False}, headers=root)
    assert _anon(browser).get(path).status_code == 404


def test_the_console_shows_a_new_feed_url_once(browser: Browser) -> None:
    browser.login("rita")
    page = browser.get("/admin/tokens").text
    assert "You have no feed URL" in page
    shown = browser.post("/admin/calendar-feed")
    assert shown.status_code == 201
    found = re.search(r'<code class="token" id="feed-url">([^<]+)</code>', shown.text)
    assert found and "/ical/wrcal_" in found.group(1)
    later = browser.get("/admin/tokens").text
    assert found.group(1) not in later and "has been live since" in later
    assert browser.post("/admin/calendar-feed/revoke").status_code == 303
    assert "You have no feed URL" in browser.get("/admin/tokens").text

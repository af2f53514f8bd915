"""The on-call page: overrides created through its form are who is on call now on the page,
the dashboard, the JSON twins and the paging API, and show in the calendar; bad input,
viewers and forged forms are refused and store nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from warroom.clock import FakeClock
from warroom.web.testkit import Browser

# The fake clock starts at 2026-01-05 09:00 UTC, a Monday and 09:00 in London (GMT), when erin
# has sre-primary's business-hours shift.
CAROL_MORNING = {"schedule": "sre-primary", "user": "carol", "start": "2026-01-05T08:00",
                 "end": "2026-01-05T12:00", "reason": "erin at the dentist"}


def _row(rows: list[dict[str, Any]], schedule: str = "sre-primary") -> dict[str, Any]:
    return next(r for r in rows if r["schedule"] == schedule)


def _stored_overrides(browser: Browser, schedule: str = "sre-primary") -> list[dict[str, Any]]:
    listed = browser.get(f"/api/v1/schedules/{schedule}/overrides").json()["overrides"]
    return [o for o in listed if o["id"] is not None]


def test_an_override_from_the_form_is_on_call_now_everywhere(browser: Browser) -> None:
    browser.login("rita")
    assert _row(browser.get("/api/v1/dashboard").json()["on_call"])["user"] == "erin"

    created = browser.post("/oncall/overrides", CAROL_MORNING)
    assert created.status_code == 303, created.text[:600]
    assert created.headers["location"] == "/oncall#overrides-h"

    page = browser.get("/oncall").text
    assert "<strong>Carol Chen</strong> <small>(override)</small>" in page
    assert "erin at the dentist" in page and "2026-01-05 08:00 – 2026-01-05 12:00" in page
    twin = browser.get("/api/v1/console/oncall").json()
    now = _row(twin["now"])
    assert (now["user"], now["source"]) == ("carol", "override")
    assert now["until"] == "2026-01-05T12:00:00.000000Z"
    [stored] = [o for o in _row(twin["overrides"])["overrides"] if o["id"] is not None]
    assert (stored["user"], stored["created_by"], stored["local_start"]) == (
        "carol", "rita", "2026-01-05 08:00")

    dashboard = browser.get("/api/v1/dashboard").json()
    assert (_row(dashboard["on_call"])["user"], _row(dashboard["on_call"])["source"]) == (
        "carol", "override")
    assert _row(dashboard["on_call"], "sre-secondary")["user"] == "carol"  # her own week
    assert "Carol Chen <small>(override" in browser.get("/").text
    paging = browser.get("/api/v1/oncall?schedule=sre-primary").json()["schedules"][0]
    assert paging["on_call"] == "carol"  # the same answer paging acts on


def test_the_calendar_marks_the_override_in_words(browser: Browser) -> None:
    browser.login("rita")
    assert browser.post("/oncall/overrides", CAROL_MORNING).status_code == 303
    today = _row(browser.get("/api/v1/console/oncall").json()["calendar"])["days"][0]
    assert today["date"] == "2026-01-05"
    assert [(s["user"], s["from"], s["to"], s["source"]) for s in today["shifts"]] == [
        ("carol", "08:00", "12:00", "override"), ("erin", "12:00", "17:00", "rotation"),
        ("alice", "17:00", "24:00", "rotation")]
    html = browser.get("/oncall").text
    assert ('<li class="shift override"><span class="hours">08:00–12:00</span> Carol Chen '
            '<small>(override)</small></li>') in html


def test_form_times_are_read_in_the_schedules_time_zone(browser: Browser,
                                                        clock: FakeClock) -> None:
    clock.set(datetime(2026, 6, 1, 7, 0, tzinfo=UTC))  # a Monday; London is on BST (UTC+1)
    browser.login("rita")
    form = browser.get("/oncall").text
    assert "local times in the chosen schedule's time zone" in form
    assert "sre-primary (Europe/London)" in form
    created = browser.post("/oncall/overrides", CAROL_MORNING | {
        "start": "2026-06-01T09:00", "end": "2026-06-01T10:30"})
    assert created.status_code == 303, created.text[:600]
    [stored] = _stored_overrides(browser)
    assert (stored["start"], stored["end"]) == ("2026-06-01T08:00:00.000000Z",
                                                "2026-06-01T09:30:00.000000Z")


def test_end_before_start_is_explained_and_stores_nothing(browser: Browser) -> None:
    browser.login("rita")
    backwards = CAROL_MORNING | {"start": "2026-01-05T12:00", "end": "2026-01-05T08:00"}
    resp = browser.post("/oncall/overrides", backwards)
    assert resp.status_code == 422
    assert "Override not created: end must be after start" in resp.text
    assert 'value="2026-01-05T12:00"' in resp.text  # the form keeps what was typed
    assert _stored_overrides(browser) == []
    assert _row(browser.get("/api/v1/console/oncall").json()["now"])["user"] == "erin"


def test_unknown_users_and_unreadable_times_are_explained(browser: Browser) -> None:
    browser.login("rita")
    unknown = browser.post("/oncall/overrides", CAROL_MORNING | {"user": "zed"})
    assert unknown.status_code == 422
    assert "unknown user &#39;zed&#39;; add them under users: in the config" in unknown.text
    garbled = browser.post("/oncall/overrides", CAROL_MORNING | {"start": "soon"})
    assert garbled.status_code == 422
    assert "start: enter a date and time such as 2026-02-14T18:00" in garbled.text
    assert _stored_overrides(browser) == []


def test_an_override_form_without_the_csrf_token_is_refused(browser: Browser) -> None:
    browser.login("rita")
    refused = browser.post("/oncall/overrides", CAROL_MORNING, with_csrf=False)
    assert refused.status_code == 403
    assert "CSRF token" in refused.text
    assert _stored_overrides(browser) == []


def test_viewers_get_no_override_form_and_cannot_post_one(browser: Browser) -> None:
    browser.login("vic")
    page = browser.get("/oncall").text
    assert 'action="/oncall/overrides"' not in page
    assert "Overrides, now and to come" in page
    refused = browser.post("/oncall/overrides", CAROL_MORNING)
    assert refused.status_code == 403
    assert "requires the responder role" in refused.text
    assert _stored_overrides(browser) == []
    assert _row(browser.get("/api/v1/dashboard").json()["on_call"])["user"] == "erin"


def test_the_json_twin_lists_upcoming_overrides_from_the_config(browser: Browser) -> None:
    browser.login("vic")
    twin = browser.get("/api/v1/console/oncall").json()
    [valentine] = _row(twin["overrides"])["overrides"]
    assert (valentine["user"], valentine["created_by"], valentine["id"]) == (
        "carol", "config", None)
    assert valentine["local_start"] == "2026-02-14 18:00"
    assert _row(twin["overrides"], "sre-secondary")["overrides"] == []

"""Postmortem and action-item pages through HTTP: the template to start from, preview
without saving, revisions, the review workflow, action items on both pages, CSRF, viewers
refused, and Markdown rendered inert."""

from __future__ import annotations

import re

from warroom.web.testkit import Browser

XSS_MARKDOWN = ('# Review\n\n<script>alert("pm")</script>\n\n<img src=x onerror=alert(3)>\n\n'
                '[click](javascript:alert(4))\n')


def _declare(browser: Browser, title: str = "Checkout errors") -> str:
    resp = browser.post("/incidents", {"title": title, "severity": "P2"})
    assert resp.status_code == 303, resp.text[:300]
    return str(resp.headers["location"]).rsplit("/", 1)[1]


def _twin(html: str) -> str:
    found = re.search(r'<link rel="alternate" type="application/json" href="([^"]+)">', html)
    assert found
    return found.group(1).replace("&amp;", "&")


def _revisions(browser: Browser, ref: str) -> list[dict[str, object]]:
    resp = browser.get(f"/api/v1/incidents/{ref}/postmortem/revisions")
    assert resp.status_code == 200, resp.text
    found: list[dict[str, object]] = resp.json()["revisions"]
    return found


def test_incident_without_postmortem_offers_the_template(browser: Browser) -> None:
    browser.login("rita")
    ref = _declare(browser)
    incident = browser.get(f"/incidents/{ref}").text
    assert f'href="/incidents/{ref}/postmortem" id="postmortem-link"' in incident
    resp = browser.get(f"/incidents/{ref}/postmortem")
    assert resp.status_code == 200, resp.text[:500]
    assert 'id="no-postmortem"' in resp.text
    assert f"# Incident Post-Mortem: {ref}" in resp.text  # the template fills the editor
    assert f'href="/incidents/{ref}"' in resp.text
    assert _twin(resp.text) == f"/api/v1/incidents/{ref}/postmortem"
    assert not re.search(r"<script(?![^>]*\bsrc=)|\son[a-z]+=", resp.text)
    assert browser.post(f"/incidents/{ref}/postmortem", {"markdown": "# Review\n\nDraft one"}
                        ).status_code == 303
    assert browser.get(_twin(resp.text)).json()["revision"] == 1


def test_preview_renders_the_markdown_without_saving(browser: Browser) -> None:
    browser.login("rita")
    ref = _declare(browser)
    resp = browser.post(f"/incidents/{ref}/postmortem",
                        {"markdown": "## Root Cause\n\nA **bad** deploy", "action": "preview"})
    assert resp.status_code == 200
    assert 'id="pm-preview"' in resp.text
    assert "<strong>bad</strong>" in resp.text
    assert "A **bad** deploy</textarea>" in resp.text  # the editor keeps the text
    assert _revisions(browser, ref) == []


def test_save_creates_a_revision_and_lists_the_history(browser: Browser) -> None:
    browser.login("rita")
    ref = _declare(browser)
    page = f"/incidents/{ref}/postmortem"
    for text in ("# Review\n\nfirst", "# Review\n\nsecond"):
        resp = browser.post(page, {"markdown": text, "action": "save"})
        assert resp.status_code == 303
        assert resp.headers["location"] == f"{page}#document-h"
    revisions = _revisions(browser, ref)
    assert [(r["revision"], r["author"]) for r in revisions] == [(1, "rita"), (2, "rita")]
    html = browser.get(page).text
    assert re.findall(r'data-revision="(\d+)"', html) == ["2", "1"]
    assert "<p>second</p>" in html
    assert "2 in all" in html
    kinds = [e["kind"] for e in browser.get(f"/api/v1/incidents/{ref}/timeline")
             .json()["events"]]
    assert kinds.count("postmortem_revised") == 2


def test_status_moves_through_review_and_publishing_needs_a_commander(
        browser: Browser, second_browser: Browser) -> None:
    browser.login("rita")
    ref = _declare(browser)
    page = f"/incidents/{ref}/postmortem"
    browser.post(page, {"markdown": "# Review"})
    assert 'data-move="in_review"' in browser.get(page).text
    assert browser.post(f"{page}/status", {"status": "in_review"}).status_code == 303
    html = browser.get(page).text
    assert 'data-status="in_review"' in html
    assert 'data-move="published"' not in html  # a responder is not offered publishing
    assert "Publishing needs the commander role." in html
    refused = browser.post(f"{page}/status", {"status": "published"})
    assert refused.status_code == 403
    assert 'role="alert"' in refused.text
    second_browser.login("root")
    assert second_browser.post(f"{page}/status", {"status": "published"}).status_code == 303
    assert browser.get(f"/api/v1/incidents/{ref}/postmortem").json()["status"] == "published"
    html = browser.get(page).text
    assert 'id="pm-form"' not in html  # published is final
    late = browser.post(page, {"markdown": "# Changed after publishing"})
    assert late.status_code == 409
    assert "can no longer be edited" in late.text
    assert len(_revisions(browser, ref)) == 1


def test_an_illegal_move_shows_the_services_reason(browser: Browser) -> None:
    browser.login("root")
    ref = _declare(browser)
    page = f"/incidents/{ref}/postmortem"
    before = browser.post(f"{page}/status", {"status": "in_review"})
    assert before.status_code == 404  # no postmortem yet, said on the page
    assert "has no postmortem yet" in before.text
    browser.post(page, {"markdown": "# Review"})
    resp = browser.post(f"{page}/status", {"status": "published"})
    assert resp.status_code == 409
    assert "allowed from draft: in_review" in resp.text


def test_action_items_are_added_on_the_postmortem_page_and_updated_from_the_list(
        browser: Browser) -> None:
    browser.login("rita")
    ref = _declare(browser)
    page = f"/incidents/{ref}/postmortem"
    added = browser.post(f"/incidents/{ref}/action-items",
                         {"title": "Add a canary stage", "owner": "rita", "due": "2030-01-31",
                          "priority": "P1"})
    assert added.status_code == 303
    assert added.headers["location"] == f"{page}#items-h"
    items = browser.get(f"/api/v1/incidents/{ref}/action-items").json()["items"]
    assert [(i["title"], i["owner"], i["priority"], i["due_at"][:10]) for i in items] == [
        ("Add a canary stage", "rita", "P1", "2030-01-31")]
    item_id = items[0]["id"]
    assert f'data-item="{item_id}"' in browser.get(page).text
    listing = browser.get("/action-items?status=open&owner=rita")
    assert f'data-item="{item_id}"' in listing.text
    assert not re.search(r"<script(?![^>]*\bsrc=)|\son[a-z]+=", listing.text)
    assert _twin(listing.text) == "/api/v1/action-items?status=open&owner=rita"
    assert browser.get(_twin(listing.text)).json()["items"][0]["id"] == item_id
    updated = browser.post(f"/action-items/{item_id}", {
        "status": "in_progress", "owner": "sam", "due": "2030-02-15", "priority": "P1",
        "back": "/action-items?status=open"})
    assert updated.status_code == 303
    assert updated.headers["location"] == f"/action-items?status=open#item-{item_id}"
    item = browser.get(f"/api/v1/action-items/{item_id}").json()
    assert (item["status"], item["owner"], item["due_at"][:10]) == (
        "in_progress", "sam", "2030-02-15")
    assert f'data-item="{item_id}"' not in browser.get("/action-items?status=open").text
    assert f'data-item="{item_id}"' in browser.get("/action-items?owner=sam").text


def test_saving_a_row_keeps_a_due_time_set_through_the_api(browser: Browser) -> None:
    browser.login("rita")
    ref = _declare(browser)
    created = browser.client.post(f"/api/v1/incidents/{ref}/action-items",
                                  json={"title": "Rotate keys", "due_at": "2030-03-09T17:00:00Z"},
                                  headers={"X-CSRF-Token": browser.csrf})
    assert created.status_code == 201, created.text
    item_id = created.json()["id"]
    resp = browser.post(f"/action-items/{item_id}", {
        "status": "done", "owner": "", "due": "2030-03-09", "priority": "P2",
        "back": f"/incidents/{ref}/postmortem"})
    assert resp.status_code == 303
    item = browser.get(f"/api/v1/action-items/{item_id}").json()
    assert (item["status"], item["due_at"][:16]) == ("done", "2030-03-09T17:00")


def test_a_refused_item_update_shows_the_reason_on_the_page_it_came_from(
        browser: Browser) -> None:
    browser.login("rita")
    ref = _declare(browser)
    browser.post(f"/incidents/{ref}/action-items", {"title": "Write the alert"})
    item_id = browser.get("/api/v1/action-items").json()["items"][0]["id"]
    resp = browser.post(f"/action-items/{item_id}", {
        "status": "open", "owner": "", "due": "next week", "priority": "P2",
        "back": f"/incidents/{ref}/postmortem"})
    assert resp.status_code == 422
    assert "is not a date" in resp.text and 'id="pm-form"' in resp.text
    empty = browser.post(f"/incidents/{ref}/action-items", {"title": " ", "owner": "sam"})
    assert empty.status_code == 422
    assert "needs a title" in empty.text
    assert 'name="owner" list="owners" value="sam"' in empty.text


def test_items_from_the_postmortems_action_items_list(browser: Browser) -> None:
    browser.login("rita")
    ref = _declare(browser)
    browser.post(f"/incidents/{ref}/postmortem", {"markdown": (
        "# Review\n\n## Action Items\n- [ ] Add alert on 5xx (owner: sam, priority: P1)\n")})
    resp = browser.post(f"/incidents/{ref}/action-items/from-postmortem")
    assert resp.status_code == 303
    items = browser.get(f"/api/v1/incidents/{ref}/action-items").json()["items"]
    assert [(i["title"], i["owner"], i["source"]) for i in items] == [
        ("Add alert on 5xx", "sam", "postmortem")]


def test_forms_without_a_csrf_token_are_refused_and_change_nothing(browser: Browser) -> None:
    browser.login("rita")
    ref = _declare(browser)
    page = f"/incidents/{ref}/postmortem"
    assert browser.post(page, {"markdown": "# forged"}, with_csrf=False).status_code == 403
    assert browser.post(f"/incidents/{ref}/action-items", {"title": "forged"},
                        with_csrf=False).status_code == 403
    assert _revisions(browser, ref) == []
    browser.post(f"/incidents/{ref}/action-items", {"title": "real"})
    item_id = browser.get("/api/v1/action-items").json()["items"][0]["id"]
    assert browser.post(f"/action-items/{item_id}", {"status": "done"},
                        with_csrf=False).status_code == 403
    assert browser.post(f"{page}/status", {"status": "in_review"},
                        with_csrf=False).status_code == 403
    assert browser.get(f"/api/v1/action-items/{item_id}").json()["status"] == "open"


def test_a_viewer_reads_but_gets_no_forms_and_posting_anyway_is_refused(
        browser: Browser, second_browser: Browser) -> None:
    browser.login("rita")
    ref = _declare(browser)
    page = f"/incidents/{ref}/postmortem"
    browser.post(page, {"markdown": "# Review\n\nwritten by rita"})
    browser.post(f"/incidents/{ref}/action-items", {"title": "Fix the probe"})
    item_id = browser.get("/api/v1/action-items").json()["items"][0]["id"]
    second_browser.login("vic")
    html = second_browser.get(page).text
    assert "written by rita" in html
    assert 'id="pm-form"' not in html and 'id="item-form"' not in html
    assert 'action="/action-items/' not in second_browser.get("/action-items").text
    saved = second_browser.post(page, {"markdown": "# vandalised"})
    assert saved.status_code == 403
    assert "responder" in saved.text
    assert second_browser.post(f"/incidents/{ref}/action-items",
                               {"title": "by vic"}).status_code == 403
    assert second_browser.post(f"/action-items/{item_id}", {"status": "wontfix"}
                               ).status_code == 403
    assert len(_revisions(browser, ref)) == 1
    items = browser.get("/api/v1/action-items").json()["items"]
    assert [(i["title"], i["status"]) for i in items] == [("Fix the probe", "open")]


def test_markdown_with_html_and_script_links_renders_inert(browser: Browser) -> None:
    browser.login("rita")
    ref = _declare(browser)
    page = f"/incidents/{ref}/postmortem"
    browser.post(page, {"markdown": XSS_MARKDOWN})
    preview = browser.post(page, {"markdown": XSS_MARKDOWN, "action": "preview"}).text
    for html in (browser.get(page).text, preview):
        assert '<script>alert("pm")' not in html and "<img src=x" not in html
        assert 'href="javascript:' not in html
        assert "&lt;script&gt;alert(&quot;pm&quot;)&lt;/script&gt;" in html
        assert "&lt;img src=x onerror=alert(3)&gt;" in html

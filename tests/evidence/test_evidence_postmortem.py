"""Postmortem drafts follow the teams' template; HTML export never passes raw HTML through."""

from __future__ import annotations

from datetime import timedelta

from warroom.clock import FakeClock
from warroom.domain.events import Event
from warroom.evidence.postmortem import (
    draft_postmortem,
    key_events,
    render_html,
    render_html_page,
)
from warroom.testing.evidence_story import Story

Scripted = tuple[FakeClock, list[Event], dict[str, bytes]]


def test_timeline_lists_the_key_events_at_their_times(story: Scripted) -> None:
    _, events, _ = story
    draft = draft_postmortem({}, events)
    timeline = draft.split("## Timeline\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert timeline == [
        "- 09:00 UTC - Incident declared — P0 by system (+2m)",
        "- 09:00 UTC - First alert — CheckoutDown: 5xx rate 100% (+2m)",
        "- 09:03 UTC - Acknowledged — by alice (+5m)",
        "- 09:15 UTC - Root cause identified — by bob (+17m)",
        "- 09:19 UTC - Mitigation applied — Roll back checkout deploy by bob (+21m)",
        "- 09:40 UTC - Resolved — by alice (+42m)",
    ]


def test_draft_has_every_section_of_the_template(story: Scripted) -> None:
    _, events, _ = story
    draft = draft_postmortem({"title": "Checkout outage"}, events)
    assert draft.startswith("# Incident Post-Mortem: INC-2026-0042 — Checkout outage\n")
    headings = [line for line in draft.splitlines() if line.startswith("#")]
    assert headings == [
        "# Incident Post-Mortem: INC-2026-0042 — Checkout outage", "## Summary",
        "## Timeline", "## Root Cause", "## Resolution", "## Lessons Learned",
        "### What went well", "### What went poorly", "### Where we got lucky",
        "## Action Items", "## Notes from the timeline"]
    for line in ("- **Date**: 2026-03-02", "- **Duration**: 42m",
                 "- **Impact**: Checkout failed for 21 minutes; 1,200 users affected",
                 "- **Severity**: P0", "- **Incident commander**: alice",
                 "Rolled back deploy 4f2a; error rate normal",
                 "- 09:19 UTC - mitigate: Roll back checkout deploy "
                 "(`kubectl rollout undo deploy/checkout`) by bob: succeeded"):
        assert line in draft.splitlines()


def test_action_items_are_listed_with_owner_due_and_priority(story: Scripted) -> None:
    _, events, _ = story
    draft = draft_postmortem({}, events, action_items=[
        {"title": "Alert on deploy error rate", "owner": "bob", "due": "2026-03-09",
         "priority": "high"},
        {"title": "Add canary", "status": "done"}])
    assert "- [ ] Alert on deploy error rate (owner: bob, due: 2026-03-09, priority: high)" \
        in draft
    assert "- [x] Add canary" in draft


def test_mitigation_by_status_and_a_reopen_are_read_correctly() -> None:
    clock = FakeClock()
    s = Story(clock, chain="c2")
    s.emit("sys", "declared", human_id="INC-2", title="t", severity="P1")
    clock.advance(60)
    s.emit("ann", "status_changed", **{"from": "triggered", "to": "monitoring"})
    clock.advance(60)
    s.emit("ann", "resolved", summary="first try")
    clock.advance(60)
    s.emit("ann", "reopened")
    clock.advance(600)
    final = s.emit("ann", "resolved", summary="for real")
    marks = {k.label: k for k in key_events(s.events)}
    assert marks["Mitigation applied"].detail == "status set to monitoring by ann"
    assert marks["Resolved"].at == final.at
    assert "- **Duration**: 13m" in draft_postmortem({}, s.events)


def test_unresolved_incident_reads_as_ongoing() -> None:
    clock = FakeClock()
    s = Story(clock)
    s.emit("sys", "declared", human_id="INC-3", title="t", severity="P2")
    clock.advance(timedelta(days=1, minutes=5))
    s.emit("ann", "acknowledged")
    draft = draft_postmortem({}, s.events)
    assert "- **Duration**: ongoing — not resolved yet" in draft
    assert "- 2026-01-06 09:05 UTC - Acknowledged — by ann (+1d 5m)" in draft


def test_html_escapes_raw_html_and_drops_script_links() -> None:
    html = render_html("# Title\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1))\n\n"
                       "| a | b |\n|---|---|\n| 1 | 2 |\n")
    assert "<h1>Title</h1>" in html
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert 'href="javascript' not in html
    assert "<table>" in html


def test_html_page_escapes_the_title() -> None:
    page = render_html_page("body", "<b>INC</b>")
    assert "<title>&lt;b&gt;INC&lt;/b&gt;</title>" in page
    assert page.startswith("<!doctype html>")

"""Nothing is public until someone publishes it: an incident declared from an alert stays off
the status page, its JSON, its Atom feed and the public webhook until a commander publishes
it with a public title, components and impact; a service may opt in to auto-publishing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from warroom.clock import FakeClock
from warroom.testing.paging import ALERTMANAGER_KEY, PagingRig, alertmanager_payload, paging_rig

PUBLIC_PATHS = ("/status", "/status/feed.atom", "/status/api/v2/summary.json",
                "/status/api/v2/incidents.json", "/status/api/v2/incidents/unresolved.json",
                "/status/api/v2/components.json", "/status/api/v2/status.json")
PUBLIC_SERVICE = {"name": "api", "team": "sre", "public": True, "component_name": "API"}


def _public_extra(**service: Any) -> dict[str, Any]:
    """Service api on the status page, and a webhook carrying public updates."""
    return {"services": [{**PUBLIC_SERVICE, **service}],
            "channels": {"public-hook": {"type": "webhook", "url": "{http_url}/public-hook",
                                         "audiences": ["public"]}}}


@pytest.fixture
def rig(db_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[PagingRig]:
    with paging_rig(db_url, tmp_path, clock, extra=_public_extra()) as found:
        yield found


def _alert_incident(rig: PagingRig) -> str:
    resp = rig.client.post(f"/api/v1/intake/alertmanager/{ALERTMANAGER_KEY}",
                           json=alertmanager_payload())
    assert resp.status_code in (200, 202), resp.text
    items = rig.get("/api/v1/incidents", who="admin").json()["items"]
    [incident] = items
    ref: str = incident["human_id"]
    return ref


def _public_text(rig: PagingRig) -> str:
    texts = []
    for path in PUBLIC_PATHS:
        resp = rig.client.get(path)
        assert resp.status_code == 200, (path, resp.text)
        texts.append(resp.text)
    return "\n".join(texts)


def test_an_alert_declared_incident_is_public_only_after_a_commander_publishes_it(
        rig: PagingRig) -> None:
    ref = _alert_incident(rig)
    internal_title = rig.get(f"/api/v1/incidents/{ref}").json()["title"]
    rig.run()
    text = _public_text(rig)
    assert ref not in text and internal_title not in text and "API is down" not in text
    summary = rig.client.get("/status/api/v2/summary.json").json()
    assert summary["incidents"] == [] and summary["status"]["indicator"] == "none"
    assert [c["status"] for c in summary["components"]] == ["operational"]
    assert rig.client.get(f"/status/incidents/{ref}").status_code == 404

    refused = rig.post(f"/api/v1/incidents/{ref}/updates",
                       {"audience": "public", "body": "We are looking into it"})
    assert refused.status_code == 422 and "not published" in refused.json()["detail"]
    forbidden = rig.post(f"/api/v1/incidents/{ref}/publish", {
        "title": "Degraded API", "components": {"api": "partial_outage"}, "impact": "major"})
    assert forbidden.status_code == 403  # a responder may not publish
    rig.run()
    assert rig.paths("/public-hook") == []
    assert "published" not in rig.kinds(ref)

    done = rig.post(f"/api/v1/incidents/{ref}/publish", {
        "title": "Degraded API", "components": {"api": "partial_outage"}, "impact": "major",
        "body": "Some API requests fail; we are on it."}, who="commander")
    assert done.status_code == 200, done.text
    assert done.json()["publication"]["published_by"] == "commander"
    summary = rig.client.get("/status/api/v2/summary.json").json()
    [incident] = summary["incidents"]
    assert (incident["id"], incident["name"], incident["impact"]) == (
        ref, "Degraded API", "major")
    assert incident["incident_updates"][0]["body"] == "Some API requests fail; we are on it."
    assert [c["status"] for c in summary["components"]] == ["partial_outage"]
    assert internal_title not in _public_text(rig)

    posted = rig.post(f"/api/v1/incidents/{ref}/updates",
                      {"audience": "public", "body": "Rolled back; recovering."})
    assert posted.status_code == 201, posted.text
    rig.run()
    [delivered] = [r.json() for r in rig.paths("/public-hook")]
    assert "Rolled back; recovering." in delivered["body"]


def test_restricted_incidents_get_no_public_update(rig: PagingRig) -> None:
    ref = rig.declare(type="security")
    refused = rig.post(f"/api/v1/incidents/{ref}/updates",
                       {"audience": "public", "body": "hello world"})
    assert refused.status_code == 422 and "restricted" in refused.json()["detail"]
    rig.run()
    assert rig.paths("/public-hook") == []


def test_a_service_may_auto_publish_at_chosen_severities(
        db_url: str, tmp_path: Path, clock: FakeClock) -> None:
    extra = _public_extra(auto_publish=["P0"], public_title="{component} outage")
    with paging_rig(db_url, tmp_path, clock, extra=extra) as rig:
        ref = _alert_incident(rig)  # severity critical -> P0
        published = rig.events(ref, "published")
        assert [e["actor"] for e in published] == ["warroom:auto-publish"]
        [incident] = rig.client.get("/status/api/v2/incidents.json").json()["incidents"]
        assert (incident["id"], incident["name"], incident["impact"]) == (
            ref, "API outage", "critical")
        quiet = rig.declare(severity="P2")  # below the chosen severities
        assert rig.events(quiet, "published") == []
        assert quiet not in rig.client.get("/status/api/v2/incidents.json").text

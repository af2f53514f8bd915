"""The public status page over HTTP: no login, Statuspage v2 JSON with exact field lists and
enums, the Atom feed, and nothing restricted, internal or drilled ever shown."""

from __future__ import annotations

from datetime import timedelta
from xml.etree import ElementTree

import pytest
from fastapi.testclient import TestClient

from warroom.clock import FakeClock
from warroom.runtime import Runtime
from warroom.testing.status import DOCUMENTS, declare, doc, publish, published


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_every_document_matches_statuspage_fields_without_login(
        status_client: TestClient, rita: dict[str, str], name: str) -> None:
    published(status_client, rita, title="Checkout errors", severity="P1", services=["web"])
    body = doc(status_client, name)
    assert body["page"]["name"] == "Acme status"
    assert body["page"]["url"] == "https://status.acme.test/status"
    assert body["page"]["time_zone"] == "Europe/Berlin"


def test_component_status_follows_the_most_severe_open_incident(
        status_client: TestClient, rita: dict[str, str], status_runtime: Runtime) -> None:
    quiet = doc(status_client, "summary")
    assert quiet["status"] == {"indicator": "maintenance",
                               "description": "Service Under Maintenance"}
    assert [(c["name"], c["status"]) for c in quiet["components"]] == [
        ("Website", "under_maintenance"), ("API", "operational")]  # CDN swap until 10:00
    clock = status_runtime.clock
    assert isinstance(clock, FakeClock)
    clock.advance(timedelta(hours=2))
    p2 = published(status_client, rita, title="Slow pages", severity="P2", services=["web"])
    p0 = published(status_client, rita, title="API down", severity="P0", services=["api"])
    summary = doc(status_client, "summary")
    assert {c["name"]: c["status"] for c in summary["components"]} == {
        "Website": "degraded_performance", "API": "major_outage"}
    assert summary["status"] == {"indicator": "critical", "description": "Major System Outage"}
    assert {i["id"]: i["impact"] for i in summary["incidents"]} == {
        p2["human_id"]: "minor", p0["human_id"]: "critical"}
    status_client.post(f"/api/v1/incidents/{p0['human_id']}/severity", headers=rita,
                       json={"severity": "P1"})  # internal: the public page does not move
    assert {c["name"]: c["status"] for c in doc(status_client, "components")["components"]}[
        "API"] == "major_outage"
    publish(status_client, rita, p0["human_id"], "API down", {"api": "partial_outage"},
            "major", "Most requests succeed again")
    assert {c["name"]: c["status"] for c in doc(status_client, "components")["components"]}[
        "API"] == "partial_outage"
    status_client.post(f"/api/v1/incidents/{p0['human_id']}/resolve", headers=rita, json={})
    after = doc(status_client, "summary")
    assert {c["name"]: c["status"] for c in after["components"]}["API"] == "operational"
    assert [i["id"] for i in after["incidents"]] == [p2["human_id"]]
    history = doc(status_client, "incidents")["incidents"]
    resolved = next(i for i in history if i["id"] == p0["human_id"])
    assert resolved["status"] == "resolved" and resolved["resolved_at"]
    assert [(u["status"], [(c["old_status"], c["new_status"]) for c in u[
        "affected_components"]]) for u in resolved["incident_updates"]] == [
        ("resolved", [("partial_outage", "operational")]),
        ("investigating", [("major_outage", "partial_outage")]),
        ("investigating", [("operational", "major_outage")])]


def test_internal_text_never_reaches_the_public_page(
        status_client: TestClient, rita: dict[str, str]) -> None:
    incident = published(status_client, rita, title="Login errors", severity="P1",
                       services=["web"], impact="internal: customer ACME-42 hit")
    ref = incident["human_id"]
    status_client.post(f"/api/v1/incidents/{ref}/notes", headers=rita,
                       json={"text": "root password rotated by bob"})
    status_client.post(f"/api/v1/incidents/{ref}/status", headers=rita,
                       json={"status": "identified", "note": "bad deploy 7f3a"})
    status_client.post(f"/api/v1/incidents/{ref}/resolve", headers=rita,
                       json={"summary": "reverted 7f3a"})
    pages = [status_client.get(p).text for p in (
        "/status", f"/status/incidents/{ref}", "/status/feed.atom",
        "/status/api/v2/summary.json", "/status/api/v2/incidents.json")]
    for text in pages:
        for secret in ("root password", "7f3a", "ACME-42", "bob"):
            assert secret not in text
    assert "The cause has been identified" in pages[1]


def test_restricted_drill_and_private_service_incidents_never_appear(
        status_client: TestClient, rita: dict[str, str], sam: dict[str, str]) -> None:
    declare(status_client, sam, title="Breach suspected", severity="P0", type="security",
            services=["web"])
    drill = declare(status_client, rita, title="Quarterly drill", severity="P0",
                    services=["web"], drill=True)
    billing = declare(status_client, rita, title="Billing batch late", severity="P0",
                      services=["billing"])
    hidden = published(status_client, rita, title="Turned restricted", severity="P1",
                       services=["api"])
    status_client.post(f"/api/v1/incidents/{hidden['human_id']}/type", headers=rita,
                       json={"type": "security"})
    for incident, component, reason in ((drill, "web", "drills are never published"),
                                        (billing, "billing", "not a status page component"),
                                        (hidden, "api", "restricted incidents are never")):
        refused = status_client.post(
            f"/api/v1/incidents/{incident['human_id']}/publish", headers=rita, json={
                "title": "Public", "components": {component: "major_outage"},
                "impact": "major"})
        assert refused.status_code == 422 and reason in refused.json()["detail"]
    for path in ("/status", "/status/feed.atom", *(f"/status/api/v2/{n}.json"
                                                   for n in DOCUMENTS)):
        text = status_client.get(path).text
        for title in ("Breach", "drill", "Billing", "Turned restricted", "billing"):
            assert title not in text, (path, title)
    assert status_client.get(f"/status/incidents/{hidden['human_id']}").status_code == 404
    summary = doc(status_client, "summary")
    assert summary["status"]["indicator"] == "maintenance"  # the CDN swap, nothing else


def test_scheduled_maintenance_from_config(status_client: TestClient) -> None:
    everything = doc(status_client, "scheduled-maintenances")["scheduled_maintenances"]
    assert [(m["name"], m["status"]) for m in everything] == [
        ("CDN swap", "in_progress"), ("DB upgrade", "scheduled")]
    upgrade = everything[1]
    assert [c["name"] for c in upgrade["components"]] == ["Website", "API"]
    assert upgrade["scheduled_for"] == "2026-01-10T02:00:00.000000Z"
    assert [m["name"] for m in doc(status_client, "scheduled-maintenances/active")[
        "scheduled_maintenances"]] == ["CDN swap"]
    assert [m["name"] for m in doc(status_client, "scheduled-maintenances/upcoming")[
        "scheduled_maintenances"]] == ["DB upgrade"]
    html = status_client.get("/status").text
    assert "CDN swap" in html and "In progress" in html


def test_status_page_html_shows_components_bars_and_escapes_titles(
        status_client: TestClient, rita: dict[str, str]) -> None:
    published(status_client, rita, title="<script>alert(1)</script> outage", severity="P1",
            services=["api"])
    resp = status_client.get("/status")
    assert resp.status_code == 200
    html = resp.text
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    assert html.count('class="bar ') == 180  # 90 days × 2 public components
    assert "Partial System Outage" in html
    assert "<script" not in html  # the public page needs no JavaScript at all


def test_atom_feed_lists_public_updates(status_client: TestClient,
                                        rita: dict[str, str]) -> None:
    incident = published(status_client, rita, title="Search degraded", severity="P2",
                       services=["web"])
    status_client.post(f"/api/v1/incidents/{incident['human_id']}/resolve", headers=rita,
                       json={})
    resp = status_client.get("/status/feed.atom")
    assert resp.headers["content-type"].startswith("application/atom+xml")
    ns = {"a": "http://www.w3.org/2005/Atom"}
    root = ElementTree.fromstring(resp.content)
    titles = [e.findtext("a:title", namespaces=ns) for e in root.findall("a:entry", ns)]
    assert titles == ["Search degraded: resolved", "Search degraded: investigating"]

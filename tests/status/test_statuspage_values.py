"""Statuspage v2 values are true, not just well-formed: each timestamp and status change in
the JSON is checked against the incident's events and the stamps stored in the database."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from warroom.clock import FakeClock, parse_instant
from warroom.runtime import Runtime
from warroom.store import db
from warroom.store.publications import first_seen
from warroom.testing.status import declare, doc, publish


def _at(value: str) -> datetime:
    return parse_instant(value)


def _events(client: TestClient, headers: dict[str, str], ref: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = client.get(f"/api/v1/incidents/{ref}/timeline",
                                              headers=headers).json()["events"]
    return events


def _component(client: TestClient, name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in doc(client, "components")["components"]
                                 if c["id"] == name)
    return found


def test_statuspage_values_match_the_database_history(
        status_client: TestClient, status_runtime: Runtime, rita: dict[str, str]) -> None:
    clock = status_runtime.clock
    assert isinstance(clock, FakeClock)
    with db.read(status_runtime.engine) as conn:
        stamps = first_seen(conn, ["component:web", "component:api"])
    first = {c["id"]: c for c in doc(status_client, "components")["components"]}
    for name in ("web", "api"):
        assert _at(first[name]["created_at"]) == stamps[f"component:{name}"]
    # Nothing has changed since the components appeared (the CDN swap began before that).
    assert _at(first["api"]["updated_at"]) == stamps["component:api"]

    clock.advance(timedelta(hours=2))  # 11:00: the CDN swap ended at 10:00
    web = _component(status_client, "web")
    assert web["created_at"] == first["web"]["created_at"]  # it does not move
    assert _at(web["updated_at"]) == datetime.fromisoformat("2026-01-05T10:00:00+00:00")

    ref = declare(status_client, rita, title="db-7 pool exhausted", severity="P1",
                  services=["api"])["human_id"]
    clock.advance(timedelta(minutes=3))
    assert _component(status_client, "api")["status"] == "operational"  # not published
    publish(status_client, rita, ref, "API errors", {"api": "partial_outage"}, "major")
    [published] = [e for e in _events(status_client, rita, ref) if e["kind"] == "published"]
    api = _component(status_client, "api")
    assert (api["status"], _at(api["updated_at"])) == ("partial_outage",
                                                         _at(published["at"]))
    assert api["created_at"] == first["api"]["created_at"]

    clock.advance(timedelta(minutes=5))
    posted = status_client.post(f"/api/v1/incidents/{ref}/updates", headers=rita, json={
        "audience": "public", "status": "monitoring", "body": "A fix is deployed."})
    assert posted.status_code == 201, posted.text
    history = _events(status_client, rita, ref)
    moved = next(e for e in history if e["kind"] == "status_changed")
    clock.advance(timedelta(minutes=5))
    assert status_client.post(f"/api/v1/incidents/{ref}/resolve", headers=rita,
                              json={"summary": "pool resized"}).status_code == 200
    resolved = next(e for e in _events(status_client, rita, ref) if e["kind"] == "resolved")

    [incident] = doc(status_client, "incidents")["incidents"]
    updates = incident["incident_updates"]
    # One public update with a status change is one update, at the change's instant.
    assert [(u["status"], _at(u["created_at"])) for u in updates] == [
        ("resolved", _at(resolved["at"])), ("monitoring", _at(moved["at"])),
        ("investigating", _at(published["at"]))]
    assert updates[1]["body"] == "A fix is deployed."
    assert [[(c["code"], c["old_status"], c["new_status"]) for c in u["affected_components"]]
            for u in updates] == [[("api", "partial_outage", "operational")], [],
                                  [("api", "operational", "partial_outage")]]
    for u in updates:
        assert all(c["old_status"] != c["new_status"] for c in u["affected_components"])
    assert _at(incident["created_at"]) == _at(published["at"])
    assert _at(incident["monitoring_at"]) == _at(moved["at"])
    assert _at(incident["resolved_at"]) == _at(resolved["at"])

    api = _component(status_client, "api")
    assert (api["status"], _at(api["updated_at"])) == ("operational", _at(resolved["at"]))
    page = doc(status_client, "status")["page"]
    assert _at(page["updated_at"]) == _at(resolved["at"])  # the last change, not the window
    footer = _at(resolved["at"]).isoformat()
    assert f'Updated <time datetime="{footer}">' in status_client.get("/status").text


def test_maintenance_values_come_from_when_it_was_first_shown(
        status_client: TestClient, status_runtime: Runtime) -> None:
    clock = status_runtime.clock
    assert isinstance(clock, FakeClock)
    quiet = doc(status_client, "summary")
    assert quiet["status"]["indicator"] == "maintenance"  # the CDN swap, 08:00-10:00
    maintenances = doc(status_client, "scheduled-maintenances")["scheduled_maintenances"]
    upgrade = next(m for m in maintenances if m["name"] == "DB upgrade")
    with db.read(status_runtime.engine) as conn:
        stamp = first_seen(conn, [f"maintenance:{upgrade['id']}"])[
            f"maintenance:{upgrade['id']}"]
    assert _at(upgrade["created_at"]) == stamp != _at(upgrade["scheduled_for"])
    assert [u["status"] for u in upgrade["incident_updates"]] == ["scheduled"]
    clock.advance(timedelta(days=5))  # 2026-01-10 09:00: the upgrade is over
    done = next(m for m in doc(status_client, "scheduled-maintenances")[
        "scheduled_maintenances"] if m["name"] == "DB upgrade")
    assert _at(done["created_at"]) == stamp
    assert [(u["status"], _at(u["created_at"])) for u in done["incident_updates"]] == [
        ("completed", _at(done["scheduled_until"])),
        ("in_progress", _at(done["scheduled_for"])), ("scheduled", stamp)]
    assert _at(done["updated_at"]) == _at(done["scheduled_until"])
    assert doc(status_client, "status")["status"]["indicator"] == "none"

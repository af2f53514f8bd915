"""Live updates over Server-Sent Events from a real server: per-caller visibility,
per-incident streams, and slow clients told to resync."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from warroom.domain import incident as dom
from warroom.runtime import Runtime
from warroom.services.principal import Principal
from warroom.testing.live import frames, serving
from warroom.web.broadcast import QUEUE_LIMIT, RESYNC, live_broadcaster
from warroom.web.testkit import token_for


def test_stream_delivers_commits_only_to_those_who_may_see_them(org_runtime: Runtime) -> None:
    rita, sam = token_for(org_runtime, "rita"), token_for(org_runtime, "sam")
    with serving(org_runtime) as url, httpx.Client(base_url=url, timeout=10) as api, \
            api.stream("GET", "/api/v1/live", headers=rita) as rita_stream, \
            api.stream("GET", "/api/v1/live", headers=sam) as sam_stream:
        assert rita_stream.headers["content-type"].startswith("text/event-stream")
        rita_frames, sam_frames = frames(rita_stream), frames(sam_stream)
        assert next(rita_frames) == ("ready", {"user": "rita"})
        assert next(sam_frames) == ("ready", {"user": "sam"})
        secret = api.post("/api/v1/incidents", headers=sam, json={
            "title": "Token leak", "severity": "P0", "type": "security"}).json()
        public = api.post("/api/v1/incidents", headers=rita, json={
            "title": "API slow", "severity": "P2"}).json()
        kind, first = next(rita_frames)
        assert kind == "incident"
        assert first["incident"]["human_id"] == public["incident"]["human_id"]
        assert [e["kind"] for e in first["events"]] == ["declared"]
        seen_by_sam = [next(sam_frames)[1]["incident"]["title"] for _ in range(2)]
        assert seen_by_sam == ["Token leak", "API slow"]
        assert secret["incident"]["visibility"] == "restricted"


def test_incident_stream_carries_only_that_incident(org_runtime: Runtime) -> None:
    rita = token_for(org_runtime, "rita")
    with serving(org_runtime) as url, httpx.Client(base_url=url, timeout=10) as api:
        one = api.post("/api/v1/incidents", headers=rita,
                       json={"title": "One", "severity": "P2"}).json()["incident"]
        two = api.post("/api/v1/incidents", headers=rita,
                       json={"title": "Two", "severity": "P2"}).json()["incident"]
        with api.stream("GET", f"/api/v1/live?incident={one['human_id']}",
                        headers=rita) as stream:
            got = frames(stream)
            assert next(got)[0] == "ready"
            api.post(f"/api/v1/incidents/{two['human_id']}/notes", headers=rita,
                     json={"text": "elsewhere"})
            api.post(f"/api/v1/incidents/{one['human_id']}/notes", headers=rita,
                     json={"text": "here"})
            kind, data = next(got)
            assert kind == "incident" and data["events"][0]["data"]["text"] == "here"


def test_stream_needs_a_caller_and_a_visible_incident(org_runtime: Runtime) -> None:
    with serving(org_runtime) as url, httpx.Client(base_url=url, timeout=10) as api:
        assert api.get("/api/v1/live").status_code == 401
        secret = api.post("/api/v1/incidents", headers=token_for(org_runtime, "sam"), json={
            "title": "Hidden", "severity": "P1", "type": "security"}).json()["incident"]
        probe = api.get(f"/api/v1/live?incident={secret['human_id']}",
                        headers=token_for(org_runtime, "rita"))
        assert probe.status_code == 404


def test_a_client_that_falls_behind_is_told_to_resync(org_runtime: Runtime) -> None:
    broadcaster = live_broadcaster(org_runtime)
    service = broadcaster.visibility

    async def scenario() -> list[str]:
        sub = broadcaster.subscribe(Principal("rita", "responder"))
        stream = broadcaster.stream(sub)
        assert (await anext(stream)).startswith("retry:")
        state = service.declare(Principal("rita", "responder"),
                                dom.Declare("Flood", "P3")).incident
        for _ in range(QUEUE_LIMIT + 5):
            service.execute(Principal("rita", "responder"), state.id, dom.AddNote("x"))
        await asyncio.sleep(0)  # let the loop run the deliveries scheduled from this thread
        received = [await anext(stream)]
        # After the resync the client is fed live again, starting with the next commit.
        service.execute(Principal("rita", "responder"), state.id, dom.AddNote("after"))
        received.append(await anext(stream))
        await stream.aclose()  # type: ignore[attr-defined]
        assert broadcaster.count == 0
        return received

    received = asyncio.run(scenario())
    assert received[0] == RESYNC
    assert received[1].startswith("event: incident") and '"text":"after"' in received[1]


def test_heartbeat_comments_keep_idle_streams_open(org_runtime: Runtime) -> None:
    broadcaster = live_broadcaster(org_runtime)
    broadcaster.heartbeat = 0.01

    async def scenario() -> str:
        stream = broadcaster.stream(broadcaster.subscribe(Principal("vic", "viewer")))
        await anext(stream)
        beat = await anext(stream)
        await stream.aclose()  # type: ignore[attr-defined]
        return beat

    assert asyncio.run(scenario()) == ": heartbeat\n\n"


@pytest.mark.parametrize("path", ["/", "/incidents"])
def test_live_pages_load_the_live_script(path: str, org_runtime: Runtime) -> None:
    with serving(org_runtime) as url, httpx.Client(base_url=url) as client:
        html = client.get(path, headers=token_for(org_runtime, "vic")).text
        assert '<script src="/static/live.js" defer></script>' in html
        assert "data-live-region" in html
        js = client.get("/static/live.js")
        assert js.status_code == 200 and "EventSource" in js.text

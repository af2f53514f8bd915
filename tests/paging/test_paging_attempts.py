"""Every delivery attempt of a page is recorded: one row per attempt in the API, and a
summary on the incident's timeline (the first failure and the final outcome)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from warroom.clock import FakeClock
from warroom.testing.paging import paging_rig, slack_like
from warroom.testing.receivers import ReceivedRequest, ScriptedResponse
from warroom.web.timeline import describe


def test_every_attempt_is_a_row_and_the_timeline_summarises_them(
        db_url: str, tmp_path: Path, clock: FakeClock) -> None:
    with paging_rig(db_url, tmp_path, clock) as rig:
        refusals = 3

        def flaky_pager(request: ReceivedRequest) -> ScriptedResponse:
            nonlocal refusals
            if request.path == "/pager" and refusals:
                refusals -= 1
                return ScriptedResponse(503, b"busy")
            return slack_like(request)

        rig.hooks.responder = flaky_pager
        ref = rig.declare()
        rig.run()
        for _ in range(20):
            rig.clock.advance(timedelta(minutes=1))
            rig.run()
        [row] = [r for r in rig.get("/api/v1/notifications", who="admin").json()["items"]
                 if r["channel"] == "pager" and r["kind"] == "page"]
        assert rig.get(f"/api/v1/notifications/{row['id']}/attempts",
                       who="commander").status_code == 403
        attempts = rig.get(f"/api/v1/notifications/{row['id']}/attempts",
                           who="admin").json()["items"]
        assert [(a["attempt"], a["status"], a["outcome"]) for a in attempts] == [
            (1, "503", "retry"), (2, "503", "retry"), (3, "503", "retry"),
            (4, "200", "sent")]
        assert rig.get("/api/v1/notifications/999999/attempts",
                       who="admin").status_code == 404
        [failed] = [e for e in rig.events(ref, "notification_failed")
                    if e["data"]["idempotency_key"] == row["idempotency_key"]]
        [sent] = [e for e in rig.events(ref, "notification_sent")
                  if e["data"]["idempotency_key"] == row["idempotency_key"]]
        assert (failed["data"]["attempt"], sent["data"]["attempt"]) == (1, 4)
        assert describe("notification_sent", sent["data"]).endswith("via pager on attempt 4")

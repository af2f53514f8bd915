"""Bench: alert in, first page out. An Alertmanager alert is posted to a running `warroom
serve`, and the clock runs until the on-call's page arrives at a local webhook receiver.

Budget (DESIGN.md): p99 under 1 s. Prints p50/p90/p99/max over `--runs` alerts (each a new
incident), sent one after another.
Run: .venv/bin/python bench/notify_latency.py [--runs 200] [--database-url URL]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from functools import partial
from pathlib import Path

import httpx

from warroom.testing.paging import ALERTMANAGER_KEY, alertmanager_payload, write_paging_config
from warroom.testing.receivers import HttpReceiver, ReceivedRequest, ScriptedResponse
from warroom.testing.server import Server


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _arrived(arrived: dict[str, float], wanted: str) -> bool:
    return any(wanted in subject for subject in arrived)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--database-url", default="", help="default: SQLite in a temp dir")
    args = parser.parse_args()

    arrived: dict[str, float] = {}
    changed = threading.Condition()

    def record(request: ReceivedRequest) -> ScriptedResponse:
        if request.path == "/pager":
            subject = request.json()["subject"]
            with changed:
                arrived.setdefault(subject, time.perf_counter())
                changed.notify_all()
        if request.path.endswith("/conversations.create"):
            return ScriptedResponse(200, {"ok": True, "channel": {"id": "C1", "name": "x"}})
        return ScriptedResponse(200, b"ok")

    with tempfile.TemporaryDirectory() as tmp, HttpReceiver(responder=record) as hooks:
        workdir = Path(tmp)
        # No SMTP here: the page that is timed is the webhook one; email goes to a closed port
        # and is retried in the background, as a real outage of the mail relay would be.
        config = write_paging_config(workdir / "org", hooks.url, 9, slack_bot=False)
        env = {"WARROOM_CONFIG": str(config), "WARROOM_LOG_LEVEL": "warning"}
        if args.database_url:
            env["WARROOM_DATABASE_URL"] = args.database_url
        server = Server(workdir, env)
        server.start()
        latencies: list[float] = []
        try:
            with httpx.Client(base_url=server.url, timeout=10) as client:
                for i in range(args.runs):
                    payload = alertmanager_payload(alertname=f"BenchAlert{i}",
                                                   fingerprint=f"{i:016x}")
                    summary = f"bench alert {i}"
                    payload["commonAnnotations"] = {"summary": summary}
                    payload["alerts"][0]["annotations"] = {"summary": summary}  # type: ignore[index]
                    started = time.perf_counter()
                    resp = client.post(f"/api/v1/intake/alertmanager/{ALERTMANAGER_KEY}",
                                       json=payload)
                    resp.raise_for_status()
                    wanted = f"api: {summary}"
                    with changed:
                        ok = changed.wait_for(partial(_arrived, arrived, wanted), 10)
                    if not ok:
                        raise SystemExit(f"run {i}: no page within 10 s\n{server.output()}")
                    at = next(v for s, v in arrived.items() if wanted in s)
                    latencies.append(at - started)
        finally:
            server.stop()
    ms = [v * 1000 for v in latencies]
    print(f"notify latency over {len(ms)} alerts ({args.database_url or 'sqlite'}): "
          f"p50 {percentile(ms, 0.5):.1f} ms, p90 {percentile(ms, 0.9):.1f} ms, "
          f"p99 {percentile(ms, 0.99):.1f} ms, max {max(ms):.1f} ms, "
          f"mean {statistics.fmean(ms):.1f} ms")
    print("target p99 < 1000 ms:", "met" if percentile(ms, 0.99) < 1000 else "NOT met")


if __name__ == "__main__":
    main()

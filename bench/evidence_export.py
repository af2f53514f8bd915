"""Bench: build, write and verify an evidence pack for an incident with 10,000 events.

Budget (DESIGN.md): export under 2 s. Prints the median of 5 runs for each output format.
Run: .venv/bin/python bench/evidence_export.py [--events N] [--runs R]
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from warroom.clock import FakeClock, isoformat
from warroom.domain.events import GENESIS_HASH, Event, seal
from warroom.evidence.pack import PackInputs, build_pack, write_pack
from warroom.evidence.verify import verify_pack

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def synthetic_incident(count: int) -> tuple[list[Event], dict[str, bytes]]:
    """A P0 with notes, notifications, runbook steps and approvals, `count` events long."""
    events: list[Event] = []
    artifacts: dict[str, bytes] = {}

    def emit(actor: str, kind: str, data: dict[str, object]) -> None:
        prev = events[-1].hash if events else GENESIS_HASH
        at = START + timedelta(seconds=len(events) * 3)
        events.append(seal("inc-bench", len(events) + 1, at, actor, kind, data, prev))

    emit("system", "declared", {"human_id": "INC-2026-9999", "title": "Bench outage",
                                "severity": "P0", "type": "service_outage",
                                "services": ["api"], "started_at": isoformat(START),
                                "detected_at": isoformat(START), "drill": False})
    emit("alice", "acknowledged", {})
    i = 0
    while len(events) < count - 1:
        i += 1
        phase = ("diagnose", "mitigate", "recover")[i % 3]
        if i % 4 == 0:
            output = f"step {i} output\n".encode() * 20
            sha = hashlib.sha256(output).hexdigest()
            if len(artifacts) < 200:
                artifacts[f"{sha}.txt"] = output
            emit("bob", "runbook_step_started", {"run_id": "r1", "step_id": f"s{i}",
                                                 "title": f"Step {i}", "phase": phase,
                                                 "executor": "shell",
                                                 "rendered": f"echo step {i}"})
            emit("bob", "runbook_step_finished", {"run_id": "r1", "step_id": f"s{i}",
                                                  "title": f"Step {i}", "phase": phase,
                                                  "outcome": "succeeded", "exit_code": 0,
                                                  "output_sha256": sha})
        elif i % 4 == 1:
            emit("engine", "notification_sent", {"channel": "slack", "target": "#inc",
                                                 "message_id": f"m{i}"})
        elif i % 4 == 2:
            emit("carol", "note_added", {"text": f"observation {i}: latency still high"})
        else:
            emit("bob", "approval_requested", {"request_id": f"a{i}", "step": f"s{i}",
                                               "roles": ["commander"]})
    emit("alice", "resolved", {"summary": "done"})
    return events[:count], artifacts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    events, artifacts = synthetic_incident(args.events)
    key = Ed25519PrivateKey.generate()
    clock = FakeClock(START + timedelta(days=1))
    inputs = PackInputs(incident={}, events=events, artifacts=artifacts)
    print(f"{len(events)} events, {len(artifacts)} artifacts, median of {args.runs} runs")
    for suffix in ("", ".tar.gz", ".zip"):
        exports, verifies = [], []
        size = 0
        with tempfile.TemporaryDirectory() as tmp:
            for run in range(args.runs):
                out = Path(tmp) / f"pack-{run}{suffix}"
                began = time.perf_counter()
                write_pack(build_pack(inputs, key, clock, "bench"), out)
                exported = time.perf_counter()
                report = verify_pack(out, key.public_key())
                verified = time.perf_counter()
                if not report.ok:
                    raise SystemExit(f"verification failed: {report.problem}")
                exports.append(exported - began)
                verifies.append(verified - exported)
                size = (sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
                        if out.is_dir() else out.stat().st_size)
        label = suffix.lstrip(".") or "folder"
        export_s = statistics.median(exports)
        print(f"{label:7s} export {export_s:6.3f} s   verify {statistics.median(verifies):6.3f} s"
              f"   size {size / 1e6:5.1f} MB   budget 2 s: "
              f"{'OK' if export_s < 2 else 'OVER'}")


if __name__ == "__main__":
    main()

"""Bench: export a 10,000-event incident *through the store* — read the events, artifacts and
postmortem from the database, build and sign the pack, write it — and verify it.

Budget (DESIGN.md): export under 2 s. Prints the median and max of R runs per format.
Run: .venv/bin/python bench/evidence_db_export.py [--events N] [--runs R] [--database-url URL]
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from warroom.clock import FakeClock
from warroom.domain import incident as dom
from warroom.domain.events import Event
from warroom.evidence.export import export_files
from warroom.evidence.keys import load_or_create_signing_key
from warroom.evidence.pack import write_pack
from warroom.evidence.verify import verify_pack
from warroom.runtime import Runtime, build_runtime
from warroom.services.incidents import IncidentService
from warroom.services.principal import SYSTEM
from warroom.settings import Settings

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
BATCH = 500


def synthetic_incident(count: int) -> tuple[list[Event], dict[str, bytes]]:
    """The in-memory bench's event mix (bench/evidence_export.py), reused as a template."""
    spec = importlib.util.spec_from_file_location(
        "evidence_export", Path(__file__).with_name("evidence_export.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    made: tuple[list[Event], dict[str, bytes]] = module.synthetic_incident(count)
    return made


def seed(runtime: Runtime, clock: FakeClock, count: int) -> str:
    """Declare an incident and append `count - 1` more events (notes, steps, approvals,
    notifications) through the incident service, in batches."""
    svc = IncidentService(runtime)
    ref = svc.declare(SYSTEM, dom.Declare(title="Bench outage", severity="P0")).incident.human_id
    template, _ = synthetic_incident(count)
    drafts = [dom.Draft(e.kind, dict(e.data)) for e in template[1:-1]]
    for start in range(0, len(drafts), BATCH):
        clock.advance(timedelta(seconds=3))
        svc.append_system(ref, drafts[start:start + BATCH], "bench")
    clock.advance(timedelta(minutes=1))
    svc.execute(SYSTEM, ref, dom.Resolve("done"))
    return ref


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        settings = Settings.from_env({}, database_url=url, data_dir=f"{tmp}/data")
        clock = FakeClock(START)
        runtime = build_runtime(settings, clock=clock)
        ref = seed(runtime, clock, args.events)
        _, events = IncidentService(runtime).timeline(SYSTEM, ref)
        key = load_or_create_signing_key(settings.data_dir).public_key()
        print(f"{runtime.engine.dialect.name}: {ref} with {len(events)} events; "
              f"median / max of {args.runs} runs")
        for suffix in ("", ".tar.gz", ".zip"):
            exports, verifies = [], []
            for run in range(args.runs):
                out = Path(tmp) / f"pack-{run}{suffix}"
                began = time.perf_counter()
                write_pack(export_files(runtime, SYSTEM, ref), out)
                exported = time.perf_counter()
                report = verify_pack(out, key)
                verifies.append(time.perf_counter() - exported)
                if not report.ok:
                    raise SystemExit(f"verification failed: {report.problem}")
                exports.append(exported - began)
            median = statistics.median(exports)
            label = suffix.lstrip(".") or "folder"
            print(f"{label:7s} export {median:6.3f} s (max {max(exports):6.3f})   verify "
                  f"{statistics.median(verifies):6.3f} s   budget 2 s: "
                  f"{'OK' if median < 2 else 'OVER'}")
        runtime.engine.dispose()


if __name__ == "__main__":
    main()

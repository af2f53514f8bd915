"""Bench: escalation timers firing on time with 100,000 pending.

Declares `--incidents` P2 incidents (default 2,000) under a policy of `--steps` steps
`--step-gap` minutes apart (default 50 steps, 2 min apart, the first at +3 min), so
incidents × steps real escalation-step timers are pending (plus each incident's ack-SLA and
update timers). The declarations are stamped evenly over `--spread` seconds (default 120), so
timers fall due at a steady incidents / spread per second (16.7/s by default) whatever the
setup speed. Then runs the engine's
worker thread with the real clock for `--duration` seconds and reports how late each timer
that fell due in that window fired (fired_at − due_at, handler included: target resolution,
rendering, outbox row and timeline events). Budget (DESIGN.md): p99 lateness under 1 s.
Run: .venv/bin/python bench/timers.py [--incidents 2000] [--steps 50] [--spread 120]
     [--duration 240]
     [--database-url postgresql+psycopg://root@127.0.0.1:5432/bench]
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from warroom.clock import SystemClock
from warroom.domain import incident as dom
from warroom.engine import timers as engine_timers
from warroom.engine.worker import Worker
from warroom.runtime import build_runtime
from warroom.services.incidents import IncidentService
from warroom.services.principal import SYSTEM
from warroom.settings import Settings
from warroom.store.engine import timers


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class ShiftedClock:
    """The real clock plus an adjustable offset, to stamp declarations evenly."""

    def __init__(self) -> None:
        self.real = SystemClock()
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return self.real.now() + self.offset


def write_config(path: Path, steps: int, first: int, gap: int) -> Path:
    config = {
        "services": [{"name": "api", "escalation_policy": "bench"}],
        "channels": {"bench": {"type": "console", "stream": "log", "level": "debug",
                               "rate_limit": {"per_second": 100000, "burst": 100000}}},
        "escalation_policies": [{"name": "bench", "steps": [
            {"at": f"+{first + i * gap} min", "targets": [{"channel": "bench"}]}
            for i in range(steps)]}],
    }
    path.write_text(json.dumps(config))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--incidents", type=int, default=2000)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--duration", type=float, default=240.0)
    parser.add_argument("--step-gap", type=int, default=2, help="minutes between steps")
    parser.add_argument("--spread", type=float, default=120.0,
                        help="seconds over which the declarations are stamped")
    parser.add_argument("--first-step", type=int, default=3,
                        help="minutes from declaring to the first step (longer than setup)")
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    logging.getLogger("warroom.notify.console").setLevel(logging.WARNING)

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
        settings = Settings.from_env({}, database_url=url, data_dir=str(workdir / "data"),
                                     config=str(write_config(workdir / "org.json",
                                                             args.steps,
                                                             args.first_step,
                                                             args.step_gap)))
        clock = ShiftedClock()
        runtime = build_runtime(settings, clock=clock)
        service = IncidentService(runtime)
        started = time.perf_counter()
        base = clock.real.now()
        for i in range(args.incidents):
            # Stamp declaration i at base + i × spread / incidents, whenever it really runs.
            clock.offset = base + timedelta(seconds=i * args.spread / args.incidents) - \
                clock.real.now()
            service.declare(SYSTEM, dom.Declare(f"bench incident {i}", "P2", services=("api",)))
        with runtime.engine.connect() as conn:
            pending = conn.execute(sa.select(sa.func.count()).select_from(timers).where(
                timers.c.status == "pending")).scalar_one()
        clock.offset = timedelta(0)
        print(f"declared {args.incidents} incidents in {time.perf_counter() - started:.1f} s; "
              f"{pending} timers pending")

        window_start = runtime.clock.now()
        lateness: list[float] = []
        overdue_at_start: list[float] = []

        def on_fired(timer: engine_timers.Timer, late: float) -> None:
            (lateness if timer.due_at >= window_start else overdue_at_start).append(late)

        worker = Worker(runtime)
        worker.on_fired.append(on_fired)
        worker.start()
        time.sleep(args.duration)
        worker.stop()
        with runtime.engine.connect() as conn:
            left = conn.execute(sa.select(sa.func.count()).select_from(timers).where(
                timers.c.status == "pending")).scalar_one()
        runtime.engine.dispose()
    if not lateness:
        raise SystemExit("no timer fell due in the window; raise --duration")
    print(f"due rate {args.incidents / args.spread:.1f}/s; "
          f"fired {len(lateness)} timers due during {args.duration:.0f} s "
          f"({len(overdue_at_start)} were already due when the worker started); "
          f"{left} still pending at the end")
    print(f"lateness ({'postgresql' if args.database_url else 'sqlite'}): "
          f"p50 {percentile(lateness, 0.5) * 1000:.0f} ms, "
          f"p99 {percentile(lateness, 0.99) * 1000:.0f} ms, max {max(lateness) * 1000:.0f} ms")
    print("target p99 < 1000 ms:", "met" if percentile(lateness, 0.99) < 1.0 else "NOT met")


if __name__ == "__main__":
    main()

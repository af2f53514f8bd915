"""At most one open alert per (integration, dedup key): in the writer and in the database."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from warroom.clock import FakeClock
from warroom.intake.dedup import Submission
from warroom.intake.integrations import Integration
from warroom.intake.signal import Signal
from warroom.intake.writer import writer_for
from warroom.store.alerts import alerts
from warroom.testing.intake import stored_alerts
from warroom.testing.runtime import make_runtime

HOOK = Integration("hook", "generic", "api", "k" * 32)


def signal(status: str = "firing", key: str = "same") -> Signal:
    return Signal("generic", "hook", key, status, "disk full",  # type: ignore[arg-type]
                  labels={"alertname": "DiskFull"})


def test_concurrent_identical_alerts_make_one_open_alert(db_url: str, tmp_path: Path,
                                                         clock: FakeClock) -> None:
    runtime = make_runtime(db_url, tmp_path, clock)
    writer = writer_for(runtime)
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda _: writer.write(Submission(HOOK, [signal()])), range(200)))
    [alert] = stored_alerts(runtime)
    assert (alert.status, alert.count) == ("firing", 200)
    assert writer.groups < 200  # group commit: fewer transactions than requests
    runtime.engine.dispose()


def test_resolve_then_trigger_opens_a_second_alert(db_url: str, tmp_path: Path,
                                                   clock: FakeClock) -> None:
    runtime = make_runtime(db_url, tmp_path, clock)
    writer = writer_for(runtime)
    writer.write(Submission(HOOK, [signal(), signal("resolved"), signal(), signal()]))
    assert [(a.status, a.count) for a in stored_alerts(runtime)] == [("resolved", 1),
                                                                     ("firing", 2)]
    runtime.engine.dispose()


def test_database_refuses_a_second_open_alert_for_a_key(db_url: str, tmp_path: Path,
                                                        clock: FakeClock) -> None:
    runtime = make_runtime(db_url, tmp_path, clock)
    now = datetime(2026, 1, 5, tzinfo=UTC)
    row = {"integration": "hook", "source": "generic", "dedup_key": "k", "status": "firing",
           "labels": {}, "annotations": {}, "summary": "s", "first_seen": now,
           "last_seen": now, "count": 1, "links": [], "raw": {}}
    with runtime.engine.begin() as conn:
        conn.execute(sa.insert(alerts).values(**row))
        conn.execute(sa.insert(alerts).values(**{**row, "status": "resolved"}))
    with pytest.raises(sa.exc.IntegrityError), runtime.engine.begin() as conn:
        conn.execute(sa.insert(alerts).values(**row))
    runtime.engine.dispose()


def test_two_instances_on_one_database_keep_one_open_alert(db_url: str, tmp_path: Path,
                                                           clock: FakeClock) -> None:
    first = make_runtime(db_url, tmp_path, clock)
    second = make_runtime(db_url, tmp_path, clock)
    writers = [writer_for(first), writer_for(second)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda n: writers[n % 2].write(Submission(HOOK, [signal()])), range(100)))
    [alert] = stored_alerts(first)
    assert (alert.status, alert.count) == ("firing", 100)
    first.engine.dispose()
    second.engine.dispose()

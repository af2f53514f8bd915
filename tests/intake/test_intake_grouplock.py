"""Grouping across instances: two writers (two instances) on one PostgreSQL database, fed the
same alerts at the same moment, as by an Alertmanager HA pair, make one incident per group."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa

from warroom.clock import FakeClock
from warroom.intake.dedup import Submission
from warroom.intake.grouplock import lock_key
from warroom.intake.integrations import Integration
from warroom.intake.signal import Signal
from warroom.intake.writer import writer_for
from warroom.runtime import Runtime
from warroom.store.alerts import alerts
from warroom.store.schema import incident_events, incidents
from warroom.testing.runtime import make_runtime

HOOK = Integration("hook", "generic", "api", "k" * 32)
ONLY_POSTGRES = pytest.mark.parametrize("db_url", [pytest.param(
    "postgresql", marks=pytest.mark.postgres)], indirect=True)


def signal(key: str, group: str) -> Signal:
    return Signal("generic", "hook", key, "firing", f"{group} is failing",
                  labels={"alertname": group})


@pytest.fixture
def pair(db_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[tuple[Runtime, Runtime]]:
    first = make_runtime(db_url, tmp_path / "a", clock)
    second = make_runtime(db_url, tmp_path / "b", clock)
    yield first, second
    for runtime in (first, second):
        writer_for(runtime).close()
        runtime.engine.dispose()


def race(pair: tuple[Runtime, Runtime], submissions: list[tuple[int, Signal]]) -> None:
    """Send every (instance, signal) at once: all threads start together."""
    start = threading.Barrier(len(submissions))
    writers = [writer_for(runtime) for runtime in pair]

    def send(item: tuple[int, Signal]) -> None:
        start.wait(30)
        writers[item[0]].write(Submission(HOOK, [item[1]]))

    with ThreadPoolExecutor(len(submissions)) as pool:
        list(pool.map(send, submissions))


def counts(runtime: Runtime) -> tuple[int, Counter[str], list[tuple[str, int]]]:
    with runtime.engine.connect() as conn:
        declared = conn.execute(sa.select(sa.func.count()).select_from(incidents)).scalar_one()
        attached = Counter(r[0] for r in conn.execute(
            sa.select(incident_events.c.incident_id)
            .where(incident_events.c.kind == "alert_attached")))
        stored = [(str(key), int(seen)) for key, seen in conn.execute(
            sa.select(alerts.c.dedup_key, alerts.c["count"]).order_by(alerts.c.dedup_key))]
    return declared, attached, stored


@ONLY_POSTGRES
def test_same_alert_at_two_instances_makes_one_incident_each(
        pair: tuple[Runtime, Runtime]) -> None:
    tries = 12
    for round_ in range(2):  # two rounds: the race is tight, and must never be lost
        keys = [f"r{round_}-a{n}" for n in range(tries)]
        race(pair, [(instance, signal(key, f"Group-{key}")) for key in keys
                    for instance in (0, 1)])
    declared, attached, stored = counts(pair[0])
    assert declared == 2 * tries
    # The loser left nothing behind: one attach per incident, and its alert is a repeat.
    assert set(attached.values()) == {1}
    assert {count for _key, count in stored} == {2}
    assert len(stored) == 2 * tries


@ONLY_POSTGRES
def test_alerts_of_one_group_at_two_instances_join_one_incident(
        pair: tuple[Runtime, Runtime]) -> None:
    groups = 6
    race(pair, [(n % 2, signal(f"g{g}-alert{n}", f"Group{g}")) for g in range(groups)
                for n in range(2)])
    declared, attached, stored = counts(pair[0])
    assert declared == groups
    assert sorted(attached.values()) == [2] * groups
    assert len(stored) == 2 * groups


def test_lock_keys_are_stable_signed_64_bit() -> None:
    key = lock_key("group", "api", '{alertname="X"}')
    assert key == lock_key("group", "api", '{alertname="X"}')
    assert key != lock_key("group", "api", '{alertname="Y"}')
    assert -(2 ** 63) <= key < 2 ** 63

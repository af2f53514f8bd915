"""Instances that start together on one fresh PostgreSQL schema migrate it one at a time."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from warroom.store import db
from warroom.testing.cluster import fresh_schema
from warroom.testing.runtime import PG_URL

pytestmark = pytest.mark.postgres


def test_three_instances_starting_at_once_migrate_a_fresh_schema_cleanly() -> None:
    if not PG_URL:
        pytest.skip("PostgreSQL tests skipped: set WARROOM_TEST_DATABASE_URL")
    with fresh_schema(PG_URL) as url:
        engines = [db.create_engine(url, poolclass=sa.pool.NullPool) for _ in range(3)]
        start = threading.Barrier(3)
        errors: list[BaseException] = []

        def migrate(engine: sa.Engine) -> None:
            start.wait(30)
            try:
                db.upgrade(engine)
            except BaseException as exc:  # reported below, with the others
                errors.append(exc)

        threads = [threading.Thread(target=migrate, args=(e,)) for e in engines]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        applied, expected = db.migration_state(engines[0])
        for engine in engines:
            engine.dispose()
    assert errors == []
    assert applied == expected

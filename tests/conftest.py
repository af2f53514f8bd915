"""Shared fixtures: a migrated database on SQLite and on PostgreSQL, a runtime with a fake
clock, the HTTP app, and users of every role with API tokens. Reusable helpers live in
warroom.testing (import them from there, not from conftest)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from warroom.api.app import create_app
from warroom.clock import FakeClock
from warroom.runtime import Runtime
from warroom.store import db
from warroom.testing.runtime import PG_URL, Users, make_runtime, make_users

PG_SKIP = "PostgreSQL tests skipped: set WARROOM_TEST_DATABASE_URL (.ci/run sets it)"


@pytest.fixture(scope="session")
def pg_schema() -> Iterator[str]:
    """One migrated PostgreSQL schema per test process; tests empty it instead of migrating
    a new one (migrations cost ~0.75 s, truncation a few ms)."""
    if not PG_URL:
        pytest.skip(PG_SKIP)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = db.create_engine(PG_URL, poolclass=sa.pool.NullPool)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    engine = db.create_engine(_with_schema(schema), poolclass=sa.pool.NullPool)
    db.upgrade(engine)
    engine.dispose()
    try:
        yield schema
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


def _with_schema(schema: str) -> str:
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}"


def _empty(schema: str) -> None:
    engine = db.create_engine(_with_schema(schema), poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.exec_driver_sql("SET LOCAL lock_timeout = '20s'")
        tables = [r[0] for r in conn.execute(sa.text(
            "SELECT tablename FROM pg_tables WHERE schemaname = :s "
            "AND tablename <> 'alembic_version'"), {"s": schema})]
        if tables:
            conn.exec_driver_sql(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database URL on each engine: a new SQLite file, or the process's PostgreSQL schema
    emptied for this test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'warroom.db'}"
        return
    if not PG_URL:
        pytest.skip(PG_SKIP)
    schema = request.getfixturevalue("pg_schema")
    _empty(schema)
    yield _with_schema(schema)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def runtime(db_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[Runtime]:
    rt = make_runtime(db_url, tmp_path, clock)
    yield rt
    rt.engine.dispose()


@pytest.fixture
def users(runtime: Runtime) -> Users:
    return make_users(runtime)


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime)) as c:
        yield c


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Stop any `warroom serve` a failed or interrupted test left running."""
    from warroom.testing.server import stop_all
    stop_all()

"""Engine creation (SQLite WAL + immediate write transactions, or PostgreSQL) and migrations."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

MIGRATIONS = Path(__file__).parent / "migrations"


def normalise_url(url: str) -> str:
    """Accept postgres:// and postgresql:// and use psycopg 3 for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _dump_json(value: Any) -> str:
    # orjson: JSON columns (labels, event data) are a large share of intake's write cost.
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def create_engine(url: str, **kwargs: Any) -> sa.Engine:
    url = normalise_url(url)
    kwargs.setdefault("json_serializer", _dump_json)
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"check_same_thread": False,
                                                     "timeout": 30}, **kwargs)
        _configure_sqlite(engine)
        return engine
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_pre_ping", True)
    return sa.create_engine(url, **kwargs)


def _configure_sqlite(engine: sa.Engine) -> None:
    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's begin event issue BEGIN itself, so writes can take the lock up front.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA synchronous=FULL")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        # Writers take the lock at BEGIN so two writers never deadlock upgrading read locks.
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")


def is_sqlite(engine: sa.Engine) -> bool:
    return engine.dialect.name == "sqlite"


@contextmanager
def read(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A read-only transaction (deferred on SQLite, so readers never block writers)."""
    with engine.connect().execution_options(sqlite_begin="DEFERRED") as conn, conn.begin():
        yield conn


def alembic_config(engine: sa.Engine) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: sa.Engine, revision: str = "heads") -> None:
    """Apply migrations up to `revision` (each runs in a transaction). Each subsystem owns
    its migrations, so there may be several heads; "heads" applies them all.

    On PostgreSQL a session advisory lock (per schema) makes instances that start together
    migrate one at a time; the later ones then find nothing left to do."""
    if engine.dialect.name != "postgresql":
        command.upgrade(alembic_config(engine), revision)
        return
    key = sa.text("SELECT hashtextextended('warroom-migrations:' || current_schema(), 0)")
    with engine.connect() as lock:
        lock_key = lock.execute(key).scalar_one()
        lock.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": lock_key})
        lock.commit()
        try:
            command.upgrade(alembic_config(engine), revision)
        finally:
            lock.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": lock_key})
            lock.commit()


def migration_state(engine: sa.Engine) -> tuple[str | None, str | None]:
    """(revisions applied in the database, revisions the code expects), each as sorted
    comma-joined heads, or None when there are none."""
    script = ScriptDirectory.from_config(alembic_config(engine))
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_heads()
    expected = script.get_heads()
    return (",".join(sorted(current)) or None), (",".join(sorted(expected)) or None)

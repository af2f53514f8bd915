"""The session and feed tables: migration 0013 creates what schema.py declares, and a session
lives until it expires, is revoked, or its user is deactivated."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from warroom.runtime import Runtime
from warroom.services.principal import SYSTEM
from warroom.services.users import UserService
from warroom.store import users as store
from warroom.store.schema import metadata

TABLES = {"user_sessions", "ical_feeds"}


def test_migration_matches_the_declared_tables(runtime: Runtime) -> None:
    with runtime.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)

    assert [d for d in diffs if table_of(d) in TABLES] == []


def table_of(diff: Any) -> str | None:
    """The table an autogenerate diff is about: ("add_table", Table), ("add_index", Index),
    ("add_column", schema, table, Column), or a list of ("modify_…", schema, table, …)."""
    item = diff[0] if isinstance(diff, list) else diff
    target = item[1]
    if isinstance(target, sa.Table):
        return str(target.name)
    if getattr(target, "table", None) is not None:
        return str(target.table.name)
    return str(item[2]) if len(item) > 2 and isinstance(item[2], str) else None


def test_table_of_sees_a_missing_index(runtime: Runtime) -> None:
    with runtime.engine.begin() as conn:
        conn.execute(sa.text("DROP INDEX ix_user_sessions_user"))
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    assert [table_of(d) for d in diffs if table_of(d) in TABLES] == ["user_sessions"]


def test_a_session_ends_on_expiry_revocation_or_deactivation(runtime: Runtime) -> None:
    users = UserService(runtime)
    user = users.create(SYSTEM, "kim", password="long-enough")
    now = runtime.clock.now()
    with runtime.engine.begin() as conn:
        for secret in ("a" * 43, "b" * 43, "c" * 43):
            store.insert_session(conn, user_id=user.id, secret=secret, client="127.0.0.1",
                                 at=now, expires_at=now + timedelta(hours=12))
        store.revoke_session(conn, "a" * 43, now)
    with runtime.engine.connect() as conn:
        assert store.find_session_user(conn, "a" * 43, now) is None
        assert store.find_session_user(conn, "b" * 43, now) is not None
        assert store.find_session_user(conn, "b" * 43, now + timedelta(hours=12)) is None
        assert store.count_live_sessions(conn, user.id, now) == 2
    users.update(SYSTEM, "kim", active=False)
    with runtime.engine.connect() as conn:
        assert store.find_session_user(conn, "c" * 43, now) is None
        assert store.count_live_sessions(conn, user.id, now) == 0

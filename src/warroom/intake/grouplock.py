"""Grouping serialised across instances: on PostgreSQL, a transaction that is about to decide
whether new alerts join an open incident or declare one first takes advisory locks on their
(integration, dedup key) and (service, group key), so a second instance waits, then sees the
first one's committed alert and incident and joins it instead of declaring its own.

The locks are transaction-scoped (`pg_advisory_xact_lock`), taken in one statement in sorted
order (so two batches never deadlock on each other), and released by commit or rollback. On
SQLite one writer per database file already serialises grouping, so nothing is taken."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import sqlalchemy as sa

from warroom.intake.signal import Signal
from warroom.routing.grouping import group_key
from warroom.routing.routes import RouteMatch, RoutingConfig, route

# One statement; the sorted subquery fixes the order in which the locks are taken.
_LOCK_SORTED = sa.text(
    "SELECT count(pg_advisory_xact_lock(k)) FROM "
    "(SELECT unnest(CAST(:keys AS bigint[])) AS k ORDER BY 1) AS sorted_keys")


def lock_key(*parts: str) -> int:
    """A stable signed 64-bit key for an advisory lock (the same in every process and
    release, unlike Python's salted `hash`)."""
    digest = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def group_of(routing: RoutingConfig, signal: Signal,
             default_service: str | None) -> tuple[RouteMatch, str | None, str]:
    """The primary route of a signal, the service it belongs to and its group key."""
    primary = route(signal, routing, default_service)[0]
    # No route or integration names a service: the alert's own `service` label does.
    service = primary.service or signal.labels.get("service") or None
    return primary, service, group_key(signal.labels, primary.group_by)


def lock_new_alerts(conn: sa.Connection, routing: RoutingConfig,
                    fresh: Iterable[tuple[Signal, str | None]]) -> bool:
    """Wait for the grouping locks of these new firing alerts (signal, integration service).

    Returns True if locks were taken: the caller must then re-read which alerts are open,
    since another instance may have stored some of them while this transaction waited."""
    if conn.dialect.name != "postgresql":
        return False
    keys: set[int] = set()
    for signal, default_service in fresh:
        keys.add(lock_key("alert", signal.integration, signal.dedup_key))
        _match, service, key = group_of(routing, signal, default_service)
        if service:
            keys.add(lock_key("group", service, key))
    if not keys:
        return False
    conn.execute(_LOCK_SORTED, {"keys": sorted(keys)})
    return True

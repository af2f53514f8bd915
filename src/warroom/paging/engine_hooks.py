"""Engine plugin for paging: timer handlers, the in-transaction hook, and delivery results
recorded on the timeline (`notification_sent` / `notification_failed`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

from warroom.domain.events import Event
from warroom.domain.incident import Draft, IncidentState
from warroom.engine import timers
from warroom.engine.outbox import OutboxRow
from warroom.notify.base import DeliveryResult
from warroom.paging import escalator, lifecycle, planner, sla, updates, warroom_setup
from warroom.paging.directory import directory
from warroom.services.incidents import IncidentService

if TYPE_CHECKING:
    from warroom.runtime import Runtime

timers.handler(planner.STEP)(escalator.fire_step)
timers.handler(planner.CONTACT)(escalator.fire_contact)
timers.handler(sla.ACK_SLA)(sla.fire)
timers.handler(updates.UPDATE_DUE)(updates.fire_update_due)
timers.handler(updates.UPDATE_MISSED)(updates.fire_update_missed)
timers.handler(warroom_setup.WAR_ROOM)(warroom_setup.fire)
timers.handler(lifecycle.RETRIGGER)(lifecycle.fire_retrigger)
# A later escalation step never fires while an earlier one is pending (e.g. held by an
# instance that died): its page would overtake the earlier one.
timers.fire_in_order(planner.STEP)


def record_delivery(runtime: Runtime, conn: sa.Connection, row: OutboxRow,
                    result: DeliveryResult, outcome: str) -> None:
    """Append the outcome of one delivery attempt to the incident's timeline, in the
    transaction that records the outcome on the outbox row."""
    if not row.incident_id:
        return
    # A receiver that is down would otherwise add a failure per retry (up to 15 per
    # message); the timeline keeps the first failure and the final outcome.
    if not result.ok and outcome == "retry" and row.attempts > 0:
        return
    data = {"channel": row.channel, "destination": row.destination, "kind": row.kind,
            "idempotency_key": row.idempotency_key, "status": result.status,
            "attempt": row.attempts + 1}
    if result.ok:
        draft = Draft("notification_sent", data)
    else:
        draft = Draft("notification_failed", data | {"detail": result.detail,
                                                     "outcome": outcome})
    IncidentService(runtime).append_system(row.incident_id, [draft], escalator.ACTOR,
                                           conn=conn)


def install(runtime: Runtime) -> None:
    directory(runtime)  # validate the paging config at start-up, not at the first page

    def in_transaction(conn: sa.Connection, state: IncidentState, events: list[Event]) -> None:
        lifecycle.on_events(runtime, conn, state, events)

    def on_result(conn: sa.Connection, row: OutboxRow, result: DeliveryResult,
                  outcome: str) -> None:
        record_delivery(runtime, conn, row, result, outcome)

    runtime.hooks.in_transaction.append(in_transaction)
    runtime.extras.setdefault("outbox.in_transaction", []).append(on_result)

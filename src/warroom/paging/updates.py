"""Status updates on the severity's cadence: rendering, sending to the audience's channels,
reminding the commander and comms lead when one falls due, and recording a missed one."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from warroom.clock import isoformat, parse_instant
from warroom.domain import incident as dom
from warroom.domain.errors import InvalidCommand
from warroom.domain.events import Event
from warroom.domain.notification_rules import plan_contacts
from warroom.domain.templates import RenderedMessage, TemplateError, message_template_name
from warroom.engine import outbox, timers
from warroom.engine.timers import Timer
from warroom.notify.base import AUDIENCES, Audience, Message
from warroom.paging.contacts import Dispatch, send_to_method
from warroom.paging.directory import PagingDirectory, directory
from warroom.paging.escalator import append
from warroom.paging.messages import incident_context, message, render
from warroom.services.incidents import IncidentService
from warroom.services.principal import Principal, require
from warroom.store import db, publications
from warroom.store import incidents as incident_store
from warroom.store import paging as store
from warroom.store.paging import PagingState

if TYPE_CHECKING:
    from warroom.runtime import Runtime

UPDATE_DUE = "paging.update_due"
UPDATE_MISSED = "paging.update_missed"
UPDATE_KINDS = (UPDATE_DUE, UPDATE_MISSED)
PHASES = ("initial", "progress", "resolution")


def cadence(found: PagingDirectory, severity: str) -> timedelta | None:
    level = found.scheme.get(severity)
    return level.update_cadence if level else None


def schedule_next(conn: sa.Connection, found: PagingDirectory, incident: dom.IncidentState,
                  state: PagingState, base: datetime, now: datetime) -> None:
    """Cancel the pending reminder and schedule the next one `cadence` after `base`."""
    timers.cancel(conn, incident_id=incident.id, kinds=UPDATE_KINDS)
    every = cadence(found, incident.severity)
    if every is None or incident.status in ("resolved", "closed"):
        state.next_update_at = None
        return
    due = max(base + every, now)
    state.next_update_at = due
    timers.schedule(conn, kind=UPDATE_DUE, key=f"upd:{incident.id}:{state.update_seq}:"
                    f"{int(due.timestamp())}", due_at=due, now=now, incident_id=incident.id,
                    payload={"seq": state.update_seq, "due_at": isoformat(due)})


def default_phase(incident: dom.IncidentState) -> str:
    return "resolution" if incident.status in ("resolved", "closed") else "progress"


def render_update(found: PagingDirectory, incident: dom.IncidentState,
                  state: PagingState | None, phase: str, audience: str, body: str | None,
                  now: datetime, text: str | None = None) -> RenderedMessage:
    if phase not in PHASES:
        raise InvalidCommand(f"unknown template {phase!r}; use one of {', '.join(PHASES)}")
    if audience not in AUDIENCES:
        raise InvalidCommand(f"unknown audience {audience!r}; use one of "
                             f"{', '.join(AUDIENCES)}")
    name = message_template_name(phase, audience)
    if audience != "internal":  # customers read Statuspage's words, never "Acknowledged"
        incident = dataclasses.replace(incident, status=dom.STATUSPAGE_STATUS.get(
            incident.status, incident.status))
    if text is None:
        return render(found, name, incident, state, now, body)
    try:
        return found.templates.preview(
            name, incident_context(found, incident, state, now, body), text=text)
    except TemplateError as exc:
        raise InvalidCommand(f"{exc}; fix the template text and preview again") from None


@dataclass(frozen=True)
class UpdateRequest:
    audience: str = "internal"
    body: str | None = None
    template: str | None = None
    status: str | None = None


def post_update(runtime: Runtime, principal: Principal | None, ref: str,
                request: UpdateRequest) -> tuple[dom.IncidentState, list[Event]]:
    """Record an update (after moving the status if asked); the engine hook sends it."""
    who = require(principal, "responder", "posting a status update")
    service = IncidentService(runtime)
    incident = service.get(who, ref)
    if request.audience == "public":
        _check_public(runtime, incident)
    if request.status and request.status != incident.status:
        command: dom.Command = dom.Resolve(request.body or "") \
            if request.status == "resolved" else dom.SetStatus(request.status)
        incident = service.execute(who, ref, command).incident
    if not (request.body or request.template):
        raise InvalidCommand("an update needs a body, a template, or both")
    found = directory(runtime)
    with db.read(runtime.engine) as conn:
        state = store.load(conn, incident.id)
    phase = request.template or default_phase(incident)
    rendered = render_update(found, incident, state, phase, request.audience, request.body,
                             runtime.clock.now())
    result = service.append_system(incident.id, [dom.Draft("update_posted", {
        "audience": request.audience, "status": incident.status, "body": request.body or "",
        "template": message_template_name(phase, request.audience),
        "subject": rendered.subject, "rendered": rendered.body})], who.name)
    return result.incident, result.events


def _check_public(runtime: Runtime, incident: dom.IncidentState) -> None:
    """Public updates go out only for published incidents (never restricted ones)."""
    if incident.visibility != "normal":
        raise InvalidCommand("audience: a restricted incident never gets public updates; "
                             "use the internal or customer audience")
    with db.read(runtime.engine) as conn:
        published = publications.current(conn, incident.id)
    if published is None:
        raise InvalidCommand(f"audience: {incident.human_id} is not published, so nothing "
                             "about it is public yet; publish it first (console: Publish, "
                             f"CLI: warroom incident publish {incident.human_id}, API: POST "
                             f"/api/v1/incidents/{incident.human_id}/publish)")


def on_update_posted(conn: sa.Connection, runtime: Runtime, incident: dom.IncidentState,
                     state: PagingState, event: Event) -> None:
    found = directory(runtime)
    audience: Audience = event.data.get("audience", "internal")
    # Defence in depth: post_update refuses these already; an unpublished or restricted
    # incident's public update reaches no channel.
    blocked = audience == "public" and (incident.visibility != "normal" or
                                        publications.current(conn, incident.id) is None)
    rendered = RenderedMessage(str(event.data.get("subject", "")),
                               str(event.data.get("rendered", "")))
    msg = message(f"update:{incident.id}:{event.seq}", "update", incident, rendered, state,
                  found, audience=audience)
    for channel in [] if blocked else found.incident_channels(incident, audience):
        outbox.enqueue(conn, message=msg, channel=channel, now=event.at)
    state.update_seq += 1
    state.last_update_at = event.at
    schedule_next(conn, found, incident, state, event.at, event.at)


def _live(conn: sa.Connection, timer: Timer) -> tuple[dom.IncidentState, PagingState] | None:
    if timer.incident_id is None:
        return None
    incident = incident_store.lock_state(conn, timer.incident_id)
    state = store.load(conn, timer.incident_id)
    if incident is None or state is None or incident.status in ("resolved", "closed"):
        return None
    if int(timer.payload.get("seq", -1)) != state.update_seq:
        return None
    return incident, state


def remind(conn: sa.Connection, runtime: Runtime, found: PagingDirectory,
           incident: dom.IncidentState, state: PagingState, due: str) -> dict[str, Any]:
    """Remind the commander and comms lead through their immediate contacts; fall back to the
    internal channels when neither can be reached."""
    now = runtime.clock.now()
    rendered = render(found, "reminder.internal", incident, state, now)
    key = f"reminder:{incident.id}:{state.update_seq}:{due}"
    msg = message(key, "reminder", incident, rendered, state, found)
    roles = incident.role_map()
    dispatch = Dispatch()
    reminded: list[str] = []
    for user in dict.fromkeys(u for u in (roles.get("commander"), roles.get("comms_lead")) if u):
        contacts = found.contacts.get(user)
        before = len(dispatch.queued)
        for planned in plan_contacts(contacts, now) if contacts else []:
            if planned.due_at <= now:
                keyed = msg.to_dict() | {"idempotency_key": f"{key}:{user}:{planned.method.name}"}
                send_to_method(conn, found, Message.from_dict(keyed), user, planned.method, now,
                               dispatch)
        if len(dispatch.queued) > before:
            reminded.append(user)
    channels: list[str] = []
    if not reminded:
        for channel in found.incident_channels(incident, "internal"):
            if outbox.enqueue(conn, message=msg, channel=channel, now=now):
                channels.append(channel)
    return {"reminded": reminded, "channels": channels, "skipped": dispatch.skipped}


def fire_update_due(runtime: Runtime, conn: sa.Connection, timer: Timer) -> None:
    live = _live(conn, timer)
    if live is None:
        return
    incident, state = live
    found = directory(runtime)
    due = str(timer.payload["due_at"])
    sent = remind(conn, runtime, found, incident, state, due)
    grace = found.communications.update_grace
    timers.schedule(conn, kind=UPDATE_MISSED, key=f"updm:{incident.id}:{state.update_seq}:"
                    f"{due}", due_at=timer.due_at + grace, now=runtime.clock.now(),
                    incident_id=incident.id, payload={"seq": state.update_seq, "due_at": due})
    append(runtime, conn, incident.id, [dom.Draft("update_due", {"due_at": due, **sent})])


def fire_update_missed(runtime: Runtime, conn: sa.Connection, timer: Timer) -> None:
    live = _live(conn, timer)
    if live is None:
        return
    incident, state = live
    found = directory(runtime)
    now = runtime.clock.now()
    due = str(timer.payload["due_at"])
    schedule_next(conn, found, incident, state, parse_instant(due), now)
    store.save(conn, state, now)
    append(runtime, conn, incident.id, [dom.Draft("update_missed", {
        "due_at": due, "grace": int(found.communications.update_grace.total_seconds()),
        "next_due_at": isoformat(state.next_update_at) if state.next_update_at else None})])

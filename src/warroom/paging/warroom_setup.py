"""War-room setup for P0/P1: a bridge link from a template and, with a Slack bot token, a
per-incident channel through `conversations.create`; both recorded as `war_room_opened`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from warroom.domain import incident as dom
from warroom.domain.templates import TemplateError
from warroom.engine import timers
from warroom.engine.timers import Timer
from warroom.notify.slack_api import SlackApi, SlackApiError
from warroom.paging.directory import PagingDirectory, directory
from warroom.paging.escalator import append
from warroom.paging.messages import incident_context
from warroom.store import incidents as incident_store
from warroom.store import paging as store
from warroom.store.paging import PagingState

if TYPE_CHECKING:
    from warroom.runtime import Runtime

WAR_ROOM = "paging.war_room"


def wanted(found: PagingDirectory, incident: dom.IncidentState) -> bool:
    return incident.severity in found.communications.war_room_severities


def schedule(conn: sa.Connection, found: PagingDirectory, incident: dom.IncidentState,
             now: Any) -> None:
    """Due now and scheduled before the first step, so the first page carries the links."""
    if wanted(found, incident):
        timers.schedule(conn, kind=WAR_ROOM, key=f"wr:{incident.id}", due_at=now, now=now,
                        incident_id=incident.id)


def open_chat(runtime: Runtime, found: PagingDirectory, name: str,
              private: bool = False) -> tuple[str, str]:
    """Create the Slack channel; (name, id). Raises SlackApiError."""
    slack = found.slack_channel()
    assert slack is not None
    _, config = slack
    api = SlackApi(getattr(config, "bot_token"), clock=runtime.clock,  # noqa: B009
                   base_url=str(getattr(config, "api_url", "https://slack.com/api")),
                   timeout=5.0)
    try:
        conversation = api.create_channel(name, is_private=private)
    finally:
        api.close()
    return conversation.name, conversation.id


def fire(runtime: Runtime, conn: sa.Connection, timer: Timer) -> None:
    if timer.incident_id is None:
        return
    incident = incident_store.lock_state(conn, timer.incident_id)
    if incident is None or incident.status in ("resolved", "closed"):
        return
    found = directory(runtime)
    now = runtime.clock.now()
    state = store.load(conn, incident.id) or PagingState(incident.id, incident.severity)
    if state.bridge_url or state.chat_channel:
        return
    context = incident_context(found, incident, state, now)
    data: dict[str, Any] = {}
    try:
        state.bridge_url = found.templates.render_link("bridge_url", context)
    except TemplateError as exc:
        data["bridge_error"] = str(exc)
    if found.slack_channel() is not None:
        try:
            name = found.templates.render_link("chat_channel", context) or incident.human_id
            # A restricted incident's room is private: only those invited see it.
            state.chat_channel, state.chat_channel_id = open_chat(
                runtime, found, name, private=incident.visibility != "normal")
        except SlackApiError as exc:
            if exc.retryable and timer.attempts < 3:
                raise  # the timer is retried with backoff; pages go out meanwhile
            data["chat_error"] = str(exc)
    store.save(conn, state, now)
    append(runtime, conn, incident.id, [dom.Draft("war_room_opened", {
        "bridge_url": state.bridge_url,
        "chat_channel": f"#{state.chat_channel}" if state.chat_channel else None,
        "chat_channel_id": state.chat_channel_id, **data})])

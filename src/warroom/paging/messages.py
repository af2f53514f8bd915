"""Rendering incident messages (pages, updates, reminders, SLA breaches) from the templates."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from warroom.domain.durations import humanize_duration
from warroom.domain.incident import IncidentState
from warroom.domain.templates import RenderedMessage
from warroom.notify.base import Audience, Link, Message, MessageKind
from warroom.paging.directory import PagingDirectory
from warroom.store.paging import PagingState


def _minutes(directory: PagingDirectory, severity: str) -> int | None:
    level = directory.scheme.get(severity)
    if level is None or level.update_cadence is None:
        return None
    return int(level.update_cadence.total_seconds() // 60)


def incident_context(directory: PagingDirectory, incident: IncidentState,
                     paging: PagingState | None, now: datetime,
                     latest_update: str | None = None) -> dict[str, Any]:
    """The template variables for `incident` at `now` (see CONTEXT_KEYS)."""
    level = directory.scheme.get(incident.severity)
    roles = incident.role_map()
    end = incident.resolved_at or now
    return {
        "human_id": incident.human_id, "title": incident.title,
        "severity": incident.severity, "severity_name": level.name if level else None,
        "status": incident.status, "impact": incident.impact or None, "type": incident.type,
        "started_at": incident.started_at,
        "commander": _person(directory, roles.get("commander")),
        "comms_lead": _person(directory, roles.get("comms_lead")),
        "bridge_url": paging.bridge_url if paging else None,
        "chat_channel": f"#{paging.chat_channel}" if paging and paging.chat_channel else None,
        "status_page_url": directory.communications.status_page_url,
        "next_update_minutes": _minutes(directory, incident.severity),
        "latest_update": latest_update, "services": list(incident.services),
        "drill": incident.is_drill,
        "duration": humanize_duration(end - incident.started_at)
        if end > incident.started_at else None,
        "resolved_at": incident.resolved_at,
        "root_cause": incident.resolution or None,
        "incident_url": incident_url(directory, incident),
    }


def incident_url(directory: PagingDirectory, incident: IncidentState) -> str | None:
    """The incident's console page, from `communications.base_url` (WARROOM_PUBLIC_URL)."""
    base = directory.communications.base_url
    return f"{base.rstrip('/')}/incidents/{incident.human_id}" if base else None


def _person(directory: PagingDirectory, user: str | None) -> str | None:
    if not user:
        return None
    name = directory.display_names.get(user)
    return f"{name} (@{user})" if name and name != user else f"@{user}"


def links(paging: PagingState | None, directory: PagingDirectory,
          incident: IncidentState) -> tuple[Link, ...]:
    """Where to click: the incident first, then the bridge and the status page. Pages to a
    person also get their own acknowledge link (`with_ack_link`)."""
    found = []
    url = incident_url(directory, incident)
    if url:
        found.append(Link("Incident", url))
    if paging and paging.bridge_url:
        found.append(Link("Bridge", paging.bridge_url))
    if directory.communications.status_page_url:
        found.append(Link("Status page", directory.communications.status_page_url))
    return tuple(found)


def message(key: str, kind: MessageKind, incident: IncidentState, rendered: RenderedMessage,
            paging: PagingState | None, directory: PagingDirectory,
            audience: Audience = "internal", extra: dict[str, Any] | None = None) -> Message:
    return Message(idempotency_key=key, incident_id=incident.id,
                   incident_human_id=incident.human_id, kind=kind, subject=rendered.subject,
                   body=rendered.body, severity=incident.severity, audience=audience,
                   links=links(paging, directory, incident), extra=extra or {},
                   drill=incident.is_drill)


ACK_LINK_KINDS = ("page", "escalation")
ACK_LABEL = "Acknowledge"


def with_ack_link(message: Message, directory: PagingDirectory, user: str,
                  now: datetime) -> Message:
    """The page as sent to `user`: with a signed, single-use link that acknowledges as them.
    Other kinds of message, and pages to channels, carry no acknowledge link."""
    if message.kind not in ACK_LINK_KINDS or directory.ack_links is None:
        return message
    link = Link(ACK_LABEL, directory.ack_links.url(message.incident_id, user, now))
    kept = tuple(existing for existing in message.links if existing.label != ACK_LABEL)
    return Message.from_dict(message.to_dict() | {"links": [
        {"label": item.label, "url": item.url} for item in (link, *kept)]})


def render(directory: PagingDirectory, name: str, incident: IncidentState,
           paging: PagingState | None, now: datetime,
           latest_update: str | None = None) -> RenderedMessage:
    return directory.templates.render(name, incident_context(directory, incident, paging, now,
                                                             latest_update))


def render_plain(incident: IncidentState, subject: str, body: str) -> RenderedMessage:
    """A fixed text (SLA breach) with the drill prefix applied like templates do."""
    if incident.is_drill:
        return RenderedMessage(f"[DRILL] {subject}", f"[DRILL] {body}")
    return RenderedMessage(subject, body)

"""PagerDuty Events API v2 (`/v2/enqueue`) alert events to Signals, validated like PagerDuty."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from warroom.intake.changes import SUMMARY_MAX, read_links
from warroom.intake.errors import IntakeError, PagerDutyEventError
from warroom.intake.fields import instant, kind
from warroom.intake.signal import Signal, SignalStatus

SOURCE = "pagerduty"
# PagerDuty rejects bodies above this; the HTTP layer enforces it (413) before parsing.
MAX_PAYLOAD_BYTES = 512 * 1024
DEDUP_KEY_MAX = 255
SEVERITIES = ("critical", "error", "warning", "info")
_ACTIONS: dict[Any, SignalStatus] = {
    "trigger": "firing",
    "acknowledge": "acknowledged",
    "resolve": "resolved",
}
# Optional payload fields copied into labels (as are source and severity) so routes can
# match on them, e.g. `component="postgres"`.
_OPTIONAL_LABEL_FIELDS = ("component", "group", "class")


def routing_key(body: Any) -> str | None:
    """The integration key of a request, read before full validation to authenticate it."""
    if type(body) is dict and type(body.get("routing_key")) is str:
        return str(body["routing_key"])
    return None


def success_body(dedup_key: str) -> dict[str, str]:
    """PagerDuty's 202 response."""
    return {"status": "success", "message": "Event processed", "dedup_key": dedup_key}


def parse(body: Any, integration: str, now: datetime,
          new_dedup_key: Callable[[], str] = lambda: uuid.uuid4().hex) -> list[Signal]:
    """One Signal for one event. A trigger without `dedup_key` gets a fresh one (returned in
    the Signal, for the 202 response), as PagerDuty does. The routing key never reaches
    `raw`: it is a secret."""
    if type(body) is not dict:
        raise PagerDutyEventError([("body", f"Event must be a JSON object, got {kind(body)}")])
    errors: list[tuple[str, str]] = []
    key = body.get("routing_key")
    if type(key) is not str or not key.strip():
        errors.append(("routing_key", "'routing_key' is missing or blank"))
    action = body.get("event_action")
    status = _ACTIONS.get(action)
    if status is None:
        errors.append(("event_action", "'event_action' is missing or blank" if not action else
                       "'event_action' is invalid (must be one of: trigger, acknowledge, "
                       "resolve)"))
    dedup_key = body.get("dedup_key")
    if dedup_key is not None and type(dedup_key) is not str:
        errors.append(("dedup_key", "'dedup_key' must be a string"))
        dedup_key = None
    elif dedup_key is not None and len(dedup_key) > DEDUP_KEY_MAX:
        errors.append(("dedup_key", f"'dedup_key' is too long (maximum is {DEDUP_KEY_MAX} "
                       "characters)"))
    if status in ("acknowledged", "resolved") and not (dedup_key and dedup_key.strip()):
        errors.append(("dedup_key", "'dedup_key' is missing or blank"))
    labels: dict[str, str] = {}
    annotations: dict[str, str] = {}
    summary = ""
    starts_at: datetime | None = None
    payload = body.get("payload")
    if status == "firing" or payload is not None:
        starts_at = _read_payload(payload, status == "firing", labels, annotations, errors)
        summary = labels.pop("summary", "")
    links = read_links(body.get("links"), "links", "href", errors)
    links += read_links(body.get("images"), "images", "src", errors)
    client_url = body.get("client_url")
    if type(client_url) is str and client_url:
        client = body.get("client")
        links.append({"href": client_url, "text": client if type(client) is str and client
                      else "Client"})
    if errors:
        raise PagerDutyEventError(errors)
    assert status is not None
    if not dedup_key:
        dedup_key = new_dedup_key()
    raw = {name: value for name, value in body.items() if name != "routing_key"}
    return [Signal(
        source=SOURCE,
        integration=integration,
        dedup_key=dedup_key,
        status=status,
        summary=summary,
        severity_hint=labels.get("severity"),
        labels=labels,
        annotations=annotations,
        starts_at=starts_at or (now if status == "firing" else None),
        ends_at=now if status == "resolved" else None,
        links=links,
        raw=raw,
    )]


def _read_payload(payload: Any, required: bool, labels: dict[str, str],
                  annotations: dict[str, str], errors: list[tuple[str, str]]) -> datetime | None:
    """Check `payload`, filling labels (and `summary`) and annotations; returns its timestamp."""
    if type(payload) is not dict:
        errors.append(("payload", "'payload' is missing or blank" if payload is None
                       else "'payload' must be an object"))
        return None
    for name in ("summary", "source", "severity"):
        value = payload.get(name)
        if type(value) is not str or not value.strip():
            if required:
                errors.append((f"payload.{name}", f"'payload.{name}' is missing or blank"))
        else:
            labels[name] = value
    summary = labels.get("summary", "")
    if len(summary) > SUMMARY_MAX:
        errors.append(("payload.summary", "'payload.summary' is too long (maximum is "
                       f"{SUMMARY_MAX} characters, got {len(summary)})"))
    severity = labels.get("severity")
    if severity is not None and severity not in SEVERITIES:
        errors.append(("payload.severity", "'payload.severity' is invalid (must be one of: "
                       f"{', '.join(SEVERITIES)}; got {severity!r})"))
    for name in _OPTIONAL_LABEL_FIELDS:
        value = payload.get(name)
        if value is not None and type(value) is not str:
            errors.append((f"payload.{name}", f"'payload.{name}' must be a string"))
        elif value:
            labels[name] = value
    details = payload.get("custom_details")
    if type(details) is dict:
        for name, value in details.items():
            annotations[str(name)] = value if type(value) is str else json.dumps(value)
    elif details is not None:
        annotations["details"] = details if type(details) is str else json.dumps(details)
    try:
        return instant(payload.get("timestamp"), "payload.timestamp")
    except IntakeError:
        errors.append(("payload.timestamp",
                       "'payload.timestamp' is not a valid ISO 8601 timestamp"))
        return None

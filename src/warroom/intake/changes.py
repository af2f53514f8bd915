"""Change events (deploys, config changes): PagerDuty `/v2/change/enqueue` bodies."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from warroom.intake.errors import IntakeError, PagerDutyEventError
from warroom.intake.fields import instant, kind

SUMMARY_MAX = 1024


@dataclass(frozen=True)
class ChangeEvent:
    """A change to a service, shown to responders as "recent changes" during triage."""

    integration: str
    summary: str
    timestamp: datetime
    source: str | None = None
    custom_details: dict[str, Any] = field(default_factory=dict)
    links: list[dict[str, str]] = field(default_factory=list)


def parse(body: Any, integration: str, now: datetime) -> ChangeEvent:
    """Validate like PagerDuty (all problems at once) and return the change; `now` fills a
    missing timestamp."""
    if type(body) is not dict:
        raise PagerDutyEventError([("body", f"Event must be a JSON object, got {kind(body)}")])
    errors: list[tuple[str, str]] = []
    if not _present(body.get("routing_key")):
        errors.append(("routing_key", "'routing_key' is missing or blank"))
    payload = body.get("payload")
    summary = ""
    source: str | None = None
    timestamp: datetime | None = None
    details: dict[str, Any] = {}
    if type(payload) is not dict:
        errors.append(("payload", "'payload' is missing or blank"))
    else:
        raw_summary = payload.get("summary")
        if type(raw_summary) is not str or not raw_summary.strip():
            errors.append(("payload.summary", "'payload.summary' is missing or blank"))
        elif len(raw_summary) > SUMMARY_MAX:
            errors.append(("payload.summary", "'payload.summary' is too long "
                           f"(maximum is {SUMMARY_MAX} characters, got {len(raw_summary)})"))
        else:
            summary = raw_summary
        raw_source = payload.get("source")
        if raw_source is not None and type(raw_source) is not str:
            errors.append(("payload.source", "'payload.source' must be a string"))
        else:
            source = raw_source
        try:
            timestamp = instant(payload.get("timestamp"), "payload.timestamp")
        except IntakeError:
            errors.append(("payload.timestamp",
                           "'payload.timestamp' is not a valid ISO 8601 timestamp"))
        raw_details = payload.get("custom_details")
        if raw_details is not None:
            details = raw_details if type(raw_details) is dict else {"details": raw_details}
    links = read_links(body.get("links"), "links", "href", errors)
    if errors:
        raise PagerDutyEventError(errors)
    return ChangeEvent(integration, summary, timestamp or now, source, details, links)


def _present(value: Any) -> bool:
    return type(value) is str and bool(value.strip())


def read_links(value: Any, name: str, url_key: str,
               errors: list[tuple[str, str]]) -> list[dict[str, str]]:
    """PagerDuty `links`/`images` arrays as Signal links; problems are appended to `errors`."""
    if value is None:
        return []
    if type(value) is not list:
        errors.append((name, f"'{name}' must be an array of objects"))
        return []
    out = []
    for index, item in enumerate(value):
        where = f"{name}[{index}]"
        if type(item) is not dict or not _present(item.get(url_key)):
            errors.append((f"{where}.{url_key}", f"'{where}.{url_key}' is missing or blank"))
            continue
        text = item.get("text") or item.get("alt") or item[url_key]
        out.append({"href": item[url_key], "text": str(text)})
    return out

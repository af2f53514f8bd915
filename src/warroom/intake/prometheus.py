"""Alertmanager API v2 `POST /api/v2/alerts` bodies, as Prometheus sends them, to Signals."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from warroom.domain.alerts import alertmanager_fingerprint
from warroom.intake.errors import IntakeError
from warroom.intake.fields import instant, kind, link, make_signal, opt_str, string_map
from warroom.intake.signal import Signal

SOURCE = "prometheus"


RESOLVE_TIMEOUT = timedelta(minutes=5)  # Alertmanager's default `resolve_timeout`


def parse(body: Any, integration: str, now: datetime,
          resolve_timeout: timedelta = RESOLVE_TIMEOUT) -> list[Signal]:
    """One Signal per posted alert.

    Prometheus re-sends firing alerts on every evaluation with `endsAt` a few minutes ahead, and
    sends `endsAt` in the past once the alert stops: so an alert is resolved iff endsAt <= now.
    An alert without `endsAt` ends `resolve_timeout` from now unless re-sent, as Alertmanager
    does; the intake expiry pass resolves firing alerts whose `endsAt` passed.
    The dedup key is Alertmanager's fingerprint of the labels, so repeats collapse into one alert
    and the key equals the one an Alertmanager webhook would carry for the same alert.
    """
    if type(body) is not list:
        raise IntakeError("body", f"must be a JSON array of alerts, got {kind(body)}")
    return [_signal(alert, f"[{index}]", integration, now, resolve_timeout)
            for index, alert in enumerate(body)]


def _signal(alert: Any, path: str, integration: str, now: datetime,
            resolve_timeout: timedelta) -> Signal:
    if type(alert) is not dict:
        raise IntakeError(path, f"must be an object, got {kind(alert)}")
    labels = string_map(alert.get("labels"), f"{path}.labels")
    if not labels:
        # Alertmanager rejects these too: an alert is identified by its labels.
        raise IntakeError(f"{path}.labels", "at least one label pair is required")
    annotations = string_map(alert.get("annotations"), f"{path}.annotations")
    starts_at = instant(alert.get("startsAt"), f"{path}.startsAt")
    ends_at = instant(alert.get("endsAt"), f"{path}.endsAt")
    if starts_at is not None and ends_at is not None and ends_at < starts_at:
        raise IntakeError(f"{path}.endsAt", "must not be before startsAt")
    links = []
    generator = opt_str(alert.get("generatorURL"), f"{path}.generatorURL")
    if generator:
        links.append(link(generator, "Source"))
    runbook = annotations.get("runbook_url")
    if runbook:
        links.append(link(runbook, "Runbook"))
    dedup_key = alertmanager_fingerprint(labels)
    return make_signal(
        source=SOURCE,
        integration=integration,
        dedup_key=dedup_key,
        status="resolved" if ends_at is not None and ends_at <= now else "firing",
        summary=(annotations.get("summary") or annotations.get("description")
                 or labels.get("alertname") or dedup_key),
        severity_hint=labels.get("severity"),
        labels=labels,
        annotations=annotations,
        starts_at=starts_at or now,
        ends_at=ends_at if ends_at is not None else now + resolve_timeout,
        links=links,
        raw=alert,
    )

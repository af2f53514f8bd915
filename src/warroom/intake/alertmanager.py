"""Alertmanager webhook v4 (and Grafana's Alertmanager-style webhook) to Signals, alert by alert."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from warroom.domain.alerts import alertmanager_fingerprint
from warroom.intake.errors import IntakeError
from warroom.intake.fields import (
    instant,
    kind,
    link,
    make_signal,
    number_map,
    obj,
    opt_str,
    string_map,
)
from warroom.intake.signal import Signal, SignalStatus

SOURCE = "alertmanager"
# Grafana sends version "1"; Alertmanager has sent "4" since 0.10.
SUPPORTED_VERSIONS = ("4", "1")
_STATUSES: dict[Any, SignalStatus] = {"firing": "firing", "resolved": "resolved"}
# Per-alert URL fields Grafana adds, kept as links in this order.
_GRAFANA_LINKS = (
    ("dashboardURL", "Dashboard"),
    ("panelURL", "Panel"),
    ("silenceURL", "Silence"),
    ("imageURL", "Image"),
)


@dataclass(frozen=True)
class WebhookBatch:
    """One webhook delivery: the group it describes and its alerts as Signals."""

    group_key: str | None
    receiver: str | None
    status: SignalStatus
    truncated_alerts: int
    signals: list[Signal]


def parse(body: Any, integration: str) -> list[Signal]:
    """The Signals of one webhook delivery; raises IntakeError naming the bad field."""
    return parse_batch(body, integration).signals


def parse_batch(body: Any, integration: str) -> WebhookBatch:
    payload = obj(body, "body")
    version = payload.get("version")
    if version is not None and version not in SUPPORTED_VERSIONS:
        raise IntakeError("version", f"unsupported webhook version {version!r}; warroom reads "
                          "Alertmanager webhook version \"4\" and Grafana's \"1\"")
    status = _STATUSES.get(payload.get("status"))
    if status is None:
        raise IntakeError("status", f"must be \"firing\" or \"resolved\", "
                          f"got {payload.get('status')!r}")
    truncated = payload.get("truncatedAlerts", 0)
    if truncated is None:
        truncated = 0
    if type(truncated) is not int or truncated < 0:
        raise IntakeError("truncatedAlerts", f"must be a whole number >= 0, got {truncated!r}")
    group_key = opt_str(payload.get("groupKey"), "groupKey")
    receiver = opt_str(payload.get("receiver"), "receiver")
    string_map(payload.get("groupLabels"), "groupLabels")
    common_labels = string_map(payload.get("commonLabels"), "commonLabels")
    common_annotations = string_map(payload.get("commonAnnotations"), "commonAnnotations")
    opt_str(payload.get("externalURL"), "externalURL")
    alerts = payload.get("alerts")
    if type(alerts) is not list:
        raise IntakeError("alerts", f"must be an array of alerts, got {kind(alerts)}")
    signals = [
        _signal(alert, f"alerts[{index}]", integration, common_labels, common_annotations)
        for index, alert in enumerate(alerts)
    ]
    return WebhookBatch(group_key, receiver, status, truncated, signals)


def _signal(alert: Any, path: str, integration: str, common_labels: dict[str, str],
            common_annotations: dict[str, str]) -> Signal:
    if type(alert) is not dict:
        raise IntakeError(path, f"must be an object, got {kind(alert)}")
    status = _STATUSES.get(alert.get("status"))
    if status is None:
        raise IntakeError(f"{path}.status",
                          f"must be \"firing\" or \"resolved\", got {alert.get('status')!r}")
    # Alertmanager always repeats the common labels in each alert; older senders may not.
    labels = string_map(alert.get("labels"), f"{path}.labels") or dict(common_labels)
    annotations = string_map(alert.get("annotations"), f"{path}.annotations")
    if not annotations and common_annotations:
        annotations = dict(common_annotations)
    starts_at = instant(alert.get("startsAt"), f"{path}.startsAt")
    ends_at = instant(alert.get("endsAt"), f"{path}.endsAt")
    dedup_key = alert.get("fingerprint")
    if not dedup_key:
        dedup_key = alertmanager_fingerprint(labels)
    elif type(dedup_key) is not str:
        raise IntakeError(f"{path}.fingerprint", f"must be a string, got {kind(dedup_key)}")
    links = []
    generator = alert.get("generatorURL")
    if generator:
        links.append(link(opt_str(generator, f"{path}.generatorURL") or "", "Source"))
    if len(alert) > 7:  # only Grafana adds more than the seven Alertmanager fields
        number_map(alert.get("values"), f"{path}.values")
        for key, text in _GRAFANA_LINKS:
            url = alert.get(key)
            if url:
                links.append(link(opt_str(url, f"{path}.{key}") or "", text))
    runbook = annotations.get("runbook_url")
    if runbook:
        links.append(link(runbook, "Runbook"))
    summary = (annotations.get("summary") or annotations.get("description")
               or labels.get("alertname") or dedup_key)
    return make_signal(
        source=SOURCE,
        integration=integration,
        dedup_key=dedup_key,
        status=status,
        summary=summary,
        severity_hint=labels.get("severity"),
        labels=labels,
        annotations=annotations,
        starts_at=starts_at,
        ends_at=ends_at,
        links=links,
        raw=alert,
    )

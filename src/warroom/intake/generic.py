"""warroom's generic JSON webhook: one alert object or `{"alerts": [...]}` to Signals.

The schema is documented in docs/intake.md ("Generic webhook").
"""

from __future__ import annotations

from typing import Any

from warroom.domain.alerts import alertmanager_fingerprint
from warroom.intake.errors import IntakeError
from warroom.intake.fields import instant, kind, link, opt_str, string_map
from warroom.intake.signal import Signal, SignalStatus

SOURCE = "generic"
_STATUSES: dict[Any, SignalStatus] = {
    None: "firing", "firing": "firing", "trigger": "firing", "triggered": "firing",
    "resolved": "resolved", "resolve": "resolved", "ok": "resolved",
    "acknowledged": "acknowledged", "acknowledge": "acknowledged",
}


def parse(body: Any, integration: str) -> list[Signal]:
    """One Signal per alert; a body with an `alerts` array is a batch, any other object is one."""
    if type(body) is not dict:
        raise IntakeError("body", f"must be a JSON object, got {kind(body)}")
    alerts = body.get("alerts")
    if alerts is None:
        return [_signal(body, "body", integration)]
    if type(alerts) is not list:
        raise IntakeError("alerts", f"must be an array of alert objects, got {kind(alerts)}")
    return [_signal(alert, f"alerts[{index}]", integration)
            for index, alert in enumerate(alerts)]


def _signal(alert: Any, path: str, integration: str) -> Signal:
    if type(alert) is not dict:
        raise IntakeError(path, f"must be an object, got {kind(alert)}")
    prefix = "" if path == "body" else f"{path}."
    status = _STATUSES.get(alert.get("status"))
    if status is None:
        raise IntakeError(f"{prefix}status", "must be one of firing, resolved, acknowledged, "
                          f"got {alert.get('status')!r}")
    labels = dict(string_map(alert.get("labels"), f"{prefix}labels"))
    annotations = string_map(alert.get("annotations"), f"{prefix}annotations")
    service = opt_str(alert.get("service"), f"{prefix}service")
    if service:
        labels["service"] = service
    summary = (opt_str(alert.get("summary"), f"{prefix}summary")
               or opt_str(alert.get("title"), f"{prefix}title"))
    if not summary or not summary.strip():
        raise IntakeError(f"{prefix}summary",
                          "is required: a one-line description of the problem (or use `title`)")
    severity = opt_str(alert.get("severity"), f"{prefix}severity")
    if severity:
        labels.setdefault("severity", severity)
    dedup_key = _dedup_key(alert, prefix, labels, summary)
    return Signal(
        source=SOURCE,
        integration=integration,
        dedup_key=dedup_key,
        status=status,
        summary=summary,
        severity_hint=severity or labels.get("severity"),
        labels=labels,
        annotations=annotations,
        starts_at=instant(alert.get("starts_at"), f"{prefix}starts_at"),
        ends_at=instant(alert.get("ends_at"), f"{prefix}ends_at"),
        links=_links(alert.get("links"), f"{prefix}links"),
        raw=alert,
    )


def _dedup_key(alert: dict[str, Any], prefix: str, labels: dict[str, str], summary: str) -> str:
    for name in ("dedup_key", "id"):
        value = alert.get(name)
        if value is None:
            continue
        if type(value) is int:
            return str(value)
        if type(value) is not str or not value.strip():
            raise IntakeError(f"{prefix}{name}", "must be a non-empty string")
        return value
    # Without an explicit key the alert is identified by what it says, so a resend dedups.
    return alertmanager_fingerprint(labels or {"summary": summary})


def _links(value: Any, path: str) -> list[dict[str, str]]:
    if value is None:
        return []
    if type(value) is not list:
        raise IntakeError(path, f"must be an array of URLs or {{href, text}} objects, "
                          f"got {kind(value)}")
    out = []
    for index, item in enumerate(value):
        if type(item) is str and item:
            out.append(link(item, item))
        elif type(item) is dict and type(item.get("href")) is str and item["href"]:
            text = item.get("text")
            out.append(link(item["href"], text if type(text) is str and text else item["href"]))
        else:
            raise IntakeError(f"{path}[{index}]", "must be a URL string or an object with "
                              "a non-empty `href`")
    return out

"""The read side of the Alertmanager API v2 in Alertmanager's own JSON shapes, so `amtool` and
Grafana's Alertmanager data source can use warroom: alerts, silences, status and receivers.

Pure translation: rows and warroom silences in, Alertmanager JSON out; matchers both ways.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from warroom.clock import isoformat
from warroom.domain.alerts import Matcher, MatcherError, alertmanager_fingerprint, parse_matchers
from warroom.routing.silences import Silence

# What Alertmanager reports for an alert that has no endsAt yet: now + resolve_timeout.
RESOLVE_TIMEOUT = timedelta(minutes=5)
UNROUTED = "unrouted"
_OPS = {(False, True): "=", (False, False): "!=", (True, True): "=~", (True, False): "!~"}


class ApiInputError(ValueError):
    """A request the API cannot read; `field` names the parameter or body field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


# ------------------------------------------------------------------------------ matchers


def matcher_json(matcher: Matcher) -> dict[str, Any]:
    return {"name": matcher.name, "value": matcher.value,
            "isRegex": matcher.op in ("=~", "!~"), "isEqual": matcher.op in ("=", "=~")}


def matcher_from_json(raw: Any, where: str) -> Matcher:
    """An Alertmanager `{name, value, isRegex, isEqual}` (isEqual defaults to true)."""
    if not isinstance(raw, dict):
        raise ApiInputError(where, f"{where}: must be an object with name, value, isRegex")
    name, value = raw.get("name"), raw.get("value")
    if not isinstance(name, str) or not name:
        raise ApiInputError(f"{where}.name", f"{where}.name: must be a non-empty string")
    if not isinstance(value, str):
        raise ApiInputError(f"{where}.value", f"{where}.value: must be a string")
    is_regex, is_equal = raw.get("isRegex", False), raw.get("isEqual", True)
    if not isinstance(is_regex, bool) or not isinstance(is_equal, bool):
        raise ApiInputError(where, f"{where}: isRegex and isEqual must be true or false")
    try:
        return Matcher(name, _OPS[(is_regex, is_equal)], value)  # type: ignore[arg-type]
    except MatcherError as exc:
        raise ApiInputError(f"{where}.value", f"{where}.value: {exc}") from None


def receiver_pattern(text: str | None) -> re.Pattern[str] | None:
    """The `receiver` query parameter: a regular expression over receiver names."""
    if not text:
        return None
    try:
        return re.compile(text)
    except re.error as exc:
        raise ApiInputError("receiver", f"receiver: invalid regular expression: {exc}") from None


def filter_matchers(filters: Sequence[str]) -> list[Matcher]:
    """The `filter` query parameters (`alertname="X"`, or `{a="b",c=~"d"}`), all ANDed."""
    found: list[Matcher] = []
    for index, text in enumerate(filters):
        try:
            found.extend(parse_matchers(text))
        except MatcherError as exc:
            raise ApiInputError(f"filter[{index}]", f"filter: {exc}") from None
    return found


# -------------------------------------------------------------------------------- alerts


@dataclass(frozen=True)
class AlertFilter:
    """Alertmanager's `GET /api/v2/alerts` parameters; each flag defaults to true."""

    matchers: tuple[Matcher, ...] = ()
    active: bool = True
    silenced: bool = True
    inhibited: bool = True
    unprocessed: bool = True
    receiver: re.Pattern[str] | None = None
    """matches the whole receiver name, as Alertmanager's `receiver` regex does"""


def _suppression(silenced_by: str | None, labels: Mapping[str, str],
                 silences: Sequence[Silence], now: datetime) -> tuple[list[str], list[str]]:
    """Alertmanager's (silencedBy, inhibitedBy). Silences count as Alertmanager counts them,
    live: the ones active now whose matchers match, whenever they were created. A maintenance
    window recorded at intake also silences; a rule that suppressed the alert inhibits it."""
    silenced = sorted(s.id for s in silences
                      if s.active_at(now) and all(m.matches(labels) for m in s.matchers))
    kind, _, ref = (silenced_by or "").partition(":")
    if kind == "rule":
        return silenced, [ref]
    if kind == "maintenance":
        return [*silenced, silenced_by or ""], []
    return silenced, []


def alert_json(row: Any, now: datetime, silences: Sequence[Silence] = ()) -> dict[str, Any]:
    """One stored, firing alert as Alertmanager's `gettableAlert`."""
    labels = dict(row.labels or {})
    silenced, inhibited = _suppression(row.silenced_by, labels, silences, now)
    starts = row.starts_at or row.first_seen
    ends = row.ends_at if row.ends_at is not None and row.ends_at > now else \
        max(now, row.last_seen) + RESOLVE_TIMEOUT
    generator = next((str(link.get("href") or link.get("url") or "")
                      for link in (row.links or []) if isinstance(link, dict)), "")
    return {
        "labels": labels, "annotations": dict(row.annotations or {}),
        "startsAt": isoformat(starts), "endsAt": isoformat(ends),
        "updatedAt": isoformat(row.last_seen), "generatorURL": generator,
        "fingerprint": alertmanager_fingerprint(labels),
        "receivers": [{"name": row.service or UNROUTED}],
        "status": {"state": "suppressed" if silenced or inhibited else "active",
                   "silencedBy": silenced, "inhibitedBy": inhibited, "mutedBy": []},
    }


def keep_alert(alert: Mapping[str, Any], wanted: AlertFilter) -> bool:
    status = alert["status"]
    if not wanted.silenced and status["silencedBy"]:
        return False
    if not wanted.inhibited and status["inhibitedBy"]:
        return False
    if not wanted.active and status["state"] == "active":
        return False
    if wanted.receiver is not None and not any(
            wanted.receiver.fullmatch(r["name"]) for r in alert["receivers"]):
        return False
    return all(m.matches(alert["labels"]) for m in wanted.matchers)


def alerts_json(rows: Iterable[Any], wanted: AlertFilter, now: datetime,
                silences: Sequence[Silence] = ()) -> list[dict[str, Any]]:
    found = [a for a in (alert_json(row, now, silences) for row in rows)
             if keep_alert(a, wanted)]
    return sorted(found, key=lambda a: (a["fingerprint"], a["startsAt"]))


# ------------------------------------------------------------------------------ silences


def silence_state(silence: Silence, now: datetime) -> str:
    if silence.active_at(now):
        return "active"
    return "pending" if silence.starts_at > now else "expired"


def silence_json(silence: Silence, now: datetime, updated_at: datetime | None = None
                 ) -> dict[str, Any]:
    """A warroom silence as Alertmanager's `gettableSilence`."""
    return {"id": silence.id, "status": {"state": silence_state(silence, now)},
            "updatedAt": isoformat(updated_at or silence.starts_at),
            "matchers": [matcher_json(m) for m in silence.matchers],
            "startsAt": isoformat(silence.starts_at), "endsAt": isoformat(silence.ends_at),
            "createdBy": silence.created_by, "comment": silence.comment}


def silence_matches_filter(silence: Silence, filters: Sequence[Matcher]) -> bool:
    """Alertmanager's rule: every filter matcher must match the value of a silence matcher on
    the same label (`amtool silence query alertname=X` finds silences on alertname X)."""
    return all(any(m.name == f.name and f.matches({f.name: m.value}) for m in silence.matchers)
               for f in filters)


_STATE_ORDER = {"active": 0, "pending": 1, "expired": 2}


def silences_json(silences: Iterable[Silence], filters: Sequence[Matcher], now: datetime
                  ) -> list[dict[str, Any]]:
    found = [silence_json(s, now) for s in silences if silence_matches_filter(s, filters)]
    return sorted(found, key=lambda s: (_STATE_ORDER[s["status"]["state"]], s["endsAt"]))


def status_json(version: str, started_at: datetime, config_text: str) -> dict[str, Any]:
    """`GET /api/v2/status`: no cluster (warroom instances share a database instead)."""
    return {"cluster": {"name": "", "status": "disabled", "peers": []},
            "config": {"original": config_text}, "uptime": isoformat(started_at),
            "versionInfo": {"version": version, "revision": "", "branch": "",
                            "buildUser": "warroom", "buildDate": "", "goVersion": "none"}}

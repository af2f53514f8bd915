"""Signal: the one shape every intake format is normalised to."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

SignalStatus = Literal["firing", "resolved", "acknowledged"]


@dataclass(frozen=True)
class Signal:
    source: str  # alertmanager | prometheus | pagerduty | generic | heartbeat | probe
    integration: str  # integration name
    dedup_key: str
    status: SignalStatus
    summary: str
    severity_hint: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    links: list[dict[str, str]] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)

"""Severity schemes: ordered levels with ack SLAs and update cadences."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class SeverityLevel:
    key: str
    name: str
    description: str
    ack_sla: timedelta
    update_cadence: timedelta | None
    page: bool = True
    escalation_policy: str | None = None


@dataclass(frozen=True)
class SeverityScheme:
    levels: tuple[SeverityLevel, ...]

    def keys(self) -> list[str]:
        return [lvl.key for lvl in self.levels]

    def get(self, key: str) -> SeverityLevel | None:
        for lvl in self.levels:
            if lvl.key == key:
                return lvl
        return None

    def rank(self, key: str) -> int:
        """0 is the most severe."""
        return self.keys().index(key)

    def most_severe(self, a: str, b: str) -> str:
        return a if self.rank(a) <= self.rank(b) else b


DEFAULT_SCHEME = SeverityScheme((
    SeverityLevel("P0", "Critical", "Complete outage, security breach or data loss",
                  timedelta(minutes=5), timedelta(minutes=15)),
    SeverityLevel("P1", "High", "Major functionality broken, significant user impact",
                  timedelta(minutes=15), timedelta(minutes=30)),
    SeverityLevel("P2", "Medium", "Partial degradation, workaround available",
                  timedelta(hours=1), timedelta(minutes=60)),
    SeverityLevel("P3", "Low", "Minor issue, little user impact",
                  timedelta(hours=24), None, page=False),
))

"""Silences and maintenance windows: whether an alert may page, at a given instant."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from warroom.domain.alerts import Matcher, matches_all
from warroom.routing.routes import MatcherField


@dataclass(frozen=True)
class Silence:
    """Alerts whose labels match all `matchers` neither page nor declare in [starts_at, ends_at)."""

    id: str
    matchers: tuple[Matcher, ...]
    starts_at: datetime
    ends_at: datetime
    created_by: str
    comment: str

    def active_at(self, now: datetime) -> bool:
        # Half-open: a silence stops applying exactly at its end.
        return self.starts_at <= now < self.ends_at


@dataclass(frozen=True)
class MaintenanceWindow:
    """Every alert routed to `service` is silenced in [starts_at, ends_at)."""

    id: str
    service: str
    starts_at: datetime
    ends_at: datetime
    created_by: str = ""
    comment: str = ""

    def active_at(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at


@dataclass(frozen=True)
class SilenceMatch:
    """Why an alert is silenced, for the alert view and the timeline."""

    kind: Literal["silence", "maintenance"]
    id: str
    ends_at: datetime
    created_by: str
    comment: str


def is_silenced(labels: Mapping[str, str], service: str | None, now: datetime,
                silences: Iterable[Silence],
                windows: Iterable[MaintenanceWindow] = ()) -> SilenceMatch | None:
    """The first silence or maintenance window covering this alert at `now`, or None.

    Silences are checked first; among several, the one lasting longest is reported, so the
    alert view tells the truth about when paging resumes.
    """
    best: Silence | None = None
    for silence in silences:
        if silence.active_at(now) and matches_all(silence.matchers, labels) and (
                best is None or silence.ends_at > best.ends_at):
            best = silence
    if best is not None:
        return SilenceMatch("silence", best.id, best.ends_at, best.created_by, best.comment)
    if service is not None:
        for window in windows:
            if window.service == service and window.active_at(now):
                return SilenceMatch("maintenance", window.id, window.ends_at, window.created_by,
                                    window.comment)
    return None


def require_selective(matchers: Sequence[Matcher]) -> None:
    """Alertmanager's rule: a silence whose every matcher matches the empty string (`a=""`,
    `a=~".*"`) would silence every alert; ValueError unless one matcher needs a value."""
    if matchers and all(m.matches({}) for m in matchers):
        shown = ", ".join(str(m) for m in matchers)
        raise ValueError(f"at least one matcher must not match the empty string (every alert "
                         f"would be silenced by {shown}); name a label value, e.g. "
                         'alertname="DiskFull"')


class SilenceSpec(BaseModel):
    """A silence as the API and CLI accept it; `to_silence` gives the matching value."""

    model_config = ConfigDict(extra="forbid")

    matchers: list[MatcherField] = Field(min_length=1)
    starts_at: datetime
    ends_at: datetime
    created_by: str = Field(min_length=1)
    comment: str = Field(min_length=1)

    @field_validator("matchers")
    @classmethod
    def _not_everything(cls, matchers: list[Matcher]) -> list[Matcher]:
        require_selective(matchers)
        return matchers

    @model_validator(mode="after")
    def _ends_after_start(self) -> SilenceSpec:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise ValueError("starts_at and ends_at need a timezone, e.g. 2026-01-05T09:00:00Z")
        return self

    def to_silence(self, silence_id: str) -> Silence:
        return Silence(silence_id, tuple(self.matchers), self.starts_at, self.ends_at,
                       self.created_by, self.comment)

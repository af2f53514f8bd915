"""Publishing an incident to the status page: the public title, components and impact a
person chose, read back from the `published` events that record each choice.

Nothing about an incident is public until a `published` event exists; a later one replaces
the public title, component statuses and impact."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from warroom.domain.events import Event

# Statuspage's component statuses a publisher may set (maintenance comes from config).
COMPONENT_STATUSES = ("operational", "degraded_performance", "partial_outage", "major_outage")
IMPACTS = ("none", "minor", "major", "critical")
PUBLISHED = "published"
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Publication:
    """What the latest `published` event says the public sees."""

    title: str
    components: tuple[tuple[str, str], ...]  # (service, component status), sorted
    impact: str
    published_at: datetime  # the first publication
    updated_at: datetime  # the latest one
    published_by: str

    def status_of(self, service: str) -> str | None:
        return dict(self.components).get(service)


def publication(events: Iterable[Event]) -> Publication | None:
    """Fold the `published` events of one incident (any order-preserving subset of its chain)."""
    found: Publication | None = None
    for event in events:
        if event.kind != PUBLISHED:
            continue
        d = event.data
        found = Publication(
            title=str(d.get("title", "")),
            components=tuple(sorted((str(k), str(v)) for k, v in
                                    dict(d.get("components") or {}).items())),
            impact=str(d.get("impact", "none")),
            published_at=found.published_at if found else event.at, updated_at=event.at,
            published_by=found.published_by if found else event.actor)
    return found


def default_component_status(severity_rank: int) -> str:
    """A suggestion for the publish dialog: the most severe level is a major outage, the next
    a partial one, the rest degradation."""
    return ("major_outage", "partial_outage")[severity_rank] if severity_rank < 2 \
        else "degraded_performance"


def default_impact(severity_rank: int) -> str:
    return ("critical", "major")[severity_rank] if severity_rank < 2 else "minor"


def fill_title(template: str, values: Mapping[str, str]) -> str:
    """`{component}`-style placeholders from `values`; anything else stays as written. Plain
    substitution, never evaluation, so alert-derived values stay text."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template).strip()

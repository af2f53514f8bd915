"""Scheduled maintenance from the services' `maintenance:` entries in the org config.

The intake pipeline silences alerts in the same windows and spells them
`{starts_at, ends_at, comment, created_by}`; `{title, starts, ends, description}` is accepted
too, so an entry reads well on the status page either way."""

from __future__ import annotations

import hashlib
from typing import Any

from warroom.config.loader import Origins
from warroom.config.models import OrgConfig
from warroom.status.model import Maintenance, parse_when

FIELDS = ("starts_at", "ends_at", "comment", "created_by", "title", "starts", "ends",
          "description")


class MaintenanceConfigError(ValueError):
    """An invalid maintenance entry; the message names the file and line to fix."""


def _entry(raw: Any, where: str) -> tuple[str, str, Any, Any]:
    if not isinstance(raw, dict):
        raise MaintenanceConfigError(f"{where}: a maintenance entry is a mapping with "
                                     "starts_at, ends_at and comment")
    unknown = sorted(set(raw) - set(FIELDS))
    if unknown:
        raise MaintenanceConfigError(f"{where}: unknown field(s) {', '.join(unknown)}; "
                                     f"allowed: {', '.join(FIELDS)}")
    starts, ends = raw.get("starts_at") or raw.get("starts"), raw.get("ends_at") or \
        raw.get("ends")
    if not starts or not ends:
        raise MaintenanceConfigError(f"{where}: a maintenance entry needs starts_at and "
                                     "ends_at (e.g. starts_at: 2026-03-01T02:00:00Z, ends_at: "
                                     "2026-03-01T03:00:00Z, comment: DB upgrade)")
    comment = str(raw.get("comment") or "")
    title = str(raw.get("title") or comment or "Scheduled maintenance")
    description = str(raw.get("description") or (comment if raw.get("title") else ""))
    return title, description, starts, ends


def maintenances(config: OrgConfig, origins: Origins) -> list[Maintenance]:
    """Entries with the same title and window on several services become one maintenance."""
    merged: dict[tuple[str, str, str], Maintenance] = {}
    for s_index, svc in enumerate(config.services):
        if not svc.public:
            continue
        for m_index, raw in enumerate(svc.maintenance):
            where = origins.where(("services", s_index, "maintenance", m_index))
            title, description, starts_raw, ends_raw = _entry(raw, where)
            try:
                starts, ends = parse_when(starts_raw), parse_when(ends_raw)
            except ValueError as exc:
                raise MaintenanceConfigError(f"{where}: starts/ends must be ISO-8601 instants "
                                             f"such as 2026-03-01T02:00:00Z ({exc})") from exc
            if ends <= starts:
                raise MaintenanceConfigError(f"{where}: ends ({ends_raw}) must be after "
                                             f"starts ({starts_raw})")
            key = (title, starts.isoformat(), ends.isoformat())
            found = merged.get(key)
            if found:
                merged[key] = Maintenance(found.id, title, found.description or description,
                                          starts, ends, (*found.components, svc.name))
            else:
                ident = hashlib.sha256("|".join(key).encode()).hexdigest()[:12]
                merged[key] = Maintenance(f"m-{ident}", title, description, starts, ends,
                                          (svc.name,))
    return sorted(merged.values(), key=lambda m: m.starts)

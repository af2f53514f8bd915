"""A runbook being assembled by the importer: unique step ids, parameters, final checks."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from warroom.runbooks.importer.placeholders import ParamHint

IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]{2,}$")


def slug(text: str, limit: int = 48) -> str:
    value = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:limit].strip("-")
    return value or "step"


@dataclass
class Draft:
    id: str
    title: str
    source: str
    description: list[str] = field(default_factory=list)
    steps: list[dict[str, Any]] = field(default_factory=list)
    params: dict[str, ParamHint] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    alerts: list[str] = field(default_factory=list)
    services: list[str] = field(default_factory=list)
    severities: list[str] = field(default_factory=list)
    incident_types: list[str] = field(default_factory=list)
    owner: str | None = None
    schedule: str | None = None

    def add_step(self, step: dict[str, Any], hints: Sequence[ParamHint] = ()) -> dict[str, Any]:
        base = slug(step["title"], 40)
        step_id, n = base, 2
        taken = {s["id"] for s in self.steps}
        while step_id in taken:
            step_id, n = f"{base}-{n}", n + 1
        step = {"id": step_id, **{k: v for k, v in step.items() if v not in (None, False, "")}}
        self.steps.append(step)
        for hint in hints:
            self.params.setdefault(hint.name, hint)
        return step

    def finish(self, defaults: dict[str, str]) -> dict[str, Any]:
        params = []
        for hint in self.params.values():
            param: dict[str, Any] = {"name": hint.name,
                                     "description": f"Was {hint.original} in the source"}
            default = hint.default or defaults.get(hint.name)
            if hint.secret:
                param["secret"] = True
            elif default:
                param["default"] = default
            if hint.source:
                param["source"] = hint.source
            params.append(param)
        applies: dict[str, list[str]] = {}
        for key, values in (("services", self.services), ("alerts", self.alerts),
                            ("severities", self.severities),
                            ("incident_types", self.incident_types)):
            if values:
                applies[key] = values
        out: dict[str, Any] = {"id": self.id, "title": self.title}
        if self.owner:
            out["owner"] = self.owner
        if self.description:
            out["description"] = "\n\n".join(self.description)
        out["tags"] = self.tags
        if applies:
            out["applies_to"] = applies
        if self.schedule:
            out["schedule"] = self.schedule
        if params:
            out["parameters"] = params
        out["steps"] = self.steps
        out["source"] = self.source
        return out

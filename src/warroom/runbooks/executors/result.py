"""The outcome of running one step: what ran, what it printed, and a digest of that output."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

Outcome = Literal["ok", "failed", "skipped"]


@dataclass(frozen=True)
class StepResult:
    outcome: Outcome
    output: str
    output_sha256: str
    rendered: str
    duration_s: float
    detail: str = ""


def step_result(outcome: Outcome, output: str, rendered: str, duration_s: float = 0.0,
                detail: str = "") -> StepResult:
    """A StepResult with the sha256 of its output filled in."""
    digest = hashlib.sha256(output.encode("utf-8", errors="surrogateescape")).hexdigest()
    return StepResult(outcome, output, digest, rendered, duration_s, detail)

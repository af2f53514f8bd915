"""Geometry for the small server-rendered SVG charts (templates draw it; no JS needed)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    value: float
    label: str


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    points: list[Point]
    ceiling: float  # the value the top of the plot area stands for
    baseline: float  # y of the zero line
    labels: list[tuple[float, str]]  # (x, text) under the plot

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


def line_chart(values: Sequence[float | None], labels: Sequence[str], width: int = 320,
               height: int = 120, pad: int = 18) -> LineChart:
    """Evenly spaced points scaled to the largest value; None values leave a gap (no point)."""
    if len(values) != len(labels):
        raise ValueError("one label per value")
    present = [v for v in values if v is not None]
    ceiling = max(present) if present and max(present) > 0 else 1.0
    top, bottom = pad, height - pad
    step = (width - 2 * pad) / max(len(values) - 1, 1)
    points = []
    xs = []
    for i, (value, text) in enumerate(zip(values, labels, strict=True)):
        x = pad + i * step
        xs.append((x, text))
        if value is not None:
            y = bottom - (value / ceiling) * (bottom - top)
            points.append(Point(x, y, value, text))
    return LineChart(width, height, points, ceiling, bottom, xs)

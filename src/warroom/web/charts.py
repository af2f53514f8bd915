"""Geometry for the small server-rendered SVG charts (templates draw it; no JS needed)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# Series are told apart by marker shape and dash pattern as well as colour, so a chart reads
# the same in greyscale and to people who do not see the colours; the legend names each one.
MARKERS = ("circle", "square", "triangle", "diamond")
DASHES = ("", "6 3", "2 3", "8 3 2 3")


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


@dataclass(frozen=True)
class Series:
    """One named line of a multi-series chart; `slot` picks its marker, dash and colour."""

    name: str
    points: list[Point]
    slot: int
    tone: str  # a CSS class giving the colour, e.g. "sev-0" or "series-2"
    values: list[float | None]  # one per x label, None where there was nothing to measure

    @property
    def marker(self) -> str:
        return MARKERS[self.slot % len(MARKERS)]

    @property
    def dash(self) -> str:
        return DASHES[(self.slot + self.slot // len(MARKERS)) % len(DASHES)]

    @property
    def segments(self) -> list[str]:
        """Polylines through consecutive points: a missing value breaks the line."""
        runs: list[list[Point]] = [[]]
        points = iter(self.points)
        for value in self.values:
            if value is None:
                runs.append([])
            else:
                runs[-1].append(next(points))
        return [" ".join(f"{p.x:.1f},{p.y:.1f}" for p in run) for run in runs if len(run) > 1]

    def marker_paths(self, radius: float = 3.5) -> list[str]:
        return [marker_path(self.marker, p.x, p.y, radius) for p in self.points]

    @property
    def legend_marker(self) -> str:
        """The marker in the middle of a 30 × 12 legend swatch."""
        return marker_path(self.marker, 15, 6, 3.5)


@dataclass(frozen=True)
class MultiLineChart:
    width: int
    height: int
    series: list[Series]
    ceiling: float
    baseline: float
    top: float  # y of the ceiling line
    left: float  # x where the plot area starts
    right: float  # x where it ends
    labels: list[tuple[float, str]]

    @property
    def empty(self) -> bool:
        return not any(s.points for s in self.series)


def marker_path(shape: str, x: float, y: float, r: float) -> str:
    """An SVG path `d` for a marker centred on (x, y)."""
    if shape == "square":
        return f"M{x - r:.1f},{y - r:.1f}h{2 * r:.1f}v{2 * r:.1f}h{-2 * r:.1f}Z"
    if shape == "triangle":
        return f"M{x:.1f},{y - r:.1f}L{x + r:.1f},{y + r:.1f}L{x - r:.1f},{y + r:.1f}Z"
    if shape == "diamond":
        return f"M{x:.1f},{y - r:.1f}L{x + r:.1f},{y:.1f}L{x:.1f},{y + r:.1f}L{x - r:.1f},{y:.1f}Z"
    return (f"M{x - r:.1f},{y:.1f}a{r:.1f},{r:.1f} 0 1,0 {2 * r:.1f},0"
            f"a{r:.1f},{r:.1f} 0 1,0 {-2 * r:.1f},0")


def _ceiling(values: Sequence[float | None]) -> float:
    present = [v for v in values if v is not None]
    return max(present) if present and max(present) > 0 else 1.0


def _xs(count: int, left: float, right: float) -> list[float]:
    step = (right - left) / max(count - 1, 1)
    return [left + i * step for i in range(count)]


def _points(values: Sequence[float | None], labels: Sequence[str], xs: Sequence[float],
            ceiling: float, top: float, bottom: float) -> list[Point]:
    return [Point(x, bottom - (value / ceiling) * (bottom - top), value, text)
            for x, value, text in zip(xs, values, labels, strict=True) if value is not None]


def line_chart(values: Sequence[float | None], labels: Sequence[str], width: int = 320,
               height: int = 120, pad: int = 18) -> LineChart:
    """Evenly spaced points scaled to the largest value; None values leave a gap (no point)."""
    if len(values) != len(labels):
        raise ValueError("one label per value")
    ceiling = _ceiling(values)
    top, bottom = pad, height - pad
    xs = _xs(len(values), pad, width - pad)
    points = _points(values, labels, xs, ceiling, top, bottom)
    return LineChart(width, height, points, ceiling, bottom, list(zip(xs, labels, strict=True)))


def multi_line_chart(series: Sequence[tuple[str, Sequence[float | None]]],
                     labels: Sequence[str], tones: Sequence[str] | None = None,
                     width: int = 420, height: int = 170, pad: int = 18,
                     left: int = 44) -> MultiLineChart:
    """Several named lines on one shared scale (the largest value of any series).

    `left` leaves room for the value labels of the y axis; a None value breaks its line."""
    if any(len(values) != len(labels) for _, values in series):
        raise ValueError("one label per value in every series")
    if tones is not None and len(tones) != len(series):
        raise ValueError("one tone per series")
    ceiling = _ceiling([v for _, values in series for v in values])
    top, bottom = pad, height - pad
    xs = _xs(len(labels), left, width - pad)
    lines = [Series(name, _points(values, labels, xs, ceiling, top, bottom), slot,
                    tones[slot] if tones is not None else f"series-{slot}", list(values))
             for slot, (name, values) in enumerate(series)]
    return MultiLineChart(width, height, lines, ceiling, bottom, top, left, width - pad,
                          list(zip(xs, labels, strict=True)))

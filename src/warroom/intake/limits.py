"""Size limits on what one intake request may carry, checked once for every format after
parsing: alerts per request, labels per alert, key and value sizes, annotation sizes.

Generous for real monitoring (Alertmanager groups rarely exceed a few hundred alerts with a
few dozen labels), small enough that one request cannot bloat the alerts table or the
dedup index. Documented in docs/intake.md ("Limits")."""

from __future__ import annotations

from collections.abc import Sequence

from warroom.intake.errors import IntakeError
from warroom.intake.signal import Signal

MAX_ALERTS = 1_000
MAX_LABELS = 100
MAX_KEY_CHARS = 256
MAX_LABEL_VALUE_CHARS = 4_096
MAX_ANNOTATIONS = 100
MAX_ANNOTATION_VALUE_CHARS = 16_384
MAX_SUMMARY_CHARS = 4_096


def check(signals: Sequence[Signal], where: str = "alerts") -> None:
    """Raise IntakeError naming the first field over a limit."""
    if len(signals) > MAX_ALERTS:
        raise IntakeError(where, f"{len(signals)} alerts in one request; at most {MAX_ALERTS} "
                          "are accepted — split the batch")
    for index, signal in enumerate(signals):
        at = f"{where}[{index}]" if len(signals) > 1 or where == "alerts" else where
        _check_map(signal.labels, f"{at}.labels", MAX_LABELS, MAX_LABEL_VALUE_CHARS)
        _check_map(signal.annotations, f"{at}.annotations", MAX_ANNOTATIONS,
                   MAX_ANNOTATION_VALUE_CHARS)
        if len(signal.summary) > MAX_SUMMARY_CHARS:
            raise IntakeError(f"{at}.summary", f"{len(signal.summary)} characters; at most "
                              f"{MAX_SUMMARY_CHARS} are accepted")


def _check_map(values: dict[str, str], path: str, max_entries: int, max_value: int) -> None:
    if len(values) > max_entries:
        raise IntakeError(path, f"{len(values)} entries; at most {max_entries} are accepted")
    for key, value in values.items():
        if len(key) > MAX_KEY_CHARS:
            raise IntakeError(path, f"a name of {len(key)} characters ({key[:40]!r}...); "
                              f"names hold at most {MAX_KEY_CHARS}")
        if len(value) > max_value:
            raise IntakeError(f"{path}.{key}", f"{len(value)} characters; values hold at "
                              f"most {max_value}")

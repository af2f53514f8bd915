"""Cost of evaluating the example triage rules (examples/org/rules.yaml) per alert.

Run: .venv/bin/python bench/rules.py
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from warroom.intake.signal import Signal
from warroom.routing.rules import load_rules, signal_context
from warroom.yamlfile import load

RULES = Path(__file__).resolve().parent.parent / "examples" / "org" / "rules.yaml"
SEVERITIES = ["P0", "P1", "P2", "P3"]


def main() -> None:
    data, smap = load(RULES)
    started = time.perf_counter()
    tree = load_rules(data, smap, SEVERITIES)
    compile_ms = (time.perf_counter() - started) * 1000
    cases = {
        "first rule matches": {"alertname": "ServiceDown"},
        "walks every rule": {"alertname": "DiskAlmostFull"},
    }
    print(f"compile {compile_ms:.1f} ms (once per config load)")
    for name, labels in cases.items():
        signal = Signal("alertmanager", "am", "k", "firing", "bench", labels=labels)
        context = signal_context(signal, service="frontend")
        samples = []
        for _ in range(7):
            t0 = time.perf_counter()
            for _ in range(200):
                tree.evaluate("alert_firing", context)
            samples.append((time.perf_counter() - t0) / 200 * 1e6)
        print(f"{name:20s} median {statistics.median(samples):8.1f} µs per alert "
              f"(7 runs x 200)")


if __name__ == "__main__":
    main()

"""Running PromQL steps against a Prometheus /api/v1/query, with an optional threshold."""

from __future__ import annotations

import json
import math
import operator
import time
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

import httpx

from warroom.runbooks.executors.result import StepResult, step_result
from warroom.runbooks.model import ExecutionMode, PromqlExecutor, Threshold
from warroom.runbooks.templating import RenderError, render_text

_OPS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le,
    "==": operator.eq, "!=": operator.ne}


def promql_string(value: str) -> str:
    """Escape a value for use inside a double-quoted PromQL string (label matchers)."""
    return (value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
            .replace("\r", "\\r"))


def samples(data: dict[str, Any]) -> list[tuple[dict[str, str], float]]:
    """(labels, value) pairs from a query API response of type vector, scalar or matrix."""
    result = data.get("data", {})
    kind, values = result.get("resultType"), result.get("result")
    if kind == "scalar":
        return [({}, float(values[1]))]
    if kind == "vector":
        return [(item.get("metric", {}), float(item["value"][1])) for item in values]
    if kind == "matrix":
        return [(item.get("metric", {}), float(item["values"][-1][1]))
                for item in values if item.get("values")]
    return []


def _series(labels: dict[str, str]) -> str:
    name = labels.get("__name__", "")
    rest = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()) if k != "__name__")
    return f"{name}{{{rest}}}"


def check_threshold(found: list[tuple[dict[str, str], float]],
                    threshold: Threshold) -> list[str]:
    """Series that do not satisfy `value op threshold` (NaN never does)."""
    test = _OPS[threshold.op]
    return [f"{_series(labels)} = {value:g}" for labels, value in found
            if math.isnan(value) or not test(value, threshold.value)]


def run_promql(step: PromqlExecutor, params: Mapping[str, str], *, base_url: str,
               timeout: timedelta = timedelta(seconds=10), mode: ExecutionMode = "enabled",
               client: httpx.Client | None = None) -> StepResult:
    """Run an instant query; with a threshold, every sample must satisfy it (and one exist)."""
    try:
        query = render_text(step.query, params, promql_string)
    except RenderError as exc:
        return step_result("failed", "", step.query, detail=f"cannot render query: {exc}")
    if mode != "enabled":
        return step_result("skipped", "", query, detail=f"{mode}: query not sent")
    started = time.monotonic()
    owned = client is None
    http = client or httpx.Client()
    try:
        response = http.get(base_url.rstrip("/") + "/api/v1/query", params={"query": query},
                            timeout=timeout.total_seconds())
        data = response.json()
    except httpx.TimeoutException:
        return step_result("failed", "", query, time.monotonic() - started,
                           f"Prometheus did not answer within {timeout.total_seconds():g}s")
    except (httpx.HTTPError, json.JSONDecodeError) as exc:
        return step_result("failed", "", query, time.monotonic() - started,
                           f"query failed: {exc}")
    finally:
        if owned:
            http.close()
    duration = time.monotonic() - started
    if data.get("status") != "success":
        return step_result("failed", json.dumps(data), query, duration,
                           f"Prometheus error: {data.get('errorType')}: {data.get('error')}")
    found = samples(data)
    output = "\n".join(f"{_series(labels)} {value:g}" for labels, value in found)
    if step.threshold is None:
        return step_result("ok", output, query, duration, f"{len(found)} series")
    if not found:
        return step_result("failed", output, query, duration,
                           "no data: the threshold cannot be checked")
    failing = check_threshold(found, step.threshold)
    if failing:
        return step_result("failed", output, query, duration,
                           f"threshold {step.threshold.op} {step.threshold.value:g} not met by "
                           + ", ".join(failing))
    return step_result("ok", output, query, duration,
                       f"all {len(found)} series {step.threshold.op} {step.threshold.value:g}")

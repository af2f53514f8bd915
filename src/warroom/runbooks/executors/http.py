"""Running HTTP steps in-process with httpx: timeout, expected status codes and body text."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import timedelta

import httpx

from warroom.runbooks.executors.result import StepResult, step_result
from warroom.runbooks.model import ExecutionMode, HttpExecutor
from warroom.runbooks.templating import RenderError, render_text, render_url

OUTPUT_CAP = 64 * 1024


def run_http(step: HttpExecutor, params: Mapping[str, str], *,
             timeout: timedelta = timedelta(seconds=10), mode: ExecutionMode = "enabled",
             client: httpx.Client | None = None) -> StepResult:
    """Send the request and check it against the step's expectations."""
    try:
        url = render_url(step.url, params)
        headers = {k: render_text(v, params) for k, v in step.headers.items()}
        body = render_text(step.body, params) if step.body is not None else None
    except RenderError as exc:
        return step_result("failed", "", step.url, detail=f"cannot render request: {exc}")
    rendered = f"{step.method} {url}"
    if mode != "enabled":
        return step_result("skipped", "", rendered, detail=f"{mode}: request not sent")
    started = time.monotonic()
    owned = client is None
    http = client or httpx.Client()
    try:
        response = http.request(step.method, url, headers=headers, content=body,
                                timeout=timeout.total_seconds())
    except httpx.TimeoutException:
        return step_result("failed", "", rendered, time.monotonic() - started,
                           f"no response within {timeout.total_seconds():g}s")
    except httpx.HTTPError as exc:
        return step_result("failed", "", rendered, time.monotonic() - started,
                           f"request failed: {exc}")
    finally:
        if owned:
            http.close()
    duration = time.monotonic() - started
    text = response.text[:OUTPUT_CAP]
    problems = []
    if response.status_code not in step.expect_status:
        problems.append(f"status {response.status_code}, expected "
                        f"{' or '.join(map(str, step.expect_status))}")
    if step.expect_body is not None and step.expect_body not in response.text:
        problems.append(f"body does not contain {step.expect_body!r}")
    if problems:
        return step_result("failed", text, rendered, duration, "; ".join(problems))
    return step_result("ok", text, rendered, duration, f"status {response.status_code}")

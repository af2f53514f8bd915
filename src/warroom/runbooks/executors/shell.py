"""Running shell steps: timeout that kills the whole process group, output cap, env allowlist.

Parameters are rendered with context-aware shell quoting (warroom.runbooks.templating), so
alert text fills a value and never becomes code; each value is also in the environment as
`WR_P_<NAME>` for nested shells, and a step that puts an alert-filled parameter where a second
interpreter would parse it (warroom.runbooks.shellsafety) is refused. Above all, an
alert-filled value must be one inert word (warroom.runbooks.inert) or the step is refused:
that, not the recognition of nested contexts, is what keeps alert text from becoming code.
The default mode is dry-run.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from warroom.runbooks.executors.result import StepResult, step_result
from warroom.runbooks.model import ExecutionMode
from warroom.runbooks.shellsafety import (
    ValueRule,
    explain_use,
    option_refusals,
    parameter_env,
    unsafe_uses,
    value_refusals,
    withheld,
)
from warroom.runbooks.templating import RenderError, render_shell

DEFAULT_ENV_ALLOWLIST = frozenset({"PATH", "HOME", "LANG", "LC_ALL", "TZ", "KUBECONFIG"})


@dataclass(frozen=True)
class ShellPolicy:
    mode: ExecutionMode = "dry-run"
    timeout: timedelta = timedelta(seconds=60)
    output_cap: int = 64 * 1024                      # bytes kept; the rest is drained
    workdir: Path | None = None
    env_allowlist: frozenset[str] = DEFAULT_ENV_ALLOWLIST
    shell: str = "/bin/bash"
    kill_grace: timedelta = timedelta(seconds=2)
    extra_env: Mapping[str, str] = field(default_factory=dict)


def _kill_group(proc: subprocess.Popen[bytes], grace: float) -> None:
    """SIGTERM the whole process group, then SIGKILL it if the leader is still alive."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=grace)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def run_shell(command: str, params: Mapping[str, str], policy: ShellPolicy, *,
              timeout: timedelta | None = None,
              base_env: Mapping[str, str] | None = None,
              untrusted: Collection[str] | Mapping[str, ValueRule] = (),
              step_id: str = "shell") -> StepResult:
    """Render and (when enabled) run one shell step; never raises for a failing command.

    `untrusted` names the parameters filled from alert text (with their value rules): one of
    them inside a nested shell, eval, ssh or here-doc, or a value of one that is not an inert
    word, refuses the step, in every mode."""
    refused = [explain_use(step_id, use) for use in unsafe_uses(command, set(params),
                                                                  untrusted)]
    refused += option_refusals(step_id, command, params, untrusted)
    refused += value_refusals(step_id, command, params, untrusted)
    if refused:
        return step_result("failed", "", command, detail="refused: " + "; ".join(refused))
    try:
        rendered = render_shell(command, params)
    except RenderError as exc:
        return step_result("failed", "", command, detail=f"cannot render command: {exc}")
    if policy.mode == "disabled":
        return step_result("skipped", "", rendered,
                           detail="shell execution is disabled in this environment")
    if policy.mode == "dry-run":
        return step_result("skipped", "", rendered, detail="dry-run: rendered, not executed")
    source = os.environ if base_env is None else base_env
    env = {k: v for k, v in source.items() if k in policy.env_allowlist}
    env.update(policy.extra_env)
    hidden = withheld(command, params, untrusted)
    env.update(parameter_env({k: v for k, v in params.items() if k not in hidden}))
    limit = (timeout or policy.timeout).total_seconds()
    started = time.monotonic()
    try:
        proc = subprocess.Popen([policy.shell, "-c", rendered], stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                cwd=policy.workdir, env=env, start_new_session=True)
    except OSError as exc:
        return step_result("failed", "", rendered, detail=f"cannot start {policy.shell}: {exc}")
    kept, dropped, timed_out = bytearray(), 0, False
    assert proc.stdout is not None
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        while True:
            remaining = limit - (time.monotonic() - started)
            if remaining <= 0:
                timed_out = True
                break
            if not sel.select(timeout=min(remaining, 0.25)):
                if proc.poll() is not None and not _readable(proc):
                    break
                continue
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                break
            room = policy.output_cap - len(kept)
            kept += chunk[:max(room, 0)]
            dropped += max(len(chunk) - max(room, 0), 0)
    if timed_out:
        _kill_group(proc, policy.kill_grace.total_seconds())
    else:
        try:
            proc.wait(timeout=max(limit - (time.monotonic() - started), 0.1))
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill_group(proc, policy.kill_grace.total_seconds())
    # children that outlived the shell would keep running unsupervised
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.stdout.close()
    duration = time.monotonic() - started
    output = kept.decode("utf-8", errors="replace")
    notes = []
    if dropped:
        notes.append(f"output truncated: {dropped} byte(s) over the {policy.output_cap}-byte cap")
    if timed_out:
        notes.append(f"timed out after {limit:g}s; process group killed")
        return step_result("failed", output, rendered, duration, "; ".join(notes))
    code = proc.returncode
    notes.insert(0, f"exit status {code}")
    return step_result("ok" if code == 0 else "failed", output, rendered, duration,
                       "; ".join(notes))


def _readable(proc: subprocess.Popen[bytes]) -> bool:
    assert proc.stdout is not None
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        return bool(sel.select(timeout=0))

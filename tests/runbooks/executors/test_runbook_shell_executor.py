"""Shell steps run as real subprocesses: timeouts kill the group, output is capped."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

from warroom.runbooks.executors.shell import ShellPolicy, run_shell

ENABLED = ShellPolicy(mode="enabled", timeout=timedelta(seconds=10))


def test_a_command_runs_with_parameters_in_the_workdir(tmp_path: Path) -> None:
    policy = ShellPolicy(mode="enabled", workdir=tmp_path)
    result = run_shell("pwd; echo {{greeting}}", {"greeting": "hello there"}, policy)
    assert result.outcome == "ok"
    assert result.output == f"{tmp_path}\nhello there\n"
    assert result.rendered == "pwd; echo 'hello there'"
    assert len(result.output_sha256) == 64 and result.detail == "exit status 0"


def test_a_failing_command_is_failed_with_its_status() -> None:
    result = run_shell("echo nope >&2; exit 3", {}, ENABLED)
    assert (result.outcome, result.output, result.detail) == ("failed", "nope\n",
                                                               "exit status 3")


def test_dry_run_renders_without_running(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    result = run_shell("touch {{path}}", {"path": str(marker)}, ShellPolicy())
    assert result.outcome == "skipped" and "dry-run" in result.detail
    assert result.rendered == f"touch {marker}"
    assert not marker.exists()


def test_disabled_mode_runs_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    result = run_shell(f"touch {marker}", {}, ShellPolicy(mode="disabled"))
    assert result.outcome == "skipped" and "disabled" in result.detail
    assert not marker.exists()


def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    policy = ShellPolicy(mode="enabled", timeout=timedelta(seconds=0.5),
                         kill_grace=timedelta(seconds=0.5))
    started = time.monotonic()
    result = run_shell(f"sleep 60 & echo $! > {pidfile}; wait", {}, policy)
    assert result.outcome == "failed" and "timed out" in result.detail
    assert time.monotonic() - started < 5
    child = int(pidfile.read_text())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _alive(child):
        time.sleep(0.05)
    assert not _alive(child)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False


def test_output_cap_holds_and_the_rest_is_drained() -> None:
    policy = ShellPolicy(mode="enabled", output_cap=1000, timeout=timedelta(seconds=20))
    result = run_shell("head -c 5000000 /dev/zero | tr '\\0' x", {}, policy)
    assert result.outcome == "ok"
    assert len(result.output) == 1000
    assert "truncated: 4999000 byte(s)" in result.detail


def test_only_allowlisted_environment_reaches_the_command() -> None:
    env = {"PATH": os.environ["PATH"], "AWS_SECRET_ACCESS_KEY": "hunter2", "TZ": "UTC"}
    result = run_shell("env", {}, ENABLED, base_env=env)
    assert "TZ=UTC" in result.output
    assert "hunter2" not in result.output


def test_alert_text_never_executes(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    for attack in (f"x; touch {marker}", f"$(touch {marker})", f"`touch {marker}`",
                   f"'; touch {marker}; '"):
        result = run_shell("kubectl_stub() { printf '%s|' \"$@\"; }; "
                           "kubectl_stub -n {{namespace}}", {"namespace": attack}, ENABLED)
        assert result.output == f"-n|{attack}|"
    assert not marker.exists()

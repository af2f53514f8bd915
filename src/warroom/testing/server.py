"""Start a real `warroom serve` process on a free port, for end-to-end tests and benches."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

WARROOM = str(Path(sys.executable).with_name("warroom"))

# Every server started and not yet stopped, so a session can stop what a failed test left.
_running: set[Server] = set()


def load_scale() -> float:
    """How much slower than an idle machine this one is now: readiness waits multiply by it.
    `WARROOM_TEST_TIMEOUT_SCALE` multiplies it further for slow CI machines."""
    per_core = os.getloadavg()[0] / (os.cpu_count() or 1)
    return max(1.0, per_core) * float(os.environ.get("WARROOM_TEST_TIMEOUT_SCALE", "1"))


def _die_with_parent() -> None:
    """Ask Linux to SIGTERM the server when the process that started it dies, so a test run
    killed by a timeout leaves no `warroom serve` behind. Linux ties this to the starting
    *thread*, so only servers started from the main thread ask for it (a pool thread that
    ends would take its servers with it)."""
    if sys.platform == "linux":
        import ctypes
        import signal
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def stop_all() -> None:
    """Stop every server this process started and did not stop (a session-end safety net)."""
    for server in list(_running):
        server.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(eq=False)
class Server:
    workdir: Path
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[str] | None = None
    log: Path | None = None
    args: list[str] = field(default_factory=list)
    """extra `warroom serve` options, e.g. ["--example-data"]"""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> None:
        """Start the server and wait until /readyz answers; the wait scales with the machine's
        load. A server that fails to become ready is stopped before the error is raised."""
        self.log = self.workdir / f"serve-{self.port}.log"
        env = {**os.environ, **self.env, "WARROOM_BIND": f"127.0.0.1:{self.port}"}
        self.proc = subprocess.Popen([WARROOM, "serve", *self.args], cwd=self.workdir, env=env,
                                     stdout=self.log.open("w"), stderr=subprocess.STDOUT,
                                     text=True, preexec_fn=_die_with_parent
                                     if threading.current_thread() is threading.main_thread()
                                     else None)
        _running.add(self)
        try:
            self._wait_ready(timeout * load_scale())
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self, timeout: float) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"warroom serve exited: {self.output()}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"warroom serve not ready in {timeout:.0f}s: {self.output()}")

    def output(self) -> str:
        return self.log.read_text() if self.log and self.log.exists() else ""

    def stop(self) -> None:
        _running.discard(self)
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def cli(args: list[str], env: Mapping[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([WARROOM, *args], env={**os.environ, **env}, cwd=cwd,
                          capture_output=True, text=True, timeout=60)

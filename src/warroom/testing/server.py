"""Start a real `warroom serve` process on a free port, for end-to-end tests and benches."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

WARROOM = str(Path(sys.executable).with_name("warroom"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    workdir: Path
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[str] | None = None
    log: Path | None = None
    args: list[str] = field(default_factory=list)  # extra `warroom serve` options

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> None:
        self.log = self.workdir / f"serve-{self.port}.log"
        env = {**os.environ, **self.env, "WARROOM_BIND": f"127.0.0.1:{self.port}"}
        self.proc = subprocess.Popen([WARROOM, "serve", *self.args], cwd=self.workdir, env=env,
                                     stdout=self.log.open("w"), stderr=subprocess.STDOUT,
                                     text=True)
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
        self.stop()  # never leave a half-started server behind
        raise RuntimeError(f"warroom serve not ready in {timeout}s: {self.output()}")

    def output(self) -> str:
        return self.log.read_text() if self.log and self.log.exists() else ""

    def stop(self) -> None:
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

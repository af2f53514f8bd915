"""The test server helper never leaves a `warroom serve` behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from warroom.testing.server import load_scale

STARTER = """
import sys
from pathlib import Path
from warroom.testing.server import Server
server = Server(Path(sys.argv[1]), {"WARROOM_DATABASE_URL": "sqlite:///" + sys.argv[1] + "/w.db",
                                    "WARROOM_CONFIG": ""})
server.start()
print(server.proc.pid, flush=True)
sys.stdin.read()
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"


@pytest.mark.e2e
@pytest.mark.skipif(sys.platform != "linux", reason="parent-death signal is Linux-only")
def test_server_dies_when_the_process_that_started_it_is_killed(tmp_path: Path) -> None:
    starter = subprocess.Popen([sys.executable, "-c", STARTER, str(tmp_path)],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert starter.stdout is not None
        serve_pid = int(starter.stdout.readline())
        assert _alive(serve_pid)
        starter.send_signal(signal.SIGKILL)
        starter.wait()
        deadline = time.monotonic() + 15 * load_scale()
        while _alive(serve_pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(serve_pid), "warroom serve outlived the test process that started it"
    finally:
        starter.kill()
        starter.wait()

"""Cold start and idle memory: how long `warroom serve` takes to answer /readyz, and its RSS
once idle, with the example organisation.

    .venv/bin/python bench/startup.py [--runs 5] [--idle 10]

Each run starts a new process. "first start" runs on an empty data folder (migrations, secret
and signing keys, users from config); "restart" reuses that folder, as a restart after an
upgrade or crash does. The clock runs from spawning the process until /readyz answers 200.
RSS is read from /proc after the server has been idle (worker threads running) for --idle
seconds, then again after 200 dashboard and API requests.

The reference, timed in the same run, is a bare Python importing the libraries warroom
serves with (FastAPI, SQLAlchemy, Alembic, cel-python, Jinja2, httpx, uvicorn): the floor
any server built on this stack starts from on this machine.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from warroom.testing.server import Server, cli

REPO = Path(__file__).resolve().parents[1]
ORG = REPO / "examples" / "org"


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc status")


STACK = "import fastapi, sqlalchemy, alembic, celpy, jinja2, httpx, uvicorn"


def stack_import() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", STACK], check=True)
    return time.perf_counter() - started


def timed_start(server: Server) -> float:
    started = time.perf_counter()
    server.start(timeout=60)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--idle", type=float, default=10)
    args = parser.parse_args()
    first: list[float] = []
    again: list[float] = []
    idle: list[float] = []
    busy: list[float] = []
    floor: list[float] = []
    for _ in range(args.runs):
        floor.append(stack_import())
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            env = {"WARROOM_CONFIG": str(ORG), "WARROOM_DATA_DIR": str(work / "data"),
                   "WARROOM_DATABASE_URL": f"sqlite:///{work / 'warroom.db'}",
                   "WARROOM_LOG_LEVEL": "WARNING"}
            server = Server(work, env)
            first.append(timed_start(server))
            server.stop()
            server = Server(work, env)
            again.append(timed_start(server))
            assert server.proc is not None
            time.sleep(args.idle)
            idle.append(rss_mb(server.proc.pid))
            token = cli(["token", "create", "--user", "admin"], env, work).stdout.split()[-1]
            with httpx.Client(base_url=server.url, timeout=30,
                              headers={"Authorization": f"Bearer {token}"}) as client:
                for i in range(200):
                    path = ("/", "/incidents", "/api/v1/dashboard", "/status")[i % 4]
                    client.get(path).raise_for_status()
            busy.append(rss_mb(server.proc.pid))
            server.stop()
    print(f"reference, importing the stack alone: median {statistics.median(floor):.2f} s")
    print(f"first start to ready: median {statistics.median(first):.2f} s "
          f"(max {max(first):.2f}) over {args.runs} runs")
    print(f"restart to ready:     median {statistics.median(again):.2f} s "
          f"(max {max(again):.2f}); {statistics.median(again) / statistics.median(floor):.1f}"
          "x the reference")
    print(f"idle RSS after {args.idle:.0f} s:   median {statistics.median(idle):.0f} MB "
          f"(max {max(idle):.0f}); after 200 page requests {statistics.median(busy):.0f} MB")


if __name__ == "__main__":
    main()

"""The README's tour is true: `examples/tour.sh` runs its shell blocks, as written, against a
real `warroom serve --example-data` of the example organisation, and checks that the critical
alert opened a P0 incident and paged the on-call."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from warroom.testing.runtime import REPO
from warroom.testing.server import Server

pytestmark = pytest.mark.e2e


def test_the_readme_tour_runs_as_written_and_pages_the_on_call(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'warroom.db'}"
    env = {"WARROOM_CONFIG": str(REPO / "examples" / "org"), "WARROOM_DATABASE_URL": db,
           "WARROOM_DATA_DIR": str(tmp_path / "data")}
    server = Server(tmp_path, env, args=["--example-data"])
    server.start(timeout=60)
    try:
        done = subprocess.run(
            ["bash", str(REPO / "examples" / "tour.sh")], capture_output=True, text=True,
            timeout=300, env={**os.environ, **env, "TOUR_URL": server.url,
                              "TOUR_DIR": str(tmp_path / "tour"),
                              "TOUR_VENV": str(Path(sys.executable).parents[1])})
    finally:
        server.stop()
    assert done.returncode == 0, (done.stdout[-4000:], done.stderr[-4000:],
                                  server.output()[-3000:])
    assert "tour: OK" in done.stdout
    assert (tmp_path / "tour" / "pack.tar.gz").stat().st_size > 0

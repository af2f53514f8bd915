"""Schemathesis against a real `warroom serve` on each engine: no input gets a 5xx, and every
answer matches the OpenAPI document (status, content type, schema). Live streams excepted.

Bounded for CI by WARROOM_FUZZ_EXAMPLES (cases per operation, 15); WARROOM_FUZZ_MAX_TIME
(seconds) turns it into a longer run bounded by the clock instead (docs/api.md)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from warroom.testing.runtime import REPO
from warroom.testing.server import Server, cli

pytestmark = pytest.mark.e2e

ST = str(Path(sys.executable).with_name("st"))
CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,"
          "response_schema_conformance")
# Server-sent event streams never end, so no request against them can complete.
EXCLUDE = r"/live(/|$)"


# Revoking the run's own token would turn every later case into a 401, so this operation
# runs on its own, after all the others.
REVOKE = "/api/v1/tokens/{token_id}/revoke"


def st_command(server: Server, token: str, report: Path, select: list[str]) -> list[str]:
    """The schemathesis command; `select` picks operations (the revoke one runs untimed)."""
    max_time = os.environ.get("WARROOM_FUZZ_MAX_TIME")
    # With a time budget, cases per operation are not the bound: the clock is.
    timed = bool(max_time) and "--include-path" not in select  # the revoke run stays short
    examples = os.environ.get("WARROOM_FUZZ_EXAMPLES", "100000" if timed else "15")
    command = [ST, "run", f"{server.url}/api/v1/openapi.json",
               "-H", f"Authorization: Bearer {token}", "--checks", CHECKS, *select,
               "--phases", "examples,coverage,fuzzing,stateful",
               "--max-examples", examples, "--workers", "1",
               "--seed", os.environ.get("WARROOM_FUZZ_SEED", "20261202"),
               "--no-color", "--request-timeout", "30", "--suppress-health-check", "all",
               "--report", "junit", "--report-junit-path", str(report),
               "--generation-database", "none"]
    if timed:
        command += ["--max-time", str(max_time)]
    return command


def test_every_operation_conforms_and_never_answers_5xx(db_url: str, tmp_path: Path) -> None:
    env = {"WARROOM_CONFIG": str(REPO / "examples" / "org"), "WARROOM_DATABASE_URL": db_url,
           "WARROOM_DATA_DIR": str(tmp_path / "data"), "WARROOM_WORKERS": "0"}
    # Example incidents (with postmortems, action items) give reads something to find.
    server = Server(tmp_path, env, args=["--example-data"])
    server.start(timeout=60)
    try:
        made = cli(["token", "create", "--user", "admin"], env, tmp_path)
        assert made.returncode == 0, made.stderr
        token = made.stdout.strip().splitlines()[-1]
        runs = [subprocess.run(st_command(server, token, tmp_path / f"junit-{i}.xml", select),
                               cwd=tmp_path, capture_output=True, text=True, timeout=3600)
                for i, select in enumerate((
                    ["--exclude-path-regex", EXCLUDE, "--exclude-path", REVOKE],
                    ["--include-path", REVOKE]))]
    finally:
        server.stop()
    (tmp_path / "schemathesis.txt").write_text("".join(run.stdout for run in runs))
    for run in runs:
        print(run.stdout[-1200:])  # the summary: operations, phases, cases (shown with -s)
        assert "Runtime Error" not in run.stdout, run.stdout[-6000:]
        assert "Authentication failed" not in run.stdout, run.stdout[-6000:]
        assert run.returncode == 0, run.stdout[-12000:] + server.output()[-4000:]

"""`warroom report seed-example` and `warroom report --local` on each engine: the example
data's MTTx by severity, as Rich tables and as JSON."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from warroom.cli.report import app

runner = CliRunner()


def test_report_shows_mttx_by_severity_for_the_example_data(
        db_url: str, tmp_path: Path) -> None:
    env = {"WARROOM_DATABASE_URL": db_url, "WARROOM_DATA_DIR": f"{tmp_path}/data",
           "WARROOM_CONFIG": ""}
    seeded = runner.invoke(app, ["seed-example", "--yes"], env=env)
    assert seeded.exit_code == 0, seeded.output
    shown = runner.invoke(app, ["--local"], env=env, terminal_width=200)
    assert shown.exit_code == 0, shown.output
    assert "Drills excluded: 1" in shown.stdout
    assert "By severity" in shown.stdout
    lines = {line.split("│")[1].strip(): line for line in shown.stdout.splitlines()
             if line.startswith("│") and line.split("│")[1].strip() in ("P0", "P1", "P2", "P3")}
    assert set(lines) == {"P0", "P1", "P2", "P3"}
    assert "8m / 11m" in lines["P0"]  # MTTA median / p90 of the two example P0s
    as_json = runner.invoke(app, ["--local", "--json"], env=env)
    body = json.loads(as_json.stdout)
    assert [g["key"] for g in body["by_severity"]] == ["P0", "P1", "P2", "P3"]

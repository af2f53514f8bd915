"""`warroom drill run` against a real `warroom serve`: the scenario's alerts go in through the
generic intake webhook and open the drill incident; `warroom drill score` scores it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from warroom.clock import SystemClock
from warroom.testing.intake import keys
from warroom.testing.runtime import make_runtime, make_users
from warroom.testing.server import Server, cli

pytestmark = pytest.mark.e2e

SCENARIO = {
    "name": "p1-api-errors", "severity": "P1", "cadence": "quarterly",
    "alerts": [{"summary": "HighErrorRate: api 5xx above 50%", "service": "api",
                "severity": "critical", "labels": {"alertname": "HighErrorRate"}}],
    "targets": {"ack_within": "15m"},
}


def test_drill_run_injects_through_intake_and_score_reports_the_missed_ack(
        tmp_path: Path) -> None:
    config = tmp_path / "org.yaml"
    config.write_text(yaml.safe_dump({
        "services": [{"name": "api"}],
        "integrations": [{"name": "drills", "kind": "generic"}]}))
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(yaml.safe_dump(SCENARIO))
    db_url = f"sqlite:///{tmp_path / 'warroom.db'}"
    runtime = make_runtime(db_url, tmp_path, SystemClock(), config)  # type: ignore[arg-type]
    token = make_users(runtime).tokens["responder"]
    key = keys(runtime)["drills"]
    runtime.engine.dispose()
    env = {"WARROOM_DATABASE_URL": db_url, "WARROOM_DATA_DIR": str(tmp_path / "data"),
           "WARROOM_CONFIG": str(config), "WARROOM_BOOTSTRAP_ADMIN": ""}
    server = Server(tmp_path, env)
    server.start()
    try:
        env |= {"WARROOM_URL": server.url, "WARROOM_TOKEN": token}
        ran = cli(["drill", "run", str(scenario), "--key", key], env, tmp_path)
        assert ran.returncode == 0, ran.stdout + ran.stderr
        assert "[DRILL] injected 1 alert(s) for p1-api-errors" in ran.stdout
        match = re.search(r"drill incident (INC-\d{4}-\d{4})", ran.stdout)
        assert match, ran.stdout
        scored = cli(["drill", "score", str(scenario), match.group(1), "--json"], env,
                     tmp_path)
        assert scored.returncode == 0, scored.stderr
        card = json.loads(scored.stdout)["scorecard"]
        assert card["time_to_ack"] is None
        assert card["targets"] == [{"name": "Acknowledged", "target": "within 15m",
                                    "actual": "never happened", "met": False}]
    finally:
        server.stop()

"""Every shipped example runs green: the example organisation passes `config check`, and each
drill in examples/drills names runbooks and steps that exist and, run with `warroom drill run`
against a real `warroom serve` of the example organisation, opens one drill incident at the
scenario's severity."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from warroom.evidence.drills import load_scenario
from warroom.testing.runtime import REPO
from warroom.testing.server import Server, cli

pytestmark = pytest.mark.e2e

ORG = REPO / "examples" / "org"
DRILLS = sorted((REPO / "examples" / "drills").glob("*.yaml"))


def test_the_example_organisation_passes_config_check(tmp_path: Path) -> None:
    checked = cli(["config", "check", str(ORG)], {}, tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.startswith("ok ")


@pytest.mark.parametrize("scenario", DRILLS, ids=[p.stem for p in DRILLS])
def test_each_shipped_drill_names_a_runbook_and_steps_that_exist(scenario: Path,
                                                                 tmp_path: Path) -> None:
    checked = cli(["drill", "check", str(scenario)], {"WARROOM_CONFIG": str(ORG)}, tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "note:" not in checked.stdout  # the runbooks were really looked at


def test_drill_check_refuses_a_runbook_or_step_that_does_not_exist(tmp_path: Path) -> None:
    text = DRILLS[0].read_text()
    scenario = load_scenario(DRILLS[0])
    assert scenario.expected_runbook and scenario.targets.steps_required
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace(scenario.targets.steps_required[0], "rollback-deploy"))
    refused = cli(["drill", "check", str(bad)], {"WARROOM_CONFIG": str(ORG)}, tmp_path)
    assert refused.returncode == 2
    assert "'rollback-deploy' is not a step of runbook" in refused.stderr
    bad.write_text(text.replace(f"expected_runbook: {scenario.expected_runbook}",
                                "expected_runbook: frontend-outage"))
    refused = cli(["drill", "check", str(bad), "--runbooks", str(REPO / "examples/runbooks")],
                  {}, tmp_path)
    assert refused.returncode == 2
    assert "no runbook 'frontend-outage'" in refused.stderr


@pytest.fixture
def example_org(tmp_path: Path) -> Iterator[tuple[Server, dict[str, str]]]:
    env = {"WARROOM_CONFIG": str(ORG)}
    server = Server(tmp_path, dict(env))
    server.start()
    try:
        token = cli(["token", "create", "--user", "admin"], env, tmp_path).stdout
        yield server, {**env, "WARROOM_URL": server.url,
                       "WARROOM_TOKEN": token.strip().splitlines()[-1]}
    finally:
        server.stop()


def test_every_shipped_drill_runs_green_against_the_example_organisation(
        example_org: tuple[Server, dict[str, str]], tmp_path: Path) -> None:
    server, env = example_org
    listed = cli(["integration", "list", "--json"], env, tmp_path)
    assert listed.returncode == 0, listed.stderr
    [key] = [i["key"] for i in json.loads(listed.stdout) if i["name"] == "drills"]
    headers = {"Authorization": f"Bearer {env['WARROOM_TOKEN']}"}
    for path in DRILLS:
        scenario = load_scenario(path)
        ran = cli(["drill", "run", str(path), "--key", key], env, tmp_path)
        assert ran.returncode == 0, (path.name, ran.stdout, ran.stderr, server.output()[-3000:])
        match = re.search(r"drill incident (INC-\d{4}-\d{4})", ran.stdout)
        assert match, ran.stdout
        incident = httpx.get(f"{server.url}/api/v1/incidents/{match.group(1)}",
                             headers=headers, timeout=10).json()
        assert incident["is_drill"], incident
        assert incident["severity"] == scenario.severity, (path.name, incident)
        assert incident["services"] == sorted({a.service for a in scenario.alerts})
        alerts = httpx.get(f"{server.url}/api/v1/alerts", headers=headers,
                           params={"incident": match.group(1)}, timeout=10).json()["items"]
        # One problem, one incident: every alert the drill injected joined it.
        assert len(alerts) == len(scenario.alerts), (path.name, alerts)

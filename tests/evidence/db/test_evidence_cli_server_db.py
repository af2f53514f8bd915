"""The postmortem, action and evidence CLIs against a real `warroom serve`, on each engine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from warroom.cli.action import app as action_app
from warroom.cli.evidence import app as evidence_app
from warroom.cli.postmortem import app as postmortem_app
from warroom.cli.report import app as report_app
from warroom.clock import FakeClock
from warroom.evidence.keys import load_or_create_signing_key
from warroom.evidence.verify import verify_pack
from warroom.services.users import UserService
from warroom.testing.evidence_db import ScriptedTimes, scripted_p0
from warroom.testing.runtime import make_runtime, make_users
from warroom.testing.server import Server

pytestmark = pytest.mark.e2e
runner = CliRunner()


@pytest.fixture
def served(db_url: str, tmp_path: Path) -> Iterator[tuple[Server, dict[str, str],
                                                          ScriptedTimes]]:
    clock = FakeClock()
    runtime = make_runtime(db_url, tmp_path, clock)
    tokens = make_users(runtime).tokens
    commander = UserService(runtime).principal_for("commander")
    assert commander is not None
    story = scripted_p0(runtime, clock, commander)
    runtime.engine.dispose()
    server = Server(tmp_path, {"WARROOM_DATABASE_URL": db_url, "WARROOM_CONFIG": "",
                               "WARROOM_DATA_DIR": str(tmp_path / "data"),
                               "WARROOM_BOOTSTRAP_ADMIN": "", "WARROOM_WORKERS": "0"})
    server.start()
    try:
        yield server, {"WARROOM_URL": server.url, "WARROOM_TOKEN": tokens["commander"]}, story
    finally:
        server.stop()


def test_postmortem_action_and_export_commands_work_against_the_server(
        served: tuple[Server, dict[str, str], ScriptedTimes], tmp_path: Path) -> None:
    _server, env, story = served
    ref = story.human_id
    shown = runner.invoke(postmortem_app, ["show", ref], env=env, terminal_width=120)
    assert shown.exit_code == 0, shown.output
    assert "postmortem — draft, revision 1 by warroom" in shown.stdout
    html = runner.invoke(postmortem_app, ["export", ref, "--format", "html"], env=env)
    assert html.exit_code == 0, html.output
    assert html.stdout.startswith("<!doctype html>")
    assert "<h1>Incident Post-Mortem" in html.stdout
    source = tmp_path / "pir.md"
    source.write_text("# PIR\n\n## Action Items\n- [ ] Add a canary stage (owner: bob)\n")
    assert runner.invoke(postmortem_app, ["edit", ref, str(source)], env=env).exit_code == 0
    moved = runner.invoke(postmortem_app, ["status", ref, "in_review"], env=env)
    assert moved.exit_code == 0 and "now in_review" in moved.stdout
    bad = runner.invoke(postmortem_app, ["status", ref, "draft-ish"], env=env)
    assert bad.exit_code == 2

    created = runner.invoke(action_app, ["create", ref, "--from-postmortem"], env=env,
                            terminal_width=160)
    assert created.exit_code == 0, created.output
    assert "Add a canary stage" in created.stdout
    updated = runner.invoke(action_app, ["update", "1", "--status", "done"], env=env)
    assert updated.exit_code == 0 and "done" in updated.stdout
    listed = runner.invoke(action_app, ["list", "--status", "done"], env=env,
                           terminal_width=160)
    assert "Add a canary stage" in listed.stdout

    report_shown = runner.invoke(report_app, ["--period", "week"], env=env,
                                 terminal_width=200)
    assert report_shown.exit_code == 0, report_shown.output
    p0_rows = [line for line in report_shown.stdout.splitlines() if line.startswith("│ P0")]
    assert p0_rows and "3m / 3m" in p0_rows[0]  # MTTA median / p90 of the scripted P0

    out = tmp_path / "pack.zip"
    exported = runner.invoke(evidence_app, ["export", ref, "--out", str(out), "--api"],
                             env=env)
    assert exported.exit_code == 0, exported.output
    key = load_or_create_signing_key(tmp_path / "data").public_key()
    report = verify_pack(out, key)
    assert report.ok, report.problems
    folder = runner.invoke(evidence_app, ["export", ref, "--out", str(tmp_path / "dir"),
                                          "--api"], env=env)
    assert folder.exit_code == 0, folder.output
    assert verify_pack(tmp_path / "dir", key).ok
    denied = runner.invoke(evidence_app, ["export", ref, "--out", str(tmp_path / "x.zip"),
                                          "--api"], env={**env, "WARROOM_TOKEN": "nope"})
    assert denied.exit_code == 1
    assert "401" in denied.output

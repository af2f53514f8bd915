"""Local CLI commands (user, token, config) through Typer's runner against a real database."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from warroom.cli.main import app


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"WARROOM_DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}",
            "WARROOM_DATA_DIR": str(tmp_path / "data"), "WARROOM_CONFIG": ""}


def test_user_create_then_token_prints_token_alone_on_last_line(env: dict[str, str]) -> None:
    runner = CliRunner()
    made = runner.invoke(app, ["user", "create", "ann", "--admin", "--password", "s3cret-pw"],
                         env=env)
    assert made.exit_code == 0, made.output
    assert "created user ann (admin)" in made.output
    issued = runner.invoke(app, ["token", "create", "--user", "ann", "--role", "viewer"],
                           env=env)
    assert issued.exit_code == 0, issued.output
    last = issued.output.strip().splitlines()[-1]
    assert last.startswith("wr_") and " " not in last and len(last) > 40
    listed = runner.invoke(app, ["user", "list"], env=env)
    assert "ann" in listed.output and "admin" in listed.output
    revoked = runner.invoke(app, ["token", "revoke", "1"], env=env)
    assert revoked.exit_code == 0 and "revoked" in revoked.output


def test_user_create_prompts_for_password(env: dict[str, str]) -> None:
    result = CliRunner().invoke(app, ["user", "create", "bea"], input="pw-long-1\npw-long-1\n",
                                env=env)
    assert result.exit_code == 0, result.output
    assert "created user bea (responder)" in result.output


def test_duplicate_user_is_a_clean_error(env: dict[str, str]) -> None:
    runner = CliRunner()
    runner.invoke(app, ["user", "create", "cy", "--password", "long-enough"], env=env)
    again = runner.invoke(app, ["user", "create", "cy", "--password", "long-enough"], env=env)
    assert again.exit_code == 1
    assert "user 'cy' already exists" in again.output
    assert "Traceback" not in again.output


def test_token_role_cannot_exceed_user_role(env: dict[str, str]) -> None:
    runner = CliRunner()
    runner.invoke(app, ["user", "create", "dee", "--role", "viewer", "--password", "longenough"],
                  env=env)
    result = runner.invoke(app, ["token", "create", "--user", "dee", "--role", "admin"], env=env)
    assert result.exit_code == 1 and "cannot have more than its user's role" in result.output


def test_config_check_reports_file_and_line(tmp_path: Path, env: dict[str, str]) -> None:
    bad = tmp_path / "org.yaml"
    bad.write_text("severities:\n  - key: P0\n    name: Critical\n    ack_sla: never\n")
    result = CliRunner().invoke(app, ["config", "check", str(bad)], env=env)
    assert result.exit_code == 2
    assert f"{bad}:4: severities.0.ack_sla" in result.output.replace("\n", "")


def test_config_schema_is_json(env: dict[str, str]) -> None:
    import json

    result = CliRunner().invoke(app, ["config", "schema"], env=env)
    assert result.exit_code == 0
    assert "severities" in json.loads(result.output)["properties"]


def test_db_upgrade_and_status(env: dict[str, str]) -> None:
    runner = CliRunner()
    up = runner.invoke(app, ["db", "upgrade"], env=env)
    assert up.exit_code == 0 and "database at revision" in up.output
    status = runner.invoke(app, ["db", "status"], env=env)
    import re

    match = re.search(r"current: (\S+)\s+expected: (\S+)", status.output)
    assert status.exit_code == 0 and match and match.group(1) == match.group(2)


def test_audit_chain_records_admin_changes_and_detects_edits(env: dict[str, str],
                                                            tmp_path: Path) -> None:
    import sqlite3

    runner = CliRunner()
    runner.invoke(app, ["user", "create", "eve", "--password", "long-enough"], env=env)
    runner.invoke(app, ["token", "create", "--user", "eve"], env=env)
    ok = runner.invoke(app, ["audit", "verify"], env=env)
    assert ok.exit_code == 0 and "2 entries" in ok.output
    listed = runner.invoke(app, ["audit", "list"], env=env)
    assert "user_created" in listed.output and "token_created" in listed.output
    with sqlite3.connect(tmp_path / "w.db") as conn:
        conn.execute("UPDATE audit_events SET actor='mallory' WHERE seq=1")
    bad = runner.invoke(app, ["audit", "verify"], env=env)
    assert bad.exit_code == 1 and "event #1" in bad.output


def test_user_role_deactivate_and_end_sessions(env: dict[str, str]) -> None:
    runner = CliRunner()
    runner.invoke(app, ["user", "create", "eve", "--admin", "--password", "longenough"], env=env)
    runner.invoke(app, ["user", "create", "fay", "--password", "longenough"], env=env)
    token = runner.invoke(app, ["token", "create", "--user", "fay"], env=env)
    assert token.exit_code == 0, token.output
    role = runner.invoke(app, ["user", "role", "fay", "commander", "--security"], env=env)
    assert role.exit_code == 0 and "fay is now commander, security" in role.output
    bad = runner.invoke(app, ["user", "role", "fay", "owner"], env=env)
    assert bad.exit_code == 1 and "unknown role 'owner'" in bad.output
    ended = runner.invoke(app, ["user", "end-sessions", "fay"], env=env)
    assert ended.exit_code == 0 and "ended 0 session(s) of fay" in ended.output
    off = runner.invoke(app, ["user", "deactivate", "fay"], env=env)
    assert off.exit_code == 0 and "deactivated" in off.output
    listed = runner.invoke(app, ["user", "list"], env=env)
    [fay] = [line.split("│") for line in listed.output.splitlines() if " fay " in line]
    assert [cell.strip() for cell in fay[1:5]] == ["fay", "commander", "yes", "no"]
    tokens = runner.invoke(app, ["token", "revoke", "1"], env=env)  # already revoked: no-op
    assert tokens.exit_code == 0
    last = runner.invoke(app, ["user", "deactivate", "eve"], env=env)
    assert last.exit_code == 1 and "last active admin" in last.output

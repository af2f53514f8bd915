"""The `runbooks:` config section and the registry it builds: modes, file:line errors,
and runbooks outside the configured directory never being loaded."""

from __future__ import annotations

from pathlib import Path

import pytest

from warroom.config.loader import ConfigError, load_config
from warroom.runbooks.registry import build_registry, config_dir, parse_settings
from warroom.testing.runbooks import write_org
from warroom.testing.runtime import REPO


def test_execution_mode_follows_the_environment_and_defaults_to_dry_run() -> None:
    assert parse_settings({}).mode() == "dry-run"
    settings = parse_settings({"environment": "prod",
                               "execution": {"default": "disabled", "prod": "enabled"}})
    assert settings.mode() == "enabled"
    assert parse_settings({"environment": "qa", "execution": {"default": "disabled"}}
                          ).mode() == "disabled"


def test_a_bad_runbooks_section_names_the_config_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "org.yaml").write_text("runbooks:\n  directory: x\n  execution:\n"
                                       "    prod: sometimes\n")
    loaded = load_config(tmp_path)
    with pytest.raises(ConfigError) as err:
        parse_settings(loaded.config.runbooks, loaded.origins.where)
    assert f"{tmp_path / 'org.yaml'}:4: runbooks.execution.prod" in str(err.value)


def test_only_the_configured_directory_is_loaded_and_lint_errors_carry_file_and_line(
        tmp_path: Path) -> None:
    config = write_org(tmp_path, [
        {"id": "good", "title": "Good", "steps": [{"id": "a", "title": "A"}]},
        {"id": "bad", "title": "Bad", "steps": [
            {"id": "a", "title": "A", "executor": {"type": "shell", "command": "rm -rf /tmp/x"}}]},
    ])
    (tmp_path / "elsewhere.yaml").write_text("id: stray\ntitle: Stray\nsteps: []\n")
    reg = build_registry(parse_settings({"directory": "../runbooks"}), config_dir(str(config)))
    assert sorted(r.id for r in reg.runbooks) == ["bad", "good"]
    assert reg.runnable("good") and not reg.runnable("bad")
    errors = [f for f in reg.findings if f.severity == "error"]
    assert [f.code for f in errors] == ["dangerous-without-approval"]
    assert errors[0].where() == f"{tmp_path / 'runbooks' / 'bad.yaml'}:{errors[0].line}"
    assert errors[0].line is not None


def test_the_example_organisation_loads_every_shipped_runbook_without_errors() -> None:
    loaded = load_config(REPO / "examples" / "org")
    settings = parse_settings(loaded.config.runbooks, loaded.origins.where)
    reg = build_registry(settings, REPO / "examples" / "org")
    assert reg.get("frontend-down") is not None
    assert len(reg.runbooks) > 100
    assert [f for f in reg.findings if f.severity == "error"] == []
    assert settings.mode() == "dry-run"

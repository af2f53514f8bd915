"""Config loading: merging a directory, and errors that name file, line and what is allowed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from warroom.config.loader import ConfigError, json_schema, load_config
from warroom.settings import SETTINGS, settings_markdown
from warroom.testing.runtime import REPO


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_example_organisation_loads() -> None:
    loaded = load_config(REPO / "examples" / "org")
    cfg = loaded.config
    assert [s.key for s in cfg.severities] == ["P0", "P1", "P2", "P3"]
    assert "frontend" in cfg.service_names()


def test_errors_name_file_line_and_allowed_fields(tmp_path: Path) -> None:
    cfg = write(tmp_path / "org.yaml", "services:\n  - name: web\n    colour: red\n")
    with pytest.raises(ConfigError) as err:
        load_config(cfg)
    (problem,) = err.value.problems
    assert problem.startswith(f"{cfg}:3: services.0.colour: unknown field 'colour'")
    assert "allowed: name, description, team" in problem


def test_bad_duration_and_unknown_role_point_at_their_lines(tmp_path: Path) -> None:
    cfg = write(tmp_path / "org.yaml", (
        "severities:\n  - key: P0\n    name: Critical\n    ack_sla: soon\n"
        "users:\n  - name: al\n    role: overlord\n"))
    with pytest.raises(ConfigError) as err:
        load_config(cfg)
    text = "\n".join(err.value.problems)
    assert f"{cfg}:4: severities.0.ack_sla" in text and "30s, 5m" in text
    assert f"{cfg}:7: users.0.role" in text and "'viewer', 'responder'" in text


def test_directory_sections_merge_and_duplicates_name_both_files(tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", "services:\n  - name: api\n")
    write(tmp_path / "b.yaml", "services:\n  - name: web\n\n  - name: api\n")
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path)
    (problem,) = err.value.problems
    assert f"{tmp_path / 'b.yaml'}:4" in problem and f"{tmp_path / 'a.yaml'}:2" in problem


def test_unknown_section_and_broken_yaml(tmp_path: Path) -> None:
    write(tmp_path / "org.yaml", "sevrities: []\n")
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path / "org.yaml")
    assert "unknown section 'sevrities'; allowed: organisation, severities" in \
        err.value.problems[0]
    write(tmp_path / "org.yaml", "services:\n  - name: [unclosed\n")
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path / "org.yaml")
    assert err.value.problems[0].startswith(f"{tmp_path / 'org.yaml'}:3: invalid YAML")


def test_cross_references_are_checked(tmp_path: Path) -> None:
    cfg = write(tmp_path / "org.yaml", "services:\n  - name: api\n    team: ghosts\n")
    with pytest.raises(ConfigError) as err:
        load_config(cfg)
    assert f"{cfg}:3: services.0.team: unknown team 'ghosts'" in err.value.problems[0]


def test_json_schema_describes_every_section() -> None:
    schema = json.loads(json_schema())
    assert {"severities", "services", "users", "teams"} <= set(schema["properties"])


def test_configuration_doc_lists_every_setting_exactly() -> None:
    doc = (REPO / "docs" / "configuration.md").read_text()
    block = doc.split("<!-- settings:begin -->\n")[1].split("\n<!-- settings:end -->")[0]
    assert block == settings_markdown(), "run `warroom config settings` and paste the table"
    for setting in SETTINGS:
        assert setting.env in doc


def test_configuration_doc_names_every_section() -> None:
    from warroom.config.models import OrgConfig

    doc = (REPO / "docs" / "configuration.md").read_text()
    for section in OrgConfig.model_fields:
        assert f"`{section}`" in doc, f"docs/configuration.md does not mention {section}"

"""Admins see and create integrations with keys and ready-to-paste URLs; others may not."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from warroom.api.app import create_app
from warroom.clock import FakeClock
from warroom.config.loader import ConfigError
from warroom.testing.intake import keys, write_org
from warroom.testing.runtime import make_runtime, make_users


def test_admin_lists_creates_and_the_new_key_works(db_url: str, tmp_path: Path,
                                                   clock: FakeClock) -> None:
    runtime = make_runtime(db_url, tmp_path, clock, write_org(tmp_path))
    team = make_users(runtime)
    with TestClient(create_app(runtime)) as http:
        assert http.get("/api/v1/integrations",
                        headers=team.headers("commander")).status_code == 403
        listed = http.get("/api/v1/integrations", headers=team.headers("admin")).json()
        am = next(i for i in listed["items"] if i["name"] == "am")
        assert am["url"] == f"http://127.0.0.1:0/api/v1/intake/alertmanager/{am['key']}"
        created = http.post("/api/v1/integrations", headers=team.headers("admin"),
                            json={"name": "grafana", "kind": "generic", "service": "api"})
        assert created.status_code == 201
        key = created.json()["key"]
        assert len(key) == 32 and created.json()["url"].endswith(key)
        assert http.post(f"/api/v1/intake/generic/{key}",
                         json={"summary": "x"}).status_code == 202
        again = http.post("/api/v1/integrations", headers=team.headers("admin"),
                          json={"name": "grafana", "kind": "generic"})
        assert again.status_code == 409
    runtime.engine.dispose()


def test_generated_keys_survive_a_restart_and_env_keys_are_used(
        db_url: str, tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_PD_KEY", "0123456789abcdef0123")
    org = write_org(tmp_path, "")
    org.write_text(org.read_text().replace("{name: pd, kind: pagerduty, service: database}",
                                           "{name: pd, kind: pagerduty, key: '${TEST_PD_KEY}'}"))
    first = keys(make_runtime(db_url, tmp_path, clock, org))
    second = keys(make_runtime(db_url, tmp_path, clock, org))
    assert first == second and first["pd"] == "0123456789abcdef0123"


def test_missing_env_key_names_file_and_line(tmp_path: Path, clock: FakeClock) -> None:
    org = write_org(tmp_path, "")
    org.write_text(org.read_text().replace("{name: hook, kind: generic}",
                                           "{name: hook, kind: generic, key: '${NOPE_UNSET}'}"))
    with pytest.raises(ConfigError) as caught:
        make_runtime(f"sqlite:///{tmp_path / 'w.db'}", tmp_path, clock, org)
    assert "org.yaml:" in str(caught.value) and "NOPE_UNSET" in str(caught.value)


def test_example_org_intake_config_loads(tmp_path: Path, clock: FakeClock) -> None:
    from warroom.testing.runtime import REPO

    runtime = make_runtime(f"sqlite:///{tmp_path / 'w.db'}", tmp_path, clock,
                           REPO / "examples" / "org")
    assert {"alertmanager", "prometheus", "zabbix", "ci-deploys",
            "nightly-backup"} <= set(keys(runtime))
    runtime.engine.dispose()

"""Which policy pages an incident, which channel delivers a contact, who hears an audience,
and config mistakes reported with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from warroom.clock import FakeClock
from warroom.config.loader import ConfigError
from warroom.paging.directory import directory
from warroom.testing.paging import write_paging_config
from warroom.testing.runtime import make_runtime


def _runtime(tmp_path: Path, clock: FakeClock, extra: dict[str, object]) -> object:
    config = write_paging_config(tmp_path / "org", "http://127.0.0.1:9", 9, extra=extra)
    return make_runtime(f"sqlite:///{tmp_path / 'w.db'}", tmp_path, clock, config)


def test_severity_override_beats_service_which_beats_team(tmp_path: Path,
                                                          clock: FakeClock) -> None:
    steps = [{"at": "immediately", "targets": [{"schedule": "primary"}]}]
    runtime = _runtime(tmp_path, clock, {
        "escalation_policies": [{"name": n, "steps": steps} for n in ("sre", "svc", "exec")],
        "services": [{"name": "api", "team": "sre", "escalation_policy": "svc"},
                     {"name": "web", "team": "sre"}, {"name": "lonely"}],
        "severities": [
            {"key": "P0", "name": "Critical", "ack_sla": "5m", "escalation_policy": "exec"},
            {"key": "P1", "name": "High", "ack_sla": "15m"}],
        "routes": [], "integrations": []})
    found = directory(runtime)  # type: ignore[arg-type]
    assert found.policy_for(("api",), "P0") == "exec"
    assert found.policy_for(("api",), "P1") == "svc"
    assert found.policy_for(("web",), "P1") == "sre"
    assert found.policy_for(("lonely",), "P1") is None
    assert found.policy_for((), "P1") is None


def test_contacts_use_the_configured_channel_else_one_of_the_same_type(
        tmp_path: Path, clock: FakeClock) -> None:
    runtime = _runtime(tmp_path, clock, {"communications": {
        "contact_channels": {"sms": "pager"}, "status_team": "ignored: another subsystem's"}})
    found = directory(runtime)  # type: ignore[arg-type]
    assert found.channel_for_contact("sms") == "pager"
    assert found.channel_for_contact("email") == "mail"
    assert found.channel_for_contact("voice") is None
    assert found.audience_channels("internal") == ["team-chat"]
    assert found.audience_channels("customer") == []


def test_a_bad_policy_fails_at_start_naming_file_and_line(tmp_path: Path,
                                                          clock: FakeClock) -> None:
    with pytest.raises(ConfigError) as caught:
        _runtime(tmp_path, clock, {"escalation_policies": [{"name": "sre", "steps": [
            {"at": "soon", "targets": [{"schedule": "primary"}]}]}]})
    [problem] = [p for p in caught.value.problems if "soon" in p]
    assert "org.yaml:" in problem
    assert "write 'immediately' or an offset" in problem

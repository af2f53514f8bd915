"""Evidence export from the store: the scripted P0's pack through the API and the CLI is
accepted by verify with the server's key, holds real content, and tampering is caught."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from warroom.cli.evidence import app
from warroom.clock import FakeClock
from warroom.domain import incident as dom
from warroom.evidence.keys import load_or_create_signing_key, public_key_pem
from warroom.evidence.verify import verify_pack
from warroom.runtime import Runtime
from warroom.services.incidents import IncidentService
from warroom.services.principal import Principal
from warroom.testing.evidence_db import scripted_p0
from warroom.testing.runtime import Users

runner = CliRunner()
PACK_FILES = {"timeline.md", "timeline.jsonl", "changes.json", "approvals.json",
              "impact-assessment.md", "rca.md", "manifest.json", "manifest.sig",
              "signing-key.pub"}


def test_exported_pack_of_scripted_p0_verifies_with_the_server_key(
        runtime: Runtime, client: TestClient, users: Users, clock: FakeClock,
        commander: Principal, tmp_path: Path) -> None:
    story = scripted_p0(runtime, clock, commander)
    server_key = load_or_create_signing_key(runtime.settings.data_dir).public_key()
    for fmt in ("tar.gz", "zip"):
        resp = client.get(f"/api/v1/incidents/{story.human_id}/evidence",
                          params={"format": fmt}, headers=users.headers("commander"))
        assert resp.status_code == 200, resp.text
        assert (f'filename="evidence-{story.human_id}.{fmt}"'
                in resp.headers["content-disposition"])
        path = tmp_path / f"pack.{fmt}"
        path.write_bytes(resp.content)

        report = verify_pack(path, server_key)

        assert report.ok, report.problems
        assert report.trusted


def _pack_files(client: TestClient, users: Users, ref: str) -> dict[str, bytes]:
    resp = client.get(f"/api/v1/incidents/{ref}/evidence", headers=users.headers("security"))
    assert resp.status_code == 200, resp.text
    files = {}
    with tarfile.open(fileobj=io.BytesIO(resp.content), mode="r:gz") as tar:
        for member in tar.getmembers():
            handle = tar.extractfile(member)
            assert handle is not None
            files[member.name.split("/", 1)[1]] = handle.read()
    return files


def test_pack_holds_every_file_with_the_incidents_real_content(
        runtime: Runtime, client: TestClient, users: Users, clock: FakeClock,
        commander: Principal) -> None:
    story = scripted_p0(runtime, clock, commander)
    files = _pack_files(client, users, story.human_id)
    assert set(files) >= PACK_FILES
    _, events = IncidentService(runtime).timeline(commander, story.human_id)
    lines = files["timeline.jsonl"].decode().splitlines()
    assert len(lines) == len(events)
    assert json.loads(lines[-1])["hash"] == events[-1].hash
    changes = json.loads(files["changes.json"])["changes"]
    assert [(c["step_id"], c["command"], c["outcome"]) for c in changes] == [
        ("rollback", "kubectl rollout undo deploy/checkout", "succeeded")]
    approvals = json.loads(files["approvals.json"])["approvals"]
    assert approvals[0]["request_id"] == "apr-1"
    assert [d["by"] for d in approvals[0]["decisions"]] == ["commander", "security"]
    impact = files["impact-assessment.md"].decode()
    assert "Acknowledgement SLA** (P0: 5m): **met** — acknowledged 3m after declaration" \
        in impact
    assert "| Users affected | 1200 |" in impact
    rca = files["rca.md"].decode()
    assert rca.startswith(f"# Incident Post-Mortem: {story.human_id} — Checkout API down")
    assert "Roll back checkout deploy" in rca
    manifest = json.loads(files["manifest.json"])
    assert manifest["head_hash"] == events[-1].hash
    assert manifest["event_count"] == len(events)


def test_a_changed_byte_in_an_exported_pack_fails_verify_naming_the_file(
        runtime: Runtime, client: TestClient, users: Users, clock: FakeClock,
        commander: Principal, tmp_path: Path) -> None:
    from warroom.evidence.pack import write_pack

    story = scripted_p0(runtime, clock, commander)
    files = _pack_files(client, users, story.human_id)
    changed = bytearray(files["approvals.json"])
    changed[changed.index(b"security")] ^= 0x01
    files["approvals.json"] = bytes(changed)
    server_key = load_or_create_signing_key(runtime.settings.data_dir).public_key()

    report = verify_pack(write_pack(files, tmp_path / "tampered"), server_key)

    assert not report.ok
    assert "approvals.json" in (report.problem or "")


def test_export_needs_commander_or_security_and_hides_restricted_incidents(
        runtime: Runtime, client: TestClient, users: Users, clock: FakeClock,
        commander: Principal, responder: Principal) -> None:
    story = scripted_p0(runtime, clock, commander)
    url = f"/api/v1/incidents/{story.human_id}/evidence"
    assert client.get(url, headers=users.headers("responder")).status_code == 403
    assert client.get(url, headers=users.headers("viewer")).status_code == 403
    assert client.get(url).status_code == 401
    secret = IncidentService(runtime).declare(responder, dom.Declare(
        title="Credential leak", severity="P1", type="security")).incident.human_id
    hidden = client.get(f"/api/v1/incidents/{secret}/evidence",
                        headers=users.headers("commander"))
    assert hidden.status_code == 404
    assert client.get(f"/api/v1/incidents/{secret}/evidence",
                      headers=users.headers("security")).status_code == 200


def test_cli_exports_a_folder_that_cli_verify_accepts_with_the_cli_pubkey(
        runtime: Runtime, clock: FakeClock, commander: Principal, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    story = scripted_p0(runtime, clock, commander)
    env = {"WARROOM_DATABASE_URL": runtime.engine.url.render_as_string(hide_password=False),
           "WARROOM_DATA_DIR": str(runtime.settings.data_dir), "WARROOM_CONFIG": ""}
    monkeypatch.chdir(tmp_path)
    exported = runner.invoke(app, ["export", story.human_id, "--out", "pack"], env=env)
    assert exported.exit_code == 0, exported.output
    pub = runner.invoke(app, ["pubkey"], env=env)
    assert pub.exit_code == 0, pub.output
    server_key = load_or_create_signing_key(runtime.settings.data_dir).public_key()
    assert pub.stdout == public_key_pem(server_key)
    (tmp_path / "server.pub").write_text(pub.stdout)

    verified = runner.invoke(app, ["verify", "pack", "--pubkey", "server.pub"], env=env)
    assert verified.exit_code == 0, verified.output
    assert f"evidence pack for {story.human_id}" in verified.stdout
    again = runner.invoke(app, ["export", story.human_id, "--out", "pack"], env=env)
    assert again.exit_code == 2
    assert "already exists" in again.output

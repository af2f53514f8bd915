"""Pack contents and the folder / .tar.gz / .zip writers."""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from warroom.clock import FakeClock
from warroom.domain.events import Event, event_from_json
from warroom.evidence.keys import key_id
from warroom.evidence.pack import PackError, build_pack, tar_gz_bytes, write_pack, zip_bytes
from warroom.testing.evidence_story import CHAIN, STEP1_LOG, STEP1_SHA, STEP2_SHA, pack_inputs

EXPECTED_FILES = {
    "timeline.md", "timeline.jsonl", "changes.json", "approvals.json", "impact-assessment.md",
    "rca.md", "manifest.json", "manifest.sig", "signing-key.pub",
    f"logs/{STEP1_SHA}.txt", f"logs/{STEP2_SHA}.txt",
}


def test_pack_holds_every_required_file(pack_files: dict[str, bytes]) -> None:
    assert set(pack_files) == EXPECTED_FILES
    assert pack_files[f"logs/{STEP1_SHA}.txt"] == STEP1_LOG


def test_timeline_jsonl_is_every_event_with_its_hashes(
        story: tuple[FakeClock, list[Event], dict[str, bytes]],
        pack_files: dict[str, bytes]) -> None:
    _, events, _ = story
    lines = pack_files["timeline.jsonl"].decode().splitlines()
    assert [event_from_json(json.loads(line)) for line in lines] == events


def test_timeline_md_has_a_row_per_event_with_escaped_pipes(pack_files: dict[str, bytes]) -> None:
    text = pack_files["timeline.md"].decode()
    assert "| 2026-03-02 09:03:00 | 3 | alice | acknowledged | acknowledged |" in text
    assert "deploy 4f2a \\| rollback?" in text
    assert text.count("\n| 2026-03-02") == 17


def test_changes_list_the_mitigation_with_who_when_command_and_result(
        pack_files: dict[str, bytes]) -> None:
    changes = json.loads(pack_files["changes.json"])["changes"]
    assert changes == [{
        "type": "runbook_step", "seq": 14, "started_at": "2026-03-02T09:18:00.000000Z",
        "finished_at": "2026-03-02T09:19:00.000000Z", "who": "bob", "recorded_by": "bob",
        "run_id": "run-1", "step_id": "rollback", "title": "Roll back checkout deploy",
        "phase": "mitigate", "executor": "shell",
        "command": "kubectl rollout undo deploy/checkout", "outcome": "succeeded",
        "exit_code": 0, "output_sha256": STEP2_SHA, "log": f"logs/{STEP2_SHA}.txt",
    }]


def test_approvals_group_each_request_with_its_decisions(pack_files: dict[str, bytes]) -> None:
    (request,) = json.loads(pack_files["approvals.json"])["approvals"]
    assert request["request_id"] == "apr-1"
    assert request["requested_by"] == "bob"
    assert request["roles"] == ["commander", "security"]
    assert [(d["action"], d["by"]) for d in request["decisions"]] == [
        ("granted", "alice"), ("granted", "carol")]


def test_impact_assessment_states_services_duration_sla_and_users(
        pack_files: dict[str, bytes]) -> None:
    text = pack_files["impact-assessment.md"].decode()
    assert "| Affected services | checkout, frontend |" in text
    assert "| Duration | 42m (started → resolved) |" in text
    assert "| Users affected | 1200 |" in text
    assert "**met** — acknowledged 3m after declaration" in text


def test_rca_is_a_stub_until_a_postmortem_exists(
        story: tuple[FakeClock, list[Event], dict[str, bytes]], pack_files: dict[str, bytes],
        signing_key: Ed25519PrivateKey) -> None:
    assert b"No postmortem exists yet" in pack_files["rca.md"]
    clock, events, artifacts = story
    files = build_pack(pack_inputs(events, artifacts, "# PM\nroot cause: deploy\n"),
                       signing_key, clock, "t")
    assert files["rca.md"] == b"# PM\nroot cause: deploy\n"


def test_manifest_names_chain_head_tool_time_key_and_every_file(
        story: tuple[FakeClock, list[Event], dict[str, bytes]], pack_files: dict[str, bytes],
        signing_key: Ed25519PrivateKey) -> None:
    _, events, _ = story
    manifest = json.loads(pack_files["manifest.json"])
    assert manifest["chain"] == CHAIN
    assert manifest["event_count"] == 17
    assert manifest["head_hash"] == events[-1].hash
    assert manifest["tool_version"] == "0.1.0-test"
    assert manifest["generated_at"] == "2026-03-02T11:00:00.000000Z"
    assert manifest["key_id"] == key_id(signing_key)
    assert set(manifest["files"]) == EXPECTED_FILES - {"manifest.json", "manifest.sig"}


@pytest.mark.parametrize("name", ["../etc/passwd", "/abs", "a//b", "a/./b", "a\\b", ""])
def test_artifact_names_that_could_escape_logs_are_refused(
        story: tuple[FakeClock, list[Event], dict[str, bytes]], name: str,
        signing_key: Ed25519PrivateKey) -> None:
    clock, events, _ = story
    with pytest.raises(PackError, match="plain relative path"):
        build_pack(pack_inputs(events, {name: b"x"}), signing_key, clock, "t")


def test_archives_are_byte_for_byte_reproducible(pack_files: dict[str, bytes]) -> None:
    assert tar_gz_bytes(pack_files, "p") == tar_gz_bytes(dict(reversed(pack_files.items())), "p")
    assert zip_bytes(pack_files, "p") == zip_bytes(dict(reversed(pack_files.items())), "p")


def test_tar_gz_members_are_sorted_under_one_folder_with_fixed_mtime(
        tmp_path: Path, pack_files: dict[str, bytes]) -> None:
    out = write_pack(pack_files, tmp_path / "INC-2026-0042.tar.gz")
    with tarfile.open(out) as tar:
        members = tar.getmembers()
    assert [m.name for m in members] == [f"INC-2026-0042/{p}" for p in sorted(pack_files)]
    assert {m.mtime for m in members} == {1772449200}  # 2026-03-02T11:00:00Z, generated_at


def test_zip_members_carry_the_generation_time(tmp_path: Path,
                                               pack_files: dict[str, bytes]) -> None:
    out = write_pack(pack_files, tmp_path / "pack.zip")
    with zipfile.ZipFile(io.BytesIO(out.read_bytes())) as zf:
        infos = zf.infolist()
    assert [i.filename for i in infos] == [f"pack/{p}" for p in sorted(pack_files)]
    assert {i.date_time for i in infos} == {(2026, 3, 2, 11, 0, 0)}


def test_folder_output_writes_every_file(tmp_path: Path, pack_files: dict[str, bytes]) -> None:
    out = write_pack(pack_files, tmp_path / "packs" / "INC-2026-0042")
    written = {p.relative_to(out).as_posix(): p.read_bytes()
               for p in out.rglob("*") if p.is_file()}
    assert written == pack_files


@pytest.mark.parametrize("name", ["existing", "existing.zip", "existing.tar.gz"])
def test_writing_never_overwrites_an_existing_path(tmp_path: Path, name: str,
                                                  pack_files: dict[str, bytes]) -> None:
    target = tmp_path / name
    if "." in name:
        target.write_bytes(b"keep me")
    else:
        target.mkdir()
        (target / "f").write_bytes(b"keep me")
    with pytest.raises(PackError, match="already exists"):
        write_pack(pack_files, target)

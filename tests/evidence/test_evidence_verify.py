"""Verification: untouched packs pass; any change, reordering or foreign key is named."""

from __future__ import annotations

import dataclasses
import io
import json
import tarfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from warroom.clock import FakeClock
from warroom.domain.events import Event, seal
from warroom.evidence.keys import key_id
from warroom.evidence.pack import build_pack, write_pack
from warroom.evidence.verify import VerifyReport, verify_pack
from warroom.testing.evidence_story import STEP1_SHA, STEP2_SHA, pack_inputs

Story = tuple[FakeClock, list[Event], dict[str, bytes]]
ALL_FILES = sorted([
    "timeline.md", "timeline.jsonl", "changes.json", "approvals.json", "impact-assessment.md",
    "rca.md", "manifest.json", "manifest.sig", "signing-key.pub",
    f"logs/{STEP1_SHA}.txt", f"logs/{STEP2_SHA}.txt",
])
FORMATS = ["folder", "tar.gz", "zip"]


def _out(tmp_path: Path, fmt: str) -> Path:
    return tmp_path / ("INC-2026-0042" if fmt == "folder" else f"INC-2026-0042.{fmt}")


def _verify(files: dict[str, bytes], tmp_path: Path, fmt: str,
            key: Ed25519PrivateKey | None) -> VerifyReport:
    out = write_pack(files, _out(tmp_path, fmt))
    return verify_pack(out, key.public_key() if key else None)


def _flip(content: bytes, index: int | None = None) -> bytes:
    i = len(content) // 2 if index is None else index
    return content[:i] + bytes([content[i] ^ 0x01]) + content[i + 1:]


@pytest.mark.parametrize("fmt", FORMATS)
def test_untouched_pack_verifies_against_the_trusted_key(
        tmp_path: Path, pack_files: dict[str, bytes], signing_key: Ed25519PrivateKey,
        fmt: str) -> None:
    report = _verify(pack_files, tmp_path, fmt, signing_key)
    assert report.problems == []
    assert report.trusted
    assert report.signed_by == key_id(signing_key)
    assert report.event_count == 17
    assert "OK" in report.summary() and "trusted key" in report.summary()


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", ALL_FILES)
def test_one_changed_byte_in_any_file_is_named(
        tmp_path: Path, pack_files: dict[str, bytes], signing_key: Ed25519PrivateKey,
        name: str, fmt: str) -> None:
    tampered = {**pack_files, name: _flip(pack_files[name])}
    report = _verify(tampered, tmp_path, fmt, signing_key)
    assert not report.ok
    assert report.problem is not None and name in report.problem


@pytest.mark.parametrize("name", [f"logs/{STEP1_SHA}.txt", "rca.md", "changes.json"])
def test_changed_file_reads_sha256_mismatch(tmp_path: Path, pack_files: dict[str, bytes],
                                            signing_key: Ed25519PrivateKey, name: str) -> None:
    folder = write_pack(pack_files, tmp_path / "pack")
    target = folder / name
    target.write_bytes(_flip(target.read_bytes(), 0))
    report = verify_pack(folder, signing_key.public_key())
    assert report.problems == [f"{name}: sha256 mismatch (file changed after signing)"]


def _edit_jsonl_line(folder: Path, seq: int, field: str, value: Any) -> None:
    path = folder / "timeline.jsonl"
    lines = path.read_text().splitlines()
    obj = json.loads(lines[seq - 1])
    obj[field] = value
    lines[seq - 1] = json.dumps(obj)
    path.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("seq", range(1, 18))
def test_editing_an_event_in_timeline_jsonl_names_the_file_then_the_event(
        tmp_path: Path, pack_files: dict[str, bytes], signing_key: Ed25519PrivateKey,
        seq: int) -> None:
    folder = write_pack(pack_files, tmp_path / "pack")
    _edit_jsonl_line(folder, seq, "actor", "mallory")
    report = verify_pack(folder, signing_key.public_key())
    assert report.problems[0].startswith(
        "timeline.jsonl: sha256 mismatch (file changed after signing")
    assert report.problems[1].startswith(
        f"timeline.jsonl: event #{seq}: content does not match its hash")
    assert "by mallory" in report.problems[1]


EDITS: dict[str, Any] = {
    "actor": "mallory", "kind": "closed", "data": {"text": "nothing happened"},
    "at": timedelta(minutes=-1),
}


@pytest.mark.parametrize("field", sorted(EDITS))
@pytest.mark.parametrize("index", range(17))
def test_any_field_edit_in_the_store_is_caught_by_the_chain(
        tmp_path: Path, story: Story, signing_key: Ed25519PrivateKey, field: str,
        index: int) -> None:
    clock, events, artifacts = story
    edit = EDITS[field]
    value = events[index].at + edit if field == "at" else edit
    events[index] = dataclasses.replace(events[index], **{field: value})
    files = build_pack(pack_inputs(events, artifacts), signing_key, clock, "t")
    report = _verify(files, tmp_path, "folder", signing_key)
    assert report.problem is not None
    assert report.problem.startswith(
        f"timeline.jsonl: event #{index + 1}: content does not match its hash")


def test_an_edit_with_a_recomputed_hash_breaks_the_next_link(
        tmp_path: Path, story: Story, signing_key: Ed25519PrivateKey) -> None:
    clock, events, artifacts = story
    old = events[4]
    events[4] = seal(old.chain, old.seq, old.at, "mallory", old.kind, old.data, old.prev_hash)
    report = _verify(build_pack(pack_inputs(events, artifacts), signing_key, clock, "t"),
                     tmp_path, "folder", signing_key)
    assert report.problem == ("timeline.jsonl: event #6: prev_hash does not match the previous "
                              "event's hash")


def _reorder(events: list[Event]) -> list[Event]:
    return [*events[:5], events[6], events[5], *events[7:]]


def _delete(events: list[Event]) -> list[Event]:
    return [*events[:5], *events[6:]]


def _insert(events: list[Event]) -> list[Event]:
    extra = seal(events[0].chain, 6, events[5].at, "mallory", "note_added",
                 {"text": "planted"}, events[4].hash)
    return [*events[:5], extra, *events[5:]]


@pytest.mark.parametrize("change", [_reorder, _delete, _insert], ids=["reorder", "delete",
                                                                       "insert"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_reordered_deleted_or_inserted_events_fail(
        tmp_path: Path, story: Story, signing_key: Ed25519PrivateKey, fmt: str,
        change: Any) -> None:
    clock, events, artifacts = story
    files = build_pack(pack_inputs(change(events), artifacts), signing_key, clock, "t")
    report = _verify(files, tmp_path, fmt, signing_key)
    assert report.problem is not None
    assert report.problem.startswith("timeline.jsonl: event #")
    assert "an event was deleted, inserted or reordered" in report.problem


def test_dropping_the_last_event_after_signing_is_named(
        tmp_path: Path, pack_files: dict[str, bytes], signing_key: Ed25519PrivateKey) -> None:
    folder = write_pack(pack_files, tmp_path / "pack")
    path = folder / "timeline.jsonl"
    path.write_text("".join(path.read_text().splitlines(keepends=True)[:-1]))
    report = verify_pack(folder, signing_key.public_key())
    assert report.problems[0].startswith(
        "timeline.jsonl: sha256 mismatch (file changed after signing")
    assert "holds 16 events, the manifest says 17" in report.problems[1]
    assert "is not the manifest's head_hash" in report.problems[2]


@pytest.mark.parametrize("fmt", FORMATS)
def test_pack_signed_by_another_server_names_both_keys(
        tmp_path: Path, pack_files: dict[str, bytes], fmt: str) -> None:
    ours = Ed25519PrivateKey.generate()
    report = _verify(pack_files, tmp_path, fmt, ours)
    manifest = json.loads(pack_files["manifest.json"])
    assert report.problem == (
        f"manifest.sig: signed by key {manifest['key_id']}, which is not the trusted key "
        f"{key_id(ours)} — the pack comes from another server, or was re-signed after it "
        "was changed")


def test_without_a_trusted_key_the_embedded_key_is_checked_and_trust_is_not_claimed(
        tmp_path: Path, pack_files: dict[str, bytes]) -> None:
    report = _verify(pack_files, tmp_path, "folder", None)
    assert report.ok
    assert not report.trusted
    assert "--pubkey" in report.summary()


def test_a_pack_re_signed_with_a_swapped_key_fails_against_the_trusted_key(
        tmp_path: Path, story: Story, signing_key: Ed25519PrivateKey) -> None:
    clock, events, artifacts = story
    forged = build_pack(pack_inputs(events, artifacts), Ed25519PrivateKey.generate(), clock,
                        "t")
    assert _verify(forged, tmp_path, "zip", None).ok
    report = _verify(forged, tmp_path / "again", "zip", signing_key)
    assert report.problem is not None and "which is not the trusted key" in report.problem


def test_added_and_deleted_files_are_named(tmp_path: Path, pack_files: dict[str, bytes],
                                           signing_key: Ed25519PrivateKey) -> None:
    folder = write_pack(pack_files, tmp_path / "pack")
    (folder / "logs" / "planted.txt").write_text("x")
    (folder / "rca.md").unlink()
    report = verify_pack(folder, signing_key.public_key())
    assert report.problems == [
        "rca.md: listed in the manifest but missing (file deleted after signing)",
        "logs/planted.txt: not in the manifest (file added after signing)",
    ]


def test_symlinks_are_refused(tmp_path: Path, pack_files: dict[str, bytes],
                              signing_key: Ed25519PrivateKey) -> None:
    folder = write_pack(pack_files, tmp_path / "pack")
    (folder / "logs" / "link").symlink_to("/etc/hostname")
    report = verify_pack(folder, signing_key.public_key())
    assert report.problems == [
        "logs/link: not a regular file (links and devices are not allowed in a pack)"]


def test_tar_link_members_are_refused_not_followed(
        tmp_path: Path, pack_files: dict[str, bytes], signing_key: Ed25519PrivateKey) -> None:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz") as tar:
        for name, content in pack_files.items():
            info = tarfile.TarInfo(f"p/{name}")
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
        link = tarfile.TarInfo("p/logs/evil")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        tar.addfile(link)
    path = tmp_path / "p.tar.gz"
    path.write_bytes(raw.getvalue())
    report = verify_pack(path, signing_key.public_key())
    assert report.problems == [
        "logs/evil: not a regular file (links and devices are not allowed in a pack)"]


def test_missing_manifest_and_missing_path_are_named(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert verify_pack(tmp_path / "empty", None).problem == (
        "manifest.json: missing — this is not an evidence pack, or it was unpacked "
        "incompletely")
    assert verify_pack(tmp_path / "nope.zip", None).problem == (
        f"{tmp_path / 'nope.zip'}: no such file or folder")


def test_garbage_archive_is_named(tmp_path: Path) -> None:
    path = tmp_path / "x.tar.gz"
    path.write_bytes(b"not an archive at all")
    report = verify_pack(path, None)
    assert report.problem is not None and "not a readable .tar.gz archive" in report.problem

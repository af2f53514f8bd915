"""Retention moves packs older than the period, judged by their signed generation time."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from warroom.clock import FakeClock
from warroom.domain.events import Event
from warroom.evidence.pack import build_pack, write_pack
from warroom.evidence.retention import archive_old_packs, retention_markdown
from warroom.evidence.verify import PackReadError, verify_pack
from warroom.testing.evidence_story import pack_inputs

Scripted = tuple[FakeClock, list[Event], dict[str, bytes]]


def _packs(tmp_path: Path, story: Scripted, key: Ed25519PrivateKey) -> tuple[Path, FakeClock]:
    clock, events, artifacts = story
    packs = tmp_path / "packs"
    start = clock.now()
    for days_ago, name in ((120, "old.tar.gz"), (91, "older-folder"), (30, "recent.zip")):
        clock.set(start - timedelta(days=days_ago))
        write_pack(build_pack(pack_inputs(events, artifacts), key, clock, "t"), packs / name)
    clock.set(start)
    (packs / "notes.txt").write_text("not a pack")
    return packs, clock


def test_packs_older_than_the_period_move_and_stay_verifiable(
        tmp_path: Path, story: Scripted, signing_key: Ed25519PrivateKey) -> None:
    packs, clock = _packs(tmp_path, story, signing_key)
    report = archive_old_packs(packs, tmp_path / "archive", timedelta(days=90), clock)
    assert [(p.name, p.age) for p in report.moved] == [
        ("old.tar.gz", timedelta(days=120)), ("older-folder", timedelta(days=91))]
    assert report.kept == 1
    assert [s.name for s in report.skipped] == ["notes.txt"]
    assert sorted(p.name for p in packs.iterdir()) == ["notes.txt", "recent.zip"]
    for moved in report.moved:
        assert verify_pack(moved.destination, signing_key.public_key()).ok


def test_report_lists_what_moved_with_its_age(
        tmp_path: Path, story: Scripted, signing_key: Ed25519PrivateKey) -> None:
    packs, clock = _packs(tmp_path, story, signing_key)
    text = retention_markdown(
        archive_old_packs(packs, tmp_path / "archive", timedelta(days=90), clock))
    assert "- **Retention period**: 90d" in text
    assert "| old.tar.gz | 2025-11-02T11:00:00.000000Z | 120d |" in text
    assert "- `notes.txt`:" in text


def test_name_taken_in_the_archive_is_skipped_not_overwritten(
        tmp_path: Path, story: Scripted, signing_key: Ed25519PrivateKey) -> None:
    packs, clock = _packs(tmp_path, story, signing_key)
    (tmp_path / "archive").mkdir()
    (tmp_path / "archive" / "old.tar.gz").write_bytes(b"earlier copy")
    report = archive_old_packs(packs, tmp_path / "archive", timedelta(days=90), clock)
    assert [p.name for p in report.moved] == ["older-folder"]
    assert (tmp_path / "archive" / "old.tar.gz").read_bytes() == b"earlier copy"
    assert any(s.name == "old.tar.gz" and "already exists" in s.reason for s in report.skipped)


def test_missing_packs_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(PackReadError, match="no such directory"):
        archive_old_packs(tmp_path / "nope", tmp_path / "a", timedelta(days=1), FakeClock())

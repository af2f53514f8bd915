"""`warroom evidence archive` with its directories and retention period from the config."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from warroom.cli.evidence import app
from warroom.clock import FakeClock, SystemClock
from warroom.evidence.pack import build_pack, write_pack
from warroom.testing.evidence_story import pack_inputs, scripted_p0

runner = CliRunner()


def test_archive_takes_dirs_and_retention_from_the_config(tmp_path: Path) -> None:
    _, events, artifacts = scripted_p0()
    key = Ed25519PrivateKey.generate()
    packs = tmp_path / "packs"
    now = SystemClock().now()
    for name, age in (("old.tar.gz", timedelta(days=40)), ("new.zip", timedelta(days=5))):
        files = build_pack(pack_inputs(events, artifacts), key, FakeClock(now - age), "t")
        write_pack(files, packs / name)
    config = tmp_path / "org.yaml"
    config.write_text(f"evidence:\n  packs_dir: {packs}\n  archive_dir: {tmp_path / 'cold'}\n"
                      "  retention: 30d\n")

    result = runner.invoke(app, ["archive"], env={"WARROOM_CONFIG": str(config)})

    assert result.exit_code == 0, result.output
    assert "**Retention period**: 30d" in result.stdout
    assert sorted(p.name for p in (tmp_path / "cold").iterdir()) == ["old.tar.gz"]
    assert sorted(p.name for p in packs.iterdir()) == ["new.zip"]


def test_archive_without_dirs_or_config_says_what_to_set(tmp_path: Path) -> None:
    result = runner.invoke(app, ["archive"], env={"WARROOM_CONFIG": ""})
    assert result.exit_code == 2
    assert "set evidence.packs_dir" in result.output

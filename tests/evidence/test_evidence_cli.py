"""`warroom evidence verify | pubkey | archive` through Typer's CliRunner."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from warroom.cli.evidence import app
from warroom.evidence.keys import key_id, load_or_create_signing_key, public_key_base64
from warroom.evidence.pack import write_pack

runner = CliRunner()


def _pack(tmp_path: Path, files: dict[str, bytes], name: str = "pack.tar.gz") -> Path:
    return write_pack(files, tmp_path / name)


def _trusted_pub(tmp_path: Path, key: Ed25519PrivateKey) -> Path:
    path = tmp_path / "trusted.pub"
    path.write_text(public_key_base64(key.public_key()))
    return path


def test_verify_passes_with_the_trusted_key(tmp_path: Path, pack_files: dict[str, bytes],
                                            signing_key: Ed25519PrivateKey) -> None:
    result = runner.invoke(app, ["verify", str(_pack(tmp_path, pack_files)), "--pubkey",
                                 str(_trusted_pub(tmp_path, signing_key))])
    assert result.exit_code == 0, result.output
    assert "OK — evidence pack for INC-2026-0042" in result.stdout
    assert f"signed by trusted key {key_id(signing_key)}" in result.stdout


def test_verify_fails_naming_the_first_problem(tmp_path: Path, pack_files: dict[str, bytes],
                                               signing_key: Ed25519PrivateKey) -> None:
    folder = write_pack(pack_files, tmp_path / "pack")
    (folder / "rca.md").write_text("# nothing to see\n")
    result = runner.invoke(app, ["verify", str(folder), "--pubkey",
                                 str(_trusted_pub(tmp_path, signing_key))])
    assert result.exit_code == 1
    assert "first problem: rca.md: sha256 mismatch (file changed after signing" in result.stderr


def test_verify_rejects_a_pack_from_another_server(tmp_path: Path,
                                                   pack_files: dict[str, bytes]) -> None:
    other = Ed25519PrivateKey.generate()
    result = runner.invoke(app, ["verify", str(_pack(tmp_path, pack_files, "p.zip")),
                                 "--pubkey", str(_trusted_pub(tmp_path, other))])
    assert result.exit_code == 1
    assert f"which is not the trusted key {key_id(other)}" in result.stderr


def test_verify_without_pubkey_warns_that_signer_is_unproven(
        tmp_path: Path, pack_files: dict[str, bytes]) -> None:
    result = runner.invoke(app, ["verify", str(_pack(tmp_path, pack_files))])
    assert result.exit_code == 0
    assert "warning: no --pubkey given" in result.stdout


def test_unreadable_pubkey_file_exits_2(tmp_path: Path, pack_files: dict[str, bytes]) -> None:
    bad = tmp_path / "bad.pub"
    bad.write_text("hello")
    result = runner.invoke(app, ["verify", str(_pack(tmp_path, pack_files)), "--pubkey",
                                 str(bad)])
    assert result.exit_code == 2
    assert "bad.pub: neither a PEM public key nor a base64 raw key" in result.stderr


def test_pubkey_prints_the_pem_and_it_verifies_packs(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    key = load_or_create_signing_key(data_dir)
    result = runner.invoke(app, ["pubkey", "--data-dir", str(data_dir)])
    assert result.exit_code == 0
    assert result.stdout.startswith("-----BEGIN PUBLIC KEY-----")
    assert f"key id {key_id(key)}" in result.stderr
    raw = runner.invoke(app, ["pubkey", "--data-dir", str(data_dir), "--raw"])
    assert raw.stdout.strip() == public_key_base64(key.public_key())


def test_pubkey_reads_the_data_dir_setting(tmp_path: Path) -> None:
    key = load_or_create_signing_key(tmp_path)
    result = runner.invoke(app, ["pubkey"], env={"WARROOM_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 0
    assert f"key id {key_id(key)}" in result.stderr


def test_pubkey_creates_the_server_key_on_first_use_and_then_reuses_it(
        tmp_path: Path) -> None:
    first = runner.invoke(app, ["pubkey", "--data-dir", str(tmp_path)])
    assert first.exit_code == 0, first.output
    assert first.stdout.startswith("-----BEGIN PUBLIC KEY-----")
    assert (tmp_path / "evidence-signing-key.pem").stat().st_mode & 0o077 == 0
    again = runner.invoke(app, ["pubkey", "--data-dir", str(tmp_path)])
    assert again.stdout == first.stdout


def test_archive_moves_nothing_from_an_empty_directory_and_writes_the_report(
        tmp_path: Path) -> None:
    (tmp_path / "packs").mkdir()
    report = tmp_path / "report.md"
    result = runner.invoke(app, ["archive", str(tmp_path / "packs"), "--to",
                                 str(tmp_path / "arch"), "--older-than", "90d", "--report",
                                 str(report)])
    assert result.exit_code == 0, result.output
    assert "**Moved**: 0" in report.read_text()


def test_archive_rejects_a_bad_period(tmp_path: Path) -> None:
    result = runner.invoke(app, ["archive", str(tmp_path), "--to", str(tmp_path / "a"),
                                 "--older-than", "three months"])
    assert result.exit_code == 2
    assert "invalid duration" in result.stderr

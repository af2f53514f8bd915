"""Signing key: created once with mode 0600, reloaded, exported, identified."""

from __future__ import annotations

import base64
import hashlib
import stat
from pathlib import Path

import pytest

from warroom.evidence.keys import (
    SigningKeyError,
    key_id,
    key_path,
    load_or_create_signing_key,
    load_signing_key,
    parse_public_key,
    public_key_base64,
    public_key_pem,
    public_key_raw,
)


def test_first_use_creates_a_private_key_file_readable_only_by_its_owner(tmp_path: Path) -> None:
    load_or_create_signing_key(tmp_path / "data")
    path = key_path(tmp_path / "data")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")


def test_the_same_key_is_returned_on_every_later_use(tmp_path: Path) -> None:
    first = load_or_create_signing_key(tmp_path)
    again = load_or_create_signing_key(tmp_path)
    assert key_id(first) == key_id(again)
    assert key_id(load_signing_key(key_path(tmp_path))) == key_id(first)


def test_key_id_is_the_first_16_hex_of_sha256_of_the_raw_public_key(tmp_path: Path) -> None:
    key = load_or_create_signing_key(tmp_path).public_key()
    assert key_id(key) == hashlib.sha256(public_key_raw(key)).hexdigest()[:16]
    assert base64.b64decode(public_key_base64(key)) == public_key_raw(key)


def test_public_key_round_trips_through_pem_and_base64(tmp_path: Path) -> None:
    key = load_or_create_signing_key(tmp_path).public_key()
    assert key_id(parse_public_key(public_key_pem(key).encode())) == key_id(key)
    assert key_id(parse_public_key(public_key_base64(key).encode())) == key_id(key)


def test_missing_key_file_names_the_file_and_the_setting(tmp_path: Path) -> None:
    with pytest.raises(SigningKeyError, match="WARROOM_DATA_DIR") as info:
        load_signing_key(key_path(tmp_path))
    assert str(key_path(tmp_path)) in str(info.value)


def test_garbage_public_key_is_refused_with_the_export_hint() -> None:
    with pytest.raises(SigningKeyError, match="warroom evidence pubkey"):
        parse_public_key(b"not a key!", "trusted.pub")

"""The server's Ed25519 evidence-signing key: created once in the data directory, then reused."""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

KEY_FILENAME = "evidence-signing-key.pem"


class SigningKeyError(ValueError):
    """A key file that is missing or unreadable; the message names the file and the fix."""


def key_path(data_dir: Path) -> Path:
    return data_dir / KEY_FILENAME


def load_or_create_signing_key(data_dir: Path) -> Ed25519PrivateKey:
    """The key in `data_dir`, generated (PEM, mode 0600) the first time it is needed."""
    path = key_path(data_dir)
    if path.exists():
        return load_signing_key(path)
    data_dir.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    # Written under a temporary name and linked into place, so a concurrent first use never
    # sees half a key and two processes never end up signing with different keys.
    tmp = path.with_name(f".{KEY_FILENAME}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return load_signing_key(path)
    finally:
        tmp.unlink(missing_ok=True)
    return key


def load_signing_key(path: Path) -> Ed25519PrivateKey:
    """Read a PEM (PKCS#8, unencrypted) Ed25519 private key."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise SigningKeyError(
            f"{path}: no evidence signing key here — the server creates it on first use; "
            "check --data-dir / WARROOM_DATA_DIR") from exc
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise SigningKeyError(f"{path}: not a readable unencrypted PEM private key ({exc})") \
            from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"{path}: holds a {type(key).__name__}, not an Ed25519 key")
    return key


def public_key_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(serialization.Encoding.PEM,
                            serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def public_key_raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_base64(key: Ed25519PublicKey) -> str:
    """The 32 raw key bytes in standard base64 (the form many audit tools paste around)."""
    return base64.b64encode(public_key_raw(key)).decode("ascii")


def key_id(key: Ed25519PublicKey | Ed25519PrivateKey) -> str:
    """First 16 hex digits of sha256 over the raw public key."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return hashlib.sha256(public_key_raw(public)).hexdigest()[:16]


def parse_public_key(data: bytes, source: str = "<key>") -> Ed25519PublicKey:
    """A public key from PEM text or from the raw key in base64; `source` names it in errors."""
    text = data.strip()
    if text.startswith(b"-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(text)
        except (ValueError, UnsupportedAlgorithm) as exc:
            raise SigningKeyError(f"{source}: not a readable PEM public key ({exc})") from exc
        if not isinstance(key, Ed25519PublicKey):
            raise SigningKeyError(f"{source}: holds a {type(key).__name__}, not an Ed25519 key")
        return key
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SigningKeyError(
            f"{source}: neither a PEM public key nor a base64 raw key — export the server's key "
            "with `warroom evidence pubkey`") from exc
    if len(raw) != 32:
        raise SigningKeyError(f"{source}: a raw Ed25519 key is 32 bytes, this one is {len(raw)}")
    return Ed25519PublicKey.from_public_bytes(raw)


def load_public_key(path: Path) -> Ed25519PublicKey:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SigningKeyError(f"{path}: cannot read the public key ({exc.strerror})") from exc
    return parse_public_key(data, str(path))

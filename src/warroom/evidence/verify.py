"""Offline verification of an evidence pack: signature, file hashes, then the event chain."""

from __future__ import annotations

import base64
import binascii
import json
import re
import tarfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from warroom.domain.events import GENESIS_HASH, Event, event_from_json, verify_chain
from warroom.evidence.keys import SigningKeyError, key_id, parse_public_key
from warroom.evidence.pack import (
    MANIFEST,
    PACK_FORMAT,
    PUBLIC_KEY,
    SIGNATURE,
    TIMELINE_JSONL,
    UNSIGNED_FILES,
    file_entry,
)

_HEX64 = re.compile(r"[0-9a-f]{64}")


class PackReadError(ValueError):
    """The path is not a folder or archive that can be read at all."""


@dataclass
class PackContents:
    """Files read from a pack (paths relative to its root) and entries that are not files."""

    files: dict[str, bytes] = field(default_factory=dict)
    irregular: list[str] = field(default_factory=list)


def _strip_root(contents: PackContents) -> PackContents:
    """Archives hold one top folder; paths are made relative to the one holding the manifest."""
    if MANIFEST in contents.files:
        return contents
    roots = {name[: -len(MANIFEST)] for name in contents.files
             if name.endswith("/" + MANIFEST) and name.count("/") == 1}
    if len(roots) != 1:
        return contents
    (root,) = roots
    files = {(n[len(root):] if n.startswith(root) else n): c for n, c in contents.files.items()}
    irregular = [n[len(root):] if n.startswith(root) else n for n in contents.irregular]
    return PackContents(files, irregular)


def _read_folder(path: Path) -> PackContents:
    contents = PackContents()
    for entry in sorted(path.rglob("*")):
        rel = entry.relative_to(path).as_posix()
        if entry.is_symlink() or not (entry.is_file() or entry.is_dir()):
            contents.irregular.append(rel)
        elif entry.is_file():
            contents.files[rel] = entry.read_bytes()
    return contents


def _read_tar(path: Path) -> PackContents:
    contents = PackContents()
    try:
        with tarfile.open(path, mode="r:*") as tar:
            for member in tar:
                name = member.name[2:] if member.name.startswith("./") else member.name
                if member.isdir():
                    continue
                extracted = tar.extractfile(member) if member.isfile() else None
                if extracted is None:
                    contents.irregular.append(name)
                else:
                    contents.files[name] = extracted.read()
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise PackReadError(f"{path}: not a readable .tar.gz archive ({exc})") from exc
    return contents


def _read_zip(path: Path) -> PackContents:
    contents = PackContents()
    try:
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                if info.is_dir():
                    continue
                mode = info.external_attr >> 16
                if mode and (mode & 0o170000) not in (0, 0o100000):
                    contents.irregular.append(info.filename)
                    continue
                contents.files[info.filename] = zf.read(info)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise PackReadError(f"{path}: not a readable .zip archive ({exc})") from exc
    return contents


def read_pack(path: Path) -> PackContents:
    """Read a pack folder, .tar.gz or .zip into memory; nothing is ever extracted to disk."""
    if not path.exists():
        raise PackReadError(f"{path}: no such file or folder")
    if path.is_dir():
        return _strip_root(_read_folder(path))
    if zipfile.is_zipfile(path):
        return _strip_root(_read_zip(path))
    return _strip_root(_read_tar(path))


@dataclass
class VerifyReport:
    """What verification found: `problems` in the order checked, the first one named `problem`."""

    source: str
    problems: list[str] = field(default_factory=list)
    signed_by: str | None = None
    trusted_key_id: str | None = None
    incident: str | None = None
    chain: str | None = None
    event_count: int | None = None
    head_hash: str | None = None
    generated_at: str | None = None
    tool_version: str | None = None
    file_count: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def problem(self) -> str | None:
        return self.problems[0] if self.problems else None

    @property
    def trusted(self) -> bool:
        """Signed by the key the caller trusts (not merely by the key the pack carries)."""
        return self.ok and self.trusted_key_id is not None

    def summary(self) -> str:
        if not self.ok:
            return f"{self.source}: FAILED — {self.problem}"
        who = (f"signed by trusted key {self.signed_by}" if self.trusted else
               f"signature valid for the key embedded in the pack ({self.signed_by}); pass "
               "--pubkey with your server's key (`warroom evidence pubkey`) to prove who "
               "signed it")
        return (f"{self.source}: OK — evidence pack for {self.incident or self.chain}, "
                f"{self.file_count} files and {self.event_count} events intact, chain head "
                f"{(self.head_hash or '')[:12]}…, generated {self.generated_at}; {who}")


def _manifest_problems(manifest: Any) -> str | None:
    if not isinstance(manifest, dict):
        return "manifest.json: not a JSON object"
    if manifest.get("format") != PACK_FORMAT:
        return (f"manifest.json: format {manifest.get('format')!r} is not {PACK_FORMAT!r} — "
                "this pack was made by a different tool or a newer warroom")
    for key, kind in (("chain", str), ("event_count", int), ("head_hash", str),
                      ("key_id", str), ("generated_at", str), ("files", dict)):
        if not isinstance(manifest.get(key), kind):
            return f"manifest.json: field {key!r} is missing or not a {kind.__name__}"
    for path, entry in manifest["files"].items():
        if not (isinstance(entry, dict) and isinstance(entry.get("size"), int)
                and isinstance(entry.get("sha256"), str) and _HEX64.fullmatch(entry["sha256"])):
            return f"manifest.json: the entry for {path!r} needs a sha256 (64 hex) and a size"
    return None


def _verifies(key: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    try:
        key.verify(signature, message)
    except InvalidSignature:
        return False
    return True


def _signature_problem(files: Mapping[str, bytes], manifest: dict[str, Any],
                       trusted: Ed25519PublicKey | None, report: VerifyReport) -> str | None:
    if SIGNATURE not in files:
        return "manifest.sig: missing — the pack is unsigned"
    try:
        signature = base64.b64decode(files[SIGNATURE].strip(), validate=True)
    except (binascii.Error, ValueError):
        return "manifest.sig: not valid base64 (the signature file was changed)"
    embedded: Ed25519PublicKey | None = None
    embedded_problem: str | None = None
    if PUBLIC_KEY in files:
        try:
            embedded = parse_public_key(files[PUBLIC_KEY], PUBLIC_KEY)
        except SigningKeyError as exc:
            embedded_problem = str(exc)
    else:
        embedded_problem = f"{PUBLIC_KEY}: missing"
    message = files[MANIFEST]
    if trusted is not None:
        report.trusted_key_id = key_id(trusted)
        if _verifies(trusted, signature, message):
            report.signed_by = key_id(trusted)
            if manifest["key_id"] != report.signed_by:
                return (f"manifest.json: key_id says {manifest['key_id']} but the pack is "
                        f"signed by {report.signed_by}")
            return None
        if embedded is not None and _verifies(embedded, signature, message):
            report.signed_by = key_id(embedded)
            return (f"manifest.sig: signed by key {report.signed_by}, which is not the trusted "
                    f"key {report.trusted_key_id} — the pack comes from another server, or "
                    "was re-signed after it was changed")
        return ("manifest.sig: signature does not match manifest.json (the manifest was "
                "changed after signing, or the signature is corrupt)")
    if embedded is None:
        return (f"{embedded_problem}; with no trusted key given (--pubkey) the signature "
                "cannot be checked")
    if not _verifies(embedded, signature, message):
        return ("manifest.sig: signature does not match manifest.json under the embedded "
                "key (the manifest or the key was changed after signing)")
    report.signed_by = key_id(embedded)
    return None


def _file_problems(files: Mapping[str, bytes], listed: Mapping[str, Any],
                   irregular: list[str]) -> list[str]:
    problems = []
    for path in sorted(listed):
        expected = listed[path]
        if path not in files:
            problems.append(f"{path}: listed in the manifest but missing (file deleted after "
                            "signing)")
            continue
        actual = file_entry(files[path])
        if actual["sha256"] != expected["sha256"]:
            size = (f"; size {actual['size']}, manifest says {expected['size']}"
                    if actual["size"] != expected["size"] else "")
            problems.append(f"{path}: sha256 mismatch (file changed after signing{size})")
        elif actual["size"] != expected["size"]:
            problems.append(f"{path}: size {actual['size']}, manifest says {expected['size']}")
    for path in sorted(set(files) - set(listed) - UNSIGNED_FILES):
        problems.append(f"{path}: not in the manifest (file added after signing)")
    problems.extend(f"{path}: not a regular file (links and devices are not allowed in a pack)"
                    for path in sorted(irregular))
    return problems


def _chain_problems(content: bytes, manifest: dict[str, Any]) -> list[str]:
    events: list[Event] = []
    for number, line in enumerate(content.decode("utf-8", "replace").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            events.append(event_from_json(json.loads(line)))
        except (ValueError, KeyError, TypeError) as exc:
            return [f"{TIMELINE_JSONL}: line {number}: not a readable event ({exc})"]
    chain_break = verify_chain(events, chain=manifest["chain"])
    if chain_break is not None:
        return [f"{TIMELINE_JSONL}: {chain_break}"]
    problems = []
    if len(events) != manifest["event_count"]:
        problems.append(f"{TIMELINE_JSONL}: holds {len(events)} events, the manifest says "
                        f"{manifest['event_count']} (events were removed or added at the end)")
    head = events[-1].hash if events else GENESIS_HASH
    if head != manifest["head_hash"]:
        problems.append(f"{TIMELINE_JSONL}: the last event's hash {head[:12]}… is not the "
                        f"manifest's head_hash {manifest['head_hash'][:12]}…")
    return problems


def verify_contents(contents: PackContents, trusted_public_key: Ed25519PublicKey | None,
                    source: str = "<pack>") -> VerifyReport:
    """Check in order: manifest, signature, every file's hash and size, extras, then the chain."""
    report = VerifyReport(source=source)
    files = contents.files
    if MANIFEST not in files:
        report.problems.append("manifest.json: missing — this is not an evidence pack, or it "
                               "was unpacked incompletely")
        return report
    try:
        manifest = json.loads(files[MANIFEST])
    except ValueError as exc:
        report.problems.append(f"manifest.json: not valid JSON ({exc}) — the manifest was "
                               "changed after signing")
        return report
    shape_problem = _manifest_problems(manifest)
    if shape_problem:
        report.problems.append(shape_problem)
        return report
    report.incident = str(manifest.get("incident") or "") or None
    report.chain = manifest["chain"]
    report.event_count = manifest["event_count"]
    report.head_hash = manifest["head_hash"]
    report.generated_at = manifest["generated_at"]
    report.tool_version = str(manifest.get("tool_version", "")) or None
    report.file_count = len(files)
    signature_problem = _signature_problem(files, manifest, trusted_public_key, report)
    if signature_problem:
        report.problems.append(signature_problem)
    report.problems.extend(_file_problems(files, manifest["files"], contents.irregular))
    if TIMELINE_JSONL in files and TIMELINE_JSONL in manifest["files"]:
        report.problems.extend(_chain_problems(files[TIMELINE_JSONL], manifest))
    elif TIMELINE_JSONL not in manifest["files"]:
        report.problems.append(f"manifest.json: does not list {TIMELINE_JSONL}")
    return report


def verify_pack(path: Path, trusted_public_key: Ed25519PublicKey | None) -> VerifyReport:
    """Verify a pack folder, .tar.gz or .zip offline.

    With `trusted_public_key` None the pack's own signing-key.pub is used, which proves only
    that the pack is self-consistent, not who made it; the report says so.
    """
    try:
        contents = read_pack(path)
    except PackReadError as exc:
        return VerifyReport(source=str(path), problems=[str(exc)])
    return verify_contents(contents, trusted_public_key, str(path))

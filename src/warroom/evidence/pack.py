"""Evidence packs: build the signed set of files for one incident, write it as folder or archive."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from warroom.clock import Clock, isoformat, parse_instant
from warroom.domain.events import GENESIS_HASH, Event, canonical_json
from warroom.evidence.approvals import derive_approvals
from warroom.evidence.changes import derive_changes
from warroom.evidence.impact import ImpactData, impact_markdown
from warroom.evidence.keys import key_id, public_key_pem
from warroom.evidence.milestones import incident_facts, milestones
from warroom.evidence.timeline import markdown_cell, timeline_markdown

PACK_FORMAT = "warroom-evidence-pack/1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
PUBLIC_KEY = "signing-key.pub"
TIMELINE_JSONL = "timeline.jsonl"
UNSIGNED_FILES = frozenset({MANIFEST, SIGNATURE})


class PackError(ValueError):
    """A pack that cannot be built or written; the message says what to change."""


@dataclass(frozen=True)
class PackInputs:
    """Everything the store knows about one incident, gathered by the caller.

    `incident` is the stored summary (keys such as id, human_id, title, severity, status,
    services, impact, users_affected); it overrides what the events say. `approvals` and
    `changes` are derived from the events when left as None. `artifacts` become `logs/<name>`.
    """

    incident: Mapping[str, Any]
    events: Sequence[Event]
    artifacts: Mapping[str, bytes] = field(default_factory=dict)
    approvals: Sequence[Mapping[str, Any]] | None = None
    changes: Sequence[Mapping[str, Any]] | None = None
    postmortem_markdown: str | None = None
    impact: ImpactData = field(default_factory=ImpactData)


def artifact_path(name: str) -> str:
    """`logs/<name>`, refusing names that could escape the logs folder when extracted."""
    path = PurePosixPath(name)
    if (not name or "\\" in name or "\x00" in name or path.is_absolute()
            or any(part in ("", ".", "..") for part in name.split("/"))):
        raise PackError(f"artifact name {name!r} is not a plain relative path; name artifacts "
                        "like 'step-3.txt' or by their sha256")
    return f"logs/{name}"


def _json_bytes(value: Any) -> bytes:
    return (json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def _rca_stub(human_id: str) -> str:
    return (f"# Root-cause analysis — {markdown_cell(human_id)}\n\n"
            "No postmortem exists yet for this incident. Export the pack again once the "
            "postmortem is written; the new pack will carry it here.\n")


def file_entry(content: bytes) -> dict[str, Any]:
    return {"sha256": hashlib.sha256(content).hexdigest(), "size": len(content)}


def build_pack(inputs: PackInputs, signing_key: Ed25519PrivateKey, clock: Clock,
               tool_version: str) -> dict[str, bytes]:
    """All files of the pack, relative path → content, with manifest.json signed."""
    events = list(inputs.events)
    facts = incident_facts(events, inputs.incident)
    ms = milestones(events)
    generated_at = clock.now()
    files: dict[str, bytes] = {}
    for name, content in inputs.artifacts.items():
        files[artifact_path(name)] = content
    title = f"{facts.human_id or facts.chain} — {facts.title}".strip(" —")
    files["timeline.md"] = timeline_markdown(title, events).encode()
    files[TIMELINE_JSONL] = "".join(
        canonical_json(e.to_json()) + "\n" for e in events).encode()
    changes = (list(inputs.changes) if inputs.changes is not None
               else derive_changes(events, inputs.artifacts.keys()))
    approvals = (list(inputs.approvals) if inputs.approvals is not None
                 else derive_approvals(events))
    files["changes.json"] = _json_bytes({"incident": facts.human_id, "changes": changes})
    files["approvals.json"] = _json_bytes({"incident": facts.human_id, "approvals": approvals})
    files["impact-assessment.md"] = impact_markdown(
        facts, ms, inputs.impact, generated_at).encode()
    rca = inputs.postmortem_markdown
    files["rca.md"] = (rca if rca and rca.strip() else _rca_stub(facts.human_id)).encode()
    public = signing_key.public_key()
    files[PUBLIC_KEY] = public_key_pem(public).encode()
    manifest = {
        "format": PACK_FORMAT,
        "chain": facts.chain,
        "incident": facts.human_id,
        "event_count": len(events),
        "head_hash": events[-1].hash if events else GENESIS_HASH,
        "tool_version": tool_version,
        "generated_at": isoformat(generated_at),
        "key_id": key_id(public),
        "signature_algorithm": "ed25519",
        "files": {path: file_entry(files[path]) for path in sorted(files)},
    }
    manifest_bytes = _json_bytes(manifest)
    files[MANIFEST] = manifest_bytes
    files[SIGNATURE] = base64.b64encode(signing_key.sign(manifest_bytes)) + b"\n"
    return dict(sorted(files.items()))


def _generated_at(files: Mapping[str, bytes]) -> datetime:
    try:
        return parse_instant(str(json.loads(files[MANIFEST])["generated_at"]))
    except (KeyError, ValueError, TypeError):
        return datetime(1980, 1, 1, tzinfo=UTC)


def archive_root(out: Path) -> str:
    """The folder an archive unpacks into: its file name without the archive suffix."""
    name = out.name
    for suffix in (".tar.gz", ".tgz", ".zip"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)] or "evidence"
    return name


def tar_gz_bytes(files: Mapping[str, bytes], root: str) -> bytes:
    """A reproducible .tar.gz: sorted members, fixed owner and mode, mtime = generation time."""
    mtime = int(_generated_at(files).timestamp())
    raw = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=mtime) as gz, \
            tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in sorted(files):
            info = tarfile.TarInfo(f"{root}/{path}")
            info.size = len(files[path])
            info.mtime = mtime
            info.mode = 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(files[path]))
    return raw.getvalue()


def zip_bytes(files: Mapping[str, bytes], root: str) -> bytes:
    """A reproducible .zip: sorted members, fixed mode, timestamp = generation time."""
    stamp = max(_generated_at(files), datetime(1980, 1, 1, tzinfo=UTC))
    date_time = (stamp.year, stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second)
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w") as zf:
        for path in sorted(files):
            info = zipfile.ZipInfo(f"{root}/{path}", date_time=date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            zf.writestr(info, files[path])
    return raw.getvalue()


def pack_kind(out: Path) -> str:
    """"tar.gz", "zip" or "folder", from the --out suffix."""
    name = out.name.lower()
    if name.endswith((".tar.gz", ".tgz")):
        return "tar.gz"
    if name.endswith(".zip"):
        return "zip"
    return "folder"


def write_pack(files: Mapping[str, bytes], out: Path) -> Path:
    """Write the pack as a folder, .tar.gz or .zip (by suffix); never overwrites anything."""
    if out.exists() and not (out.is_dir() and not any(out.iterdir())):
        raise PackError(f"{out} already exists — choose another --out path or move it away")
    parent = out.parent if str(out.parent) else Path(".")
    parent.mkdir(parents=True, exist_ok=True)
    kind = pack_kind(out)
    if kind == "folder":
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=parent))
        try:
            for path, content in files.items():
                target = staging / path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content)
            staging.chmod(0o755)
            if out.exists():
                out.rmdir()
            staging.rename(out)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return out
    content = (tar_gz_bytes(files, archive_root(out)) if kind == "tar.gz"
               else zip_bytes(files, archive_root(out)))
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", dir=parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, out)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return out

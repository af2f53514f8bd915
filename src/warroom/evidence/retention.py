"""Retention: move evidence packs older than the retention period into an archive directory."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from warroom.clock import Clock, isoformat, parse_instant
from warroom.evidence.durations import format_duration
from warroom.evidence.pack import MANIFEST
from warroom.evidence.verify import PackReadError, read_pack


@dataclass(frozen=True)
class ArchivedPack:
    name: str
    generated_at: datetime
    age: timedelta
    destination: Path


@dataclass(frozen=True)
class SkippedPack:
    name: str
    reason: str


@dataclass
class RetentionReport:
    packs_dir: Path
    archive_dir: Path
    period: timedelta
    ran_at: datetime
    moved: list[ArchivedPack] = field(default_factory=list)
    kept: int = 0
    skipped: list[SkippedPack] = field(default_factory=list)


def pack_generated_at(path: Path) -> datetime:
    """The generation time recorded in a pack's manifest (folder or archive)."""
    contents = read_pack(path)
    if MANIFEST not in contents.files:
        raise PackReadError(f"{path}: no {MANIFEST} — not an evidence pack")
    try:
        return parse_instant(str(json.loads(contents.files[MANIFEST])["generated_at"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise PackReadError(f"{path}: {MANIFEST} has no readable generated_at") from exc


def archive_old_packs(packs_dir: Path, archive_dir: Path, period: timedelta,
                      clock: Clock) -> RetentionReport:
    """Move every pack whose manifest is older than `period` into `archive_dir`.

    Age is taken from the signed generated_at, not the file's mtime, which copies and restores
    change. Entries that are not packs, or whose name is taken in the archive, stay put and are
    listed as skipped.
    """
    now = clock.now()
    report = RetentionReport(packs_dir=packs_dir, archive_dir=archive_dir, period=period,
                             ran_at=now)
    if not packs_dir.is_dir():
        raise PackReadError(f"{packs_dir}: no such directory of evidence packs")
    for entry in sorted(packs_dir.iterdir()):
        if entry.name.startswith(".") or entry.resolve() == archive_dir.resolve():
            continue
        try:
            generated_at = pack_generated_at(entry)
        except PackReadError as exc:
            report.skipped.append(SkippedPack(entry.name, str(exc)))
            continue
        age = now - generated_at
        if age <= period:
            report.kept += 1
            continue
        destination = archive_dir / entry.name
        if destination.exists():
            report.skipped.append(SkippedPack(
                entry.name, f"{destination} already exists — remove or rename one of them"))
            continue
        archive_dir.mkdir(parents=True, exist_ok=True)
        # shutil.move, not rename: the archive is often another filesystem (cold storage).
        shutil.move(entry, destination)
        report.moved.append(ArchivedPack(entry.name, generated_at, age, destination))
    return report


def retention_markdown(report: RetentionReport) -> str:
    lines = ["# Evidence retention report", "",
             f"- **Run at**: {isoformat(report.ran_at)}",
             f"- **Retention period**: {format_duration(report.period)}",
             f"- **Packs directory**: `{report.packs_dir}`",
             f"- **Archive directory**: `{report.archive_dir}`",
             f"- **Moved**: {len(report.moved)}; **kept**: {report.kept}; "
             f"**skipped**: {len(report.skipped)}", ""]
    if report.moved:
        lines += ["## Moved to the archive", "", "| Pack | Generated at | Age |", "|---|---|---|"]
        lines += [f"| {p.name} | {isoformat(p.generated_at)} | {format_duration(p.age)} |"
                  for p in report.moved]
        lines.append("")
    if report.skipped:
        lines += ["## Skipped", ""]
        lines += [f"- `{s.name}`: {s.reason}" for s in report.skipped]
        lines.append("")
    return "\n".join(lines)

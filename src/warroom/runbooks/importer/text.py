"""Cleaning imported text: undoing UTF-8 read as Latin-1/cp1252/Mac Roman, and front matter."""

from __future__ import annotations

import re
from typing import Any

import yaml

_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")
_FRONT_MATTER = re.compile(r"\A(?:\ufeff)?---[ \t]*\n(.*?\n)(?:---|\.\.\.)[ \t]*(?:\n|\Z)",
                           re.DOTALL)


def _cp1252_bytes(run: str) -> bytes | None:
    """Bytes that cp1252 (falling back to Latin-1 for its holes) would have shown as `run`."""
    out = bytearray()
    for ch in run:
        try:
            out += ch.encode("cp1252")
        except UnicodeEncodeError:
            if ord(ch) > 0xFF:
                return None
            out.append(ord(ch))
    return bytes(out)


def _mac_roman_bytes(run: str) -> bytes | None:
    try:
        return run.encode("mac_roman")
    except UnicodeEncodeError:
        return None


def _repair_run(run: str) -> str:
    for to_bytes in (_cp1252_bytes, _mac_roman_bytes):
        raw = to_bytes(run)
        if raw is None:
            continue
        try:
            fixed = raw.decode("utf-8")
        except UnicodeDecodeError:
            continue
        if len(fixed) < len(run):
            return fixed
    return run


def repair_mojibake(text: str) -> tuple[str, int]:
    """Repair runs of characters that are UTF-8 bytes decoded as a single-byte charset.

    Each run of non-ASCII characters is re-encoded as cp1252/Latin-1 or Mac Roman and
    decoded as UTF-8; a run is replaced only when that succeeds and gets shorter, so genuine
    text like "café" or "—" is left alone. Returns the text and the number of repaired runs.
    """
    repaired = 0

    def fix(m: re.Match[str]) -> str:
        nonlocal repaired
        new = _repair_run(m.group(0))
        if new != m.group(0):
            repaired += 1
        return new
    return _NON_ASCII_RUN.sub(fix, text), repaired


def split_front_matter(text: str) -> tuple[dict[str, Any], str, str | None]:
    """(front matter, text with the front matter blanked, problem) — line numbers are kept."""
    m = _FRONT_MATTER.match(text)
    if not m:
        return {}, text, None
    blank = "\n" * m.group(0).count("\n")
    try:
        data = yaml.safe_load(m.group(1))
    except yaml.YAMLError as exc:
        return {}, blank + text[m.end():], f"front matter is not valid YAML ({exc})"
    if not isinstance(data, dict):
        return {}, blank + text[m.end():], "front matter is not a mapping"
    return data, blank + text[m.end():], None


def normalise(raw: str | bytes) -> tuple[str, int]:
    """Decode bytes leniently, unify newlines, and repair mojibake."""
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("cp1252", errors="replace")
    else:
        text = raw.removeprefix("\ufeff")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return repair_mojibake(text)

"""Alert identity and selection: Alertmanager-style label matchers and label-set fingerprints."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

MatchOp = Literal["=", "!=", "=~", "!~"]

_LABEL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Longest operators first so "=~" is not read as "=" followed by a value starting with "~".
_OPS: tuple[MatchOp, ...] = ("=~", "!~", "!=", "=")


class MatcherError(ValueError):
    """A matcher that cannot be parsed; the message shows the text and what to write instead."""


@dataclass(frozen=True)
class Matcher:
    """One label condition, e.g. `severity=~"critical|page"`; a missing label reads as ""."""

    name: str
    op: MatchOp
    value: str
    _regex: re.Pattern[str] | None = field(default=None, compare=False, repr=False, hash=False)

    def __post_init__(self) -> None:
        if self.op in ("=~", "!~") and self._regex is None:
            # Anchored on both ends like Alertmanager ("^(?:" + value + ")$").
            try:
                compiled = re.compile(f"(?:{self.value})")
            except re.error as exc:
                raise MatcherError(
                    f"{self}: invalid regular expression: {exc}") from exc
            object.__setattr__(self, "_regex", compiled)

    def matches(self, labels: Mapping[str, str]) -> bool:
        actual = labels.get(self.name, "")
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        assert self._regex is not None
        found = self._regex.fullmatch(actual) is not None
        return found if self.op == "=~" else not found

    def __str__(self) -> str:
        name = self.name if _LABEL_NAME.fullmatch(self.name) else _quote(self.name)
        return f"{name}{self.op}{_quote(self.value)}"


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _read_quoted(text: str, start: int, whole: str) -> tuple[str, int]:
    """Read a double-quoted string starting at text[start] == '"'; returns (value, next index)."""
    i = start + 1
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == '"':
            try:
                return json.loads(text[start:i + 1]), i + 1
            except json.JSONDecodeError as exc:
                raise MatcherError(
                    f"matcher {whole!r}: bad escape in quoted string ({exc.msg})") from exc
        i += 1
    raise MatcherError(f"matcher {whole!r}: missing closing quote")


def parse_matcher(text: str) -> Matcher:
    """Parse `name=value`, `name!=value`, `name=~regex` or `name!~regex`; values may be quoted."""
    body = text.strip()
    if not body:
        raise MatcherError("empty matcher — write it as name=value, e.g. severity=\"critical\"")
    if body.startswith('"'):
        name, pos = _read_quoted(body, 0, text)
    else:
        found = _LABEL_NAME.match(body)
        if found is None:
            raise MatcherError(
                f"matcher {text!r}: a label name must start with a letter or _ and contain only "
                "letters, digits and _ (quote other names)")
        name, pos = found.group(0), found.end()
    rest = body[pos:].lstrip()
    op = next((candidate for candidate in _OPS if rest.startswith(candidate)), None)
    if op is None:
        raise MatcherError(
            f"matcher {text!r}: expected one of =, !=, =~, !~ after the label name {name!r}")
    raw_value = rest[len(op):].strip()
    if raw_value.startswith('"'):
        value, end = _read_quoted(raw_value, 0, text)
        if raw_value[end:].strip():
            raise MatcherError(
                f"matcher {text!r}: unexpected text after the closing quote: "
                f"{raw_value[end:].strip()!r}")
    else:
        value = raw_value
    return Matcher(name, op, value)


def parse_matchers(text: str) -> list[Matcher]:
    """Parse a comma-separated list, optionally in braces: `{alertname="X", team=~"db|infra"}`."""
    body = text.strip()
    if body.startswith("{") and body.endswith("}"):
        body = body[1:-1]
    parts: list[str] = []
    current: list[str] = []
    in_quotes = False
    escaped = False
    for char in body:
        if escaped:
            escaped = False
        elif char == "\\" and in_quotes:
            escaped = True
        elif char == '"':
            in_quotes = not in_quotes
        elif char == "," and not in_quotes:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return [parse_matcher(part) for part in parts if part.strip()]


def matches_all(matchers: Iterable[Matcher], labels: Mapping[str, str]) -> bool:
    """True when every matcher matches; an empty list matches everything."""
    return all(matcher.matches(labels) for matcher in matchers)


def fingerprint(labels: Mapping[str, str]) -> str:
    """warroom's own stable label-set identity: sha256 over sorted name/value pairs, 64 hex."""
    digest = hashlib.sha256()
    for name in sorted(labels):
        digest.update(name.encode())
        digest.update(b"\xff")
        digest.update(labels[name].encode())
        digest.update(b"\xff")
    return digest.hexdigest()


_FNV_OFFSET = 14695981039346656037
_FNV_PRIME = 1099511628211
_MASK64 = 0xFFFFFFFFFFFFFFFF


@lru_cache(maxsize=65536)
def _fnv_sorted_pairs(pairs: tuple[tuple[str, str], ...]) -> str:
    value = _FNV_OFFSET
    for name, label_value in pairs:
        for byte in name.encode():
            value = ((value ^ byte) * _FNV_PRIME) & _MASK64
        value = ((value ^ 0xFF) * _FNV_PRIME) & _MASK64
        for byte in label_value.encode():
            value = ((value ^ byte) * _FNV_PRIME) & _MASK64
        value = ((value ^ 0xFF) * _FNV_PRIME) & _MASK64
    return f"{value:016x}"


def alertmanager_fingerprint(labels: Mapping[str, str]) -> str:
    """Alertmanager's alert fingerprint (FNV-64a over sorted pairs, 0xff separators), 16 hex.

    Equal to the `fingerprint` field Alertmanager puts in its webhooks. Cached because
    Prometheus re-sends the same label sets on every evaluation.
    """
    return _fnv_sorted_pairs(tuple(sorted(labels.items())))

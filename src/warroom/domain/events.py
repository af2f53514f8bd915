"""Timeline events: canonical JSON and the sha256 hash chain shared by incidents and audit."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from warroom.clock import isoformat

GENESIS_HASH = "0" * 64


def canonical_json(value: Any) -> str:
    """Deterministic JSON: sorted keys, no whitespace, UTF-8 text kept as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class Event:
    """One appended fact. `chain` is the incident id (or "audit" for the admin chain)."""

    chain: str
    seq: int
    at: datetime
    actor: str
    kind: str
    data: dict[str, Any] = field(default_factory=dict)
    prev_hash: str = GENESIS_HASH
    hash: str = ""

    def hashed_fields(self) -> dict[str, Any]:
        return {
            "chain": self.chain,
            "seq": self.seq,
            "at": isoformat(self.at),
            "actor": self.actor,
            "kind": self.kind,
            "data": self.data,
            "prev_hash": self.prev_hash,
        }

    def compute_hash(self) -> str:
        return hashlib.sha256(canonical_json(self.hashed_fields()).encode("utf-8")).hexdigest()

    def to_json(self) -> dict[str, Any]:
        return {**self.hashed_fields(), "hash": self.hash}


def seal(
    chain: str,
    seq: int,
    at: datetime,
    actor: str,
    kind: str,
    data: dict[str, Any],
    prev_hash: str,
) -> Event:
    """Build an event and fill in its hash."""
    draft = Event(chain=chain, seq=seq, at=at, actor=actor, kind=kind, data=data,
                  prev_hash=prev_hash)
    return Event(chain=chain, seq=seq, at=at, actor=actor, kind=kind, data=data,
                 prev_hash=prev_hash, hash=draft.compute_hash())


@dataclass(frozen=True)
class ChainBreak:
    """The first place a chain stops verifying, and why."""

    seq: int
    reason: str

    def __str__(self) -> str:
        return f"event #{self.seq}: {self.reason}"


def verify_chain(events: list[Event], chain: str | None = None) -> ChainBreak | None:
    """Check sequence numbers, links and hashes; return the first break or None."""
    prev = GENESIS_HASH
    for expected_seq, event in enumerate(events, start=1):
        if chain is not None and event.chain != chain:
            return ChainBreak(event.seq, f"belongs to chain {event.chain!r}, not {chain!r}")
        if event.seq != expected_seq:
            return ChainBreak(event.seq, f"sequence number {event.seq}, expected {expected_seq}"
                              " (an event was deleted, inserted or reordered)")
        if event.prev_hash != prev:
            return ChainBreak(event.seq, "prev_hash does not match the previous event's hash")
        actual = event.compute_hash()
        if actual != event.hash:
            return ChainBreak(event.seq, f"content does not match its hash ({event.kind}"
                              f" by {event.actor}); stored {event.hash[:12]}…,"
                              f" recomputed {actual[:12]}…")
        prev = event.hash
    return None


def event_from_json(obj: dict[str, Any]) -> Event:
    """Inverse of Event.to_json (used by offline verification)."""
    from warroom.clock import parse_instant

    return Event(
        chain=str(obj["chain"]),
        seq=int(obj["seq"]),
        at=parse_instant(str(obj["at"])),
        actor=str(obj["actor"]),
        kind=str(obj["kind"]),
        data=dict(obj.get("data") or {}),
        prev_hash=str(obj["prev_hash"]),
        hash=str(obj["hash"]),
    )

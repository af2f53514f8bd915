"""Fixtures for the evidence tests: a signing key, the scripted P0 and its built pack."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from warroom.clock import FakeClock
from warroom.domain.events import Event
from warroom.evidence.pack import build_pack
from warroom.testing.evidence_story import pack_inputs, scripted_p0


@pytest.fixture
def signing_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def story() -> tuple[FakeClock, list[Event], dict[str, bytes]]:
    return scripted_p0()


@pytest.fixture
def pack_files(story: tuple[FakeClock, list[Event], dict[str, bytes]],
               signing_key: Ed25519PrivateKey) -> dict[str, bytes]:
    clock, events, artifacts = story
    return build_pack(pack_inputs(events, artifacts), signing_key, clock, "0.1.0-test")

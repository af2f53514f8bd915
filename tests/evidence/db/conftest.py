"""Fixtures for the evidence database tests: principals of the standard test users, and a
resolved scripted P0 whose notifications reach a local receiver."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from warroom.clock import FakeClock
from warroom.runtime import Runtime
from warroom.services.principal import Principal
from warroom.services.users import UserService
from warroom.testing.evidence_config import evidence_config
from warroom.testing.evidence_db import ResolvedP0, scripted_p0
from warroom.testing.receivers import HttpReceiver
from warroom.testing.runtime import Users, make_runtime, make_users


def _principal(runtime: Runtime, name: str) -> Principal:
    found = UserService(runtime).principal_for(name)
    assert found is not None
    return found


@pytest.fixture
def commander(runtime: Runtime, users: Users) -> Principal:
    return _principal(runtime, "commander")


@pytest.fixture
def responder(runtime: Runtime, users: Users) -> Principal:
    return _principal(runtime, "responder")


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    with HttpReceiver() as rec:
        yield rec


@pytest.fixture
def resolved_p0(db_url: str, tmp_path: Path, receiver: HttpReceiver) -> Iterator[ResolvedP0]:
    clock = FakeClock()
    runtime = make_runtime(db_url, tmp_path, clock, evidence_config(tmp_path, receiver.url))
    try:
        users = make_users(runtime)
        commander = _principal(runtime, "commander")
        yield ResolvedP0(runtime, clock, users, commander, scripted_p0(runtime, clock, commander))
    finally:
        runtime.engine.dispose()

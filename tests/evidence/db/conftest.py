"""Fixtures for the evidence database tests: principals of the standard test users."""

from __future__ import annotations

import pytest

from warroom.runtime import Runtime
from warroom.services.principal import Principal
from warroom.services.users import UserService
from warroom.testing.runtime import Users


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

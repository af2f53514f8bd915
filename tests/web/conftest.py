"""Console fixtures: the example organisation on both engines, users with passwords, and
browser-like clients (see console_client.py)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from warroom.api.app import create_app
from warroom.clock import FakeClock
from warroom.runtime import Runtime
from warroom.web.testkit import Browser, add_users, org_runtime_at


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file with the users, copied per test (argon2 hashing is slow)."""
    folder = tmp_path_factory.mktemp("template")
    rt = org_runtime_at(f"sqlite:///{folder / 'warroom.db'}", folder / "data", FakeClock())
    add_users(rt)
    rt.engine.dispose()
    return folder / "warroom.db"


@pytest.fixture
def org_runtime(db_url: str, tmp_path: Path, clock: FakeClock,
                request: pytest.FixtureRequest) -> Iterator[Runtime]:
    if db_url.startswith("sqlite:///"):
        template: Path = request.getfixturevalue("sqlite_template")
        shutil.copyfile(template, db_url.removeprefix("sqlite:///"))
        rt = org_runtime_at(db_url, tmp_path / "data", clock)
    else:
        rt = org_runtime_at(db_url, tmp_path / "data", clock)
        add_users(rt)
    yield rt
    rt.engine.dispose()


@pytest.fixture
def browser(org_runtime: Runtime) -> Iterator[Browser]:
    with TestClient(create_app(org_runtime)) as c:
        yield Browser(c)


@pytest.fixture
def second_browser(org_runtime: Runtime) -> Iterator[Browser]:
    with TestClient(create_app(org_runtime)) as c:
        yield Browser(c)

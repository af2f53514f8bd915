"""Status page fixtures: a small organisation with public services, maintenance windows, and
a token to declare incidents with."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from warroom.api.app import create_app
from warroom.clock import FakeClock
from warroom.runtime import Runtime, build_runtime
from warroom.services.principal import SYSTEM
from warroom.services.users import UserService
from warroom.settings import Settings

ORG_YAML = """
organisation: {name: Acme, timezone: Europe/Berlin, status_page_title: Acme status}
services:
  - name: web
    public: true
    component_name: Website
    description: The public site
    maintenance:
      - {comment: CDN swap, starts_at: "2026-01-05T08:00:00Z",
         ends_at: "2026-01-05T10:00:00Z"}
      - {comment: DB upgrade, starts_at: "2026-01-10T02:00:00Z",
         ends_at: "2026-01-10T03:00:00Z"}
  - name: api
    public: true
    component_name: API
    maintenance:
      - {comment: DB upgrade, starts_at: "2026-01-10T02:00:00Z",
         ends_at: "2026-01-10T03:00:00Z"}
  - name: billing
    description: internal only
"""


@pytest.fixture
def status_runtime(db_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[Runtime]:
    config = tmp_path / "org.yaml"
    config.write_text(ORG_YAML)
    settings = Settings.from_env({}, database_url=db_url, data_dir=str(tmp_path / "data"),
                                 config=str(config), bind="127.0.0.1:0",
                                 public_url="https://status.acme.test")
    rt = build_runtime(settings, clock=clock)
    users = UserService(rt)
    users.create(SYSTEM, "rita", role="commander")
    users.create(SYSTEM, "sam", role="responder", is_security=True)
    yield rt
    rt.engine.dispose()


@pytest.fixture
def status_client(status_runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(status_runtime)) as c:
        yield c


@pytest.fixture
def rita(status_runtime: Runtime) -> dict[str, str]:
    token = UserService(status_runtime).create_token(SYSTEM, "rita").token
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def sam(status_runtime: Runtime) -> dict[str, str]:
    token = UserService(status_runtime).create_token(SYSTEM, "sam").token
    return {"Authorization": f"Bearer {token}"}

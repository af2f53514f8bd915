"""Runtimes and users for tests: a migrated database, a fake clock, tokens for each role."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from warroom.clock import FakeClock
from warroom.runtime import Runtime, build_runtime
from warroom.services.principal import SYSTEM
from warroom.services.users import UserService
from warroom.settings import Settings

REPO = Path(__file__).resolve().parents[3]
PG_URL = os.environ.get("WARROOM_TEST_DATABASE_URL", "")


def make_runtime(db_url: str, tmp_path: Path, clock: FakeClock,
                 config: str | Path = "") -> Runtime:
    """A runtime on `db_url` (migrated), with data in tmp_path and the given config."""
    settings = Settings.from_env({}, database_url=db_url, data_dir=str(tmp_path / "data"),
                                 config=str(config), bind="127.0.0.1:0")
    return build_runtime(settings, clock=clock)


@dataclass
class Users:
    """Users by name, each with an API token."""

    tokens: dict[str, str]

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


# name -> role; "security" is a responder with the security flag.
ROLE_USERS = {"viewer": "viewer", "responder": "responder", "responder2": "responder",
              "commander": "commander", "admin": "admin", "security": "responder"}


def make_users(runtime: Runtime, roles: dict[str, str] | None = None) -> Users:
    svc = UserService(runtime)
    tokens = {}
    for name, role in (roles or ROLE_USERS).items():
        svc.create(SYSTEM, name, role=role, is_security=name == "security")
        tokens[name] = svc.create_token(SYSTEM, name).token
    return Users(tokens)

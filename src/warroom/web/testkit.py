"""Helpers for console tests: the example organisation's runtime, tokens, and a browser-like
client that logs in through the login form and keeps the page's CSRF token."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from warroom.clock import FakeClock
from warroom.runtime import Runtime, build_runtime
from warroom.services.principal import SYSTEM
from warroom.services.users import UserService
from warroom.settings import Settings

PASSWORD = "correct-horse-battery"
REPO = Path(__file__).resolve().parents[3]
ORG = REPO / "examples" / "org"


def org_runtime_at(db_url: str, data_dir: Path, clock: FakeClock) -> Runtime:
    settings = Settings.from_env({}, database_url=db_url, data_dir=str(data_dir),
                                 config=str(ORG), bind="127.0.0.1:0")
    return build_runtime(settings, clock=clock)


def add_users(rt: Runtime) -> None:
    users = UserService(rt)
    users.sync_from_config(SYSTEM)
    for name, role, security in (("root", "admin", False), ("rita", "responder", False),
                                 ("sam", "responder", True), ("vic", "viewer", False)):
        users.create(SYSTEM, name, role=role, password=PASSWORD, is_security=security)


def token_for(runtime: Runtime, name: str) -> dict[str, str]:
    issued = UserService(runtime).create_token(SYSTEM, name)
    return {"Authorization": f"Bearer {issued.token}"}


@dataclass
class Browser:
    """A client that holds a session cookie and knows the page's CSRF token."""

    client: httpx.Client  # a TestClient, or a client of a real server
    csrf: str = ""

    def login(self, name: str, password: str = PASSWORD) -> httpx.Response:
        form = self.client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token, form.text
        resp: httpx.Response = self.client.post(
            "/login", data={"username": name, "password": password,
                            "csrf_token": token.group(1), "next": "/"},
            follow_redirects=False)
        if resp.status_code == 303:
            self.csrf = csrf_of(self.client.get("/").text)
        return resp

    def get(self, path: str) -> httpx.Response:
        resp: httpx.Response = self.client.get(path)
        return resp

    def post(self, path: str, data: dict[str, Any] | None = None,
             with_csrf: bool = True) -> httpx.Response:
        body = {**(data or {}), **({"csrf_token": self.csrf} if with_csrf else {})}
        resp: httpx.Response = self.client.post(path, data=body, follow_redirects=False)
        return resp


def csrf_of(html: str) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]+)">', html)
    assert found, "page has no csrf-token meta"
    return found.group(1)

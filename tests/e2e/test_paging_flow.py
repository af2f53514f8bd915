"""A real `warroom serve` (with its worker thread) pages the on-call for an Alertmanager
alert within seconds, and the `warroom oncall` / `warroom notifications` CLI read it back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from warroom.testing.paging import (
    ALERTMANAGER_KEY,
    alertmanager_payload,
    slack_like,
    write_paging_config,
)
from warroom.testing.receivers import HttpReceiver, SmtpReceiver
from warroom.testing.server import Server, cli

pytestmark = pytest.mark.e2e


@pytest.fixture
def receivers() -> Iterator[tuple[HttpReceiver, SmtpReceiver]]:
    with HttpReceiver(responder=slack_like) as hooks, SmtpReceiver() as smtp:
        yield hooks, smtp


def test_serve_pages_the_on_call_and_the_cli_shows_it(
        receivers: tuple[HttpReceiver, SmtpReceiver], tmp_path: Path) -> None:
    import httpx

    hooks, smtp = receivers
    config = write_paging_config(tmp_path / "org", hooks.url, smtp.port)
    server = Server(tmp_path, {"WARROOM_CONFIG": str(config)})
    server.start()
    try:
        env = {"WARROOM_CONFIG": str(config)}
        token = cli(["token", "create", "--user", "admin"], env, tmp_path).stdout
        env |= {"WARROOM_URL": server.url, "WARROOM_TOKEN": token.strip().splitlines()[-1]}
        resp = httpx.post(f"{server.url}/api/v1/intake/alertmanager/{ALERTMANAGER_KEY}",
                          json=alertmanager_payload(), timeout=10)
        assert resp.status_code < 300, resp.text

        pages = [r for r in hooks.wait_for(2, timeout=10) if r.path == "/pager"]
        assert pages and pages[0].json()["subject"].startswith("INCIDENT DECLARED — [P0]")
        assert pages[0].header("X-Warroom-Signature") is not None
        [mail] = smtp.wait_for(1, timeout=10)
        assert mail.message["To"] == "alice@example.org"

        who = cli(["oncall", "who", "--json"], env, tmp_path)
        assert who.returncode == 0, who.stderr
        assert {s["schedule"]: s["on_call"] for s in json.loads(who.stdout)["schedules"]} == {
            "primary": "alice", "secondary": "bob"}
        table = cli(["oncall", "who", "--schedule", "primary"], env, tmp_path)
        assert "alice" in table.stdout
        listed = cli(["notifications", "list", "--json"], env, tmp_path)
        assert listed.returncode == 0, listed.stderr
        assert {r["channel"] for r in json.loads(listed.stdout)["items"]} >= {"pager", "mail"}
        dead = cli(["notifications", "retry", "99999"], env, tmp_path)
        assert dead.returncode == 1 and "not a dead letter" in dead.stderr
    finally:
        server.stop()

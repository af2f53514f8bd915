"""An imported runbook's page shows the steps beside the source Markdown: every step
links to its source lines, which are highlighted; the text is escaped, never rendered."""

from __future__ import annotations

import html as htmllib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from warroom.api.app import create_app
from warroom.cli.runbook import app as runbook_cli
from warroom.clock import FakeClock
from warroom.runtime import build_runtime
from warroom.settings import Settings
from warroom.testing.runbooks import write_org
from warroom.web.testkit import Browser, add_users

FIXTURE = Path(__file__).parent / "fixtures" / "disk-full.md"
RUNBOOK = "disk-full-on-db-0"


@pytest.fixture
def imported(tmp_path: Path, db_url: str, clock: FakeClock) -> Iterator[Browser]:
    """An org whose runbook folder holds the fixture imported with `warroom runbook
    import`, plus a hand-written runbook; a logged-in console client."""
    hand = {"id": "hand-written", "title": "Hand written", "steps": [
        {"id": "look", "title": "Look", "executor": {"type": "manual", "instructions": "x"}},
        {"id": "verify", "title": "Verify", "phase": "verify"}]}
    config = write_org(tmp_path, [hand])
    result = CliRunner().invoke(runbook_cli, ["import", str(FIXTURE),
                                              "--out", str(tmp_path / "runbooks")])
    assert result.exit_code == 0, result.output
    settings = Settings.from_env({}, database_url=db_url, data_dir=str(tmp_path / "data"),
                                 config=str(config), bind="127.0.0.1:0")
    rt = build_runtime(settings, clock=clock)
    add_users(rt)
    with TestClient(create_app(rt)) as client:
        browser = Browser(client)
        browser.login("vic")
        yield browser
    rt.engine.dispose()


def _line(page: str, n: int) -> str:
    found = re.search(rf'<div class="src-line[^"]*" id="L{n}"[^>]*>.*?</div>', page, re.S)
    assert found, f"line {n} is not on the page"
    return found.group(0)


def _attr(html: str, pattern: str) -> str:
    found = re.search(pattern, html, re.S)
    assert found, f"{pattern} not in {html}"
    return found.group(1)


def test_each_step_links_to_its_highlighted_source_lines(imported: Browser) -> None:
    runbook = imported.get(f"/api/v1/runbooks/{RUNBOOK}").json()
    sources = runbook["step_sources"]
    titles = {st["id"]: st["title"] for st in runbook["definition"]["steps"]}
    assert len(sources) == len(runbook["definition"]["steps"]) == 4
    source_lines = FIXTURE.read_text().splitlines()
    page = imported.get(f"/runbooks/{RUNBOOK}").text
    assert "Source Markdown" in page and "sources/disk-full.md" in page
    for step_id, where in sources.items():
        assert f'id="step-{step_id}"' in page
        assert f'href="#source-{step_id}"' in page
        block = re.search(rf'<div class="src-block in-step[^"]*" id="source-{step_id}">'
                          r'(.*?)\n    </div>', page, re.S)
        assert block, f"no highlighted source block for {step_id}"
        assert f'href="#step-{step_id}"' in block.group(1)
        assert htmllib.escape(titles[step_id]) in block.group(1)
        for n in range(where["first_line"], where["last_line"] + 1):
            line = _line(block.group(1), n)
            assert step_id in _attr(line, r'data-source-of="([^"]*)"').split()
            assert htmllib.unescape(_attr(line, r"<code>(.*)</code>")) == source_lines[n - 1]
    # every line of the document is there, numbered; lines outside steps are not marked
    for n in range(1, len(source_lines) + 1):
        _line(page, n)
    assert "data-source-of" not in _line(page, 1)
    # the source is shown as text: its HTML is escaped, never rendered
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in _line(page, 3)


def test_report_only_lines_are_marked_and_the_twin_has_the_source(imported: Browser) -> None:
    doc = imported.get(f"/api/v1/runbooks/{RUNBOOK}").json()["source_document"]
    assert doc["path"] == "sources/disk-full.md" and doc["problem"] is None
    became = {ln["line"]: ln["became"] for ln in doc["lines"]}
    report_only = [ln["line"] for ln in doc["lines"] if ln["report_only"]]
    assert report_only, became
    assert all("report only" in became[n] for n in report_only)
    page = imported.get(f"/runbooks/{RUNBOOK}").text
    for n in report_only:
        assert 'class="src-line report-only"' in _line(page, n)
    assert "report-only" not in _line(page, 14)


def test_hand_written_runbook_has_no_source_panel(imported: Browser) -> None:
    page = imported.get("/runbooks/hand-written").text
    assert "Source Markdown" not in page and "beside-source" not in page
    assert imported.get("/api/v1/runbooks/hand-written").json()["source_document"] is None


def test_a_missing_source_file_is_said_not_a_5xx(imported: Browser, tmp_path: Path) -> None:
    (tmp_path / "runbooks" / "sources" / "disk-full.md").unlink()
    resp = imported.get(f"/runbooks/{RUNBOOK}")
    assert resp.status_code == 200
    assert "The source cannot be shown: the file is missing" in resp.text
    assert 'id="step-check-free-space"' in resp.text

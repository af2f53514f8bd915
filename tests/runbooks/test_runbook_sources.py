"""The source Markdown kept beside an imported runbook: read only from inside the runbook's
folder, numbered as the importer numbered it."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from warroom.runbooks.model import Runbook
from warroom.runbooks.sources import read_source

STEPS = [{"id": "look", "title": "Look"}]


@pytest.mark.parametrize("path", ["../secrets.md", "/etc/passwd", "sources/../../x.md",
                                  "sources\\..\\x.md", " "])
def test_source_document_must_stay_inside_the_runbook_folder(path: str) -> None:
    with pytest.raises(ValidationError, match="source_document"):
        Runbook.model_validate({"id": "r", "title": "R", "steps": STEPS,
                                "source_document": path})


def test_a_symlink_out_of_the_folder_is_a_problem_not_a_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text("password: hunter2\n")
    books = tmp_path / "runbooks"
    (books / "sources").mkdir(parents=True)
    (books / "sources" / "db.md").symlink_to(secret)
    rb = Runbook.model_validate({"id": "r", "title": "R", "steps": STEPS,
                                 "source_document": "sources/db.md"})
    doc = read_source(books / "r.yaml", rb)
    assert doc is not None and doc.lines == () and doc.problem
    assert "outside" in doc.problem


def test_lines_are_numbered_as_the_importer_numbers_them(tmp_path: Path) -> None:
    (tmp_path / "sources").mkdir()
    (tmp_path / "sources" / "db.md").write_bytes(
        b"\xef\xbb\xbf# DB\r\n\r\n```bash\r\npg_isready\r\n```\r\n")
    rb = Runbook.model_validate({"id": "r", "title": "R", "steps": STEPS,
                                 "source_document": "sources/db.md"})
    doc = read_source(tmp_path / "r.yaml", rb)
    assert doc is not None and doc.problem is None
    assert [(ln.number, ln.text) for ln in doc.lines] == [
        (1, "# DB"), (2, ""), (3, "```bash"), (4, "pg_isready"), (5, "```")]
    assert doc.lines[3].became and "step" in doc.lines[3].became
    assert not doc.lines[3].report_only


def test_a_folder_or_an_unreadable_name_is_a_problem(tmp_path: Path) -> None:
    (tmp_path / "sources" / "db.md").mkdir(parents=True)
    rb = Runbook.model_validate({"id": "r", "title": "R", "steps": STEPS,
                                 "source_document": "sources/db.md"})
    doc = read_source(tmp_path / "r.yaml", rb)
    assert doc is not None and doc.problem and "missing" in doc.problem

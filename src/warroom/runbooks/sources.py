"""The source Markdown of an imported runbook, kept beside its YAML by `warroom runbook
import`, read back numbered as the importer numbered it, for a side-by-side review."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from warroom.runbooks.importer import import_markdown
from warroom.runbooks.importer.text import normalise
from warroom.runbooks.model import Runbook

MAX_BYTES = 2_000_000  # a bigger "source" is not a runbook someone reviews line by line


@dataclass(frozen=True)
class SourceLine:
    number: int
    text: str
    became: str | None   # what the importer made of it; None for a blank line

    @property
    def report_only(self) -> bool:
        """The line became nothing in a runbook: it is only in the import report."""
        return (self.became or "").removeprefix("code fence of ").startswith("report only")


@dataclass(frozen=True)
class SourceDocument:
    path: str               # as recorded in the runbook, relative to its YAML file
    lines: tuple[SourceLine, ...] = ()
    problem: str | None = None   # why the text cannot be shown (missing, too big, ...)


def read_source(yaml_path: Path, runbook: Runbook) -> SourceDocument | None:
    """The runbook's `source_document`, or None for a runbook written by hand. A recorded
    document that is missing, outside the runbook's folder or too big comes back with a
    `problem` instead of lines."""
    recorded = runbook.source_document
    if recorded is None:
        return None
    folder = yaml_path.parent.resolve()
    path = (folder / recorded).resolve()
    if not path.is_relative_to(folder):
        return SourceDocument(recorded, problem="it lies outside the runbook's folder")
    if not path.is_file():
        return SourceDocument(recorded, problem="the file is missing; import the runbook "
                              "again with `warroom runbook import` to keep its source")
    try:
        stat = path.stat()
        if stat.st_size > MAX_BYTES:
            return SourceDocument(recorded, problem=f"it is larger than {MAX_BYTES} bytes")
        return _numbered(str(path), stat.st_mtime_ns, stat.st_size, recorded)
    except OSError as exc:
        return SourceDocument(recorded, problem=f"it cannot be read: {exc.strerror}")


@lru_cache(maxsize=64)
def _numbered(path: str, mtime_ns: int, size: int, recorded: str) -> SourceDocument:
    """Lines numbered as the importer numbered them (same decoding and repair), each with
    what the importer made of it. Cached per file version: re-importing costs CPU."""
    raw = Path(path).read_bytes()
    text, _ = normalise(raw)
    became = import_markdown(raw, recorded).lines
    return SourceDocument(recorded, tuple(
        SourceLine(n, line, became.get(n)) for n, line in enumerate(text.splitlines(), 1)))

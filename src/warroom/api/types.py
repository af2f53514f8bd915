"""Shared API field types: the ranges the database and the clock can hold, declared once so
routes refuse out-of-range input with a 422 that names the field (and OpenAPI shows the range).

Limits are documented in docs/api.md ("Limits")."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from annotated_types import Ge, Le, MaxLen
from pydantic import AfterValidator

# Every id column is a 32-bit INTEGER on PostgreSQL; SQLite would take 64 bits, but ids and
# cursors must mean the same thing on both engines.
INT32_MAX = 2**31 - 1
RowId = Annotated[int, Ge(0), Le(INT32_MAX)]
"""A row id or an id cursor (`before=`, `after=`)."""
Count = Annotated[int, Ge(0), Le(INT32_MAX)]
"""A non-negative count stored in an INTEGER column (e.g. users affected)."""

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2999, 12, 31, tzinfo=UTC)


def _in_range(value: datetime) -> datetime:
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if not EARLIEST <= aware <= LATEST:
        raise ValueError(f"must lie between {EARLIEST.date()} and {LATEST.date()} (got "
                         f"{value.isoformat()})")
    return value


Instant = Annotated[datetime, AfterValidator(_in_range)]
"""A point in time warroom can store and compute with (1970-01-01 to 2999-12-31)."""

# Free text. Names and one-liners are short; notes and summaries are paragraphs; documents
# (postmortem Markdown, runbook YAML) are bounded by the body limit and this cap.
NAME_MAX = 200
LINE_MAX = 1_000
TEXT_MAX = 20_000
DOCUMENT_MAX = 500_000
Name = Annotated[str, MaxLen(NAME_MAX)]
Line = Annotated[str, MaxLen(LINE_MAX)]
Text = Annotated[str, MaxLen(TEXT_MAX)]
Document = Annotated[str, MaxLen(DOCUMENT_MAX)]

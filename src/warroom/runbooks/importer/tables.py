"""Reading severity tables and escalation matrices into proposed config."""

from __future__ import annotations

import re
from typing import Any

from warroom.runbooks.durations import DurationError, format_duration, parse_duration
from warroom.runbooks.importer.markdown import plain

_LEVEL_COL = re.compile(r"^(severity|sev|level|priority|prio|p-level|class)\b", re.I)
_RESPONSE_COL = re.compile(r"response|ack|sla|time to|reaction", re.I)
_TIME_COL = re.compile(r"^(time|when|after|delay|elapsed|t\s*\+|minutes?)\b", re.I)
_ACTION_COL = re.compile(r"action|who|stakeholder|notify|contact|escalat|target|step|channel",
                         re.I)
_KEY = re.compile(r"\b(P[0-9]|SEV[- ]?[0-9]|S[0-9])\b", re.I)
_AMOUNT = re.compile(r"(\d+(?:\.\d+)?)\s*(seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|"
                     r"days?|d|weeks?|w)\b", re.I)


def find_column(header: list[str], pattern: re.Pattern[str]) -> int | None:
    for i, cell in enumerate(header):
        if pattern.search(plain(cell)):
            return i
    return None


def parse_amount(text: str) -> str | None:
    """The first duration in prose ("< 15 minutes", "+1 hour", "Immediate (< 5 min)")."""
    m = _AMOUNT.search(text)
    if not m:
        return "0s" if re.search(r"immediate|now|instant", text, re.I) else None
    try:
        return format_duration(parse_duration(f"{m.group(1)}{m.group(2).lower()}"))
    except DurationError:
        return None


def severity_scheme(rows: list[list[str]]) -> dict[str, Any] | None:
    """A proposed severity scheme from a table with a level column and a response column."""
    if len(rows) < 2:
        return None
    header = rows[0]
    level_col = find_column(header, _LEVEL_COL)
    response_col = find_column(header, _RESPONSE_COL)
    if level_col is None or response_col is None or level_col == response_col:
        return None
    levels = []
    for row in rows[1:]:
        if len(row) <= max(level_col, response_col):
            continue
        cell = plain(row[level_col])
        m = _KEY.search(cell)
        key = m.group(1).upper().replace(" ", "") if m else cell
        name = re.sub(r"^\s*(P[0-9]|SEV[- ]?[0-9]|S[0-9])\s*[-–—:]?\s*", "", cell, flags=re.I)
        response = plain(row[response_col])
        level: dict[str, Any] = {"key": key, "name": name or key, "response_time": response,
                                 "ack_sla": parse_amount(response) if response else None}
        if level["ack_sla"] == "0s":
            level["ack_sla"] = None
        for i, cell_text in enumerate(row):
            if i not in (level_col, response_col) and i < len(header):
                level[re.sub(r"\W+", "_", plain(header[i]).lower()).strip("_")] = plain(cell_text)
        levels.append(level)
    return {"levels": levels} if levels else None


def escalation_policy(rows: list[list[str]]) -> dict[str, Any] | None:
    """A proposed escalation policy from a table with a time column and an action column."""
    if len(rows) < 2:
        return None
    header = rows[0]
    time_col = find_column(header, _TIME_COL)
    if time_col is None:
        return None
    others = [i for i in range(len(header)) if i != time_col]
    action_cols = [i for i in others if _ACTION_COL.search(plain(header[i]))]
    if not action_cols:
        return None
    steps = []
    for row in rows[1:]:
        if len(row) <= time_col:
            continue
        after = parse_amount(plain(row[time_col]))
        if after is None:
            return None
        step: dict[str, Any] = {"after": after, "when": plain(row[time_col])}
        for i in action_cols:
            if i < len(row):
                step[re.sub(r"\W+", "_", plain(header[i]).lower()).strip("_")] = plain(row[i])
        steps.append(step)
    return {"steps": steps} if steps else None


def escalation_lines(lines: list[str]) -> dict[str, Any] | None:
    """Escalation written as text: 'P1 Incidents: Immediate notification to all roles'."""
    rules = []
    for line in lines:
        m = re.match(r"^\s*[-*]?\s*(P[0-9]|SEV[- ]?[0-9])\b[^:]*:\s*(.+)$", line, re.I)
        if m:
            rules.append({"severity": m.group(1).upper(), "notify": m.group(2).strip(),
                          "after": parse_amount(m.group(2)) or "0s"})
    return {"rules": rules} if len(rules) >= 2 else None


def severity_of(text: str) -> str | None:
    """The severity key a heading names, e.g. 'P0 - Critical' or 'Service Outage (P0)'."""
    m = _KEY.search(text)
    return m.group(1).upper().replace(" ", "") if m else None

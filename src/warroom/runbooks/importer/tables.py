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


_ROLE_COL = re.compile(r"^(role|team|function|position|who|name|service|component|area)\b", re.I)
_CONTACT_COL = re.compile(r"primary|secondary|backup|tertiary|contact|on-?call|phone|e-?mail|"
                          r"slack|pager|escalat|owner|level\s*\d|\bl\d\b|tier", re.I)
_CONTACT_KEY = re.compile(r"^\W*(primary|secondary|tertiary|backup|escalation|fallback|"
                          r"manager|(?:first|second|third|final)[- ]level|l[1-3]|level\s*[1-3]|"
                          r"tier\s*[1-3])(?:\s+(?:on-?call|contact|engineer|responder))?\W*"
                          r"\s*[:\-–—]\s*(.+)$", re.I)


def _key(text: str) -> str:
    return re.sub(r"\W+", "_", plain(text).lower()).strip("_") or "value"


def contact_table(rows: list[list[str]]) -> list[dict[str, str]] | None:
    """On-call contacts or an escalation matrix as a table: a role/team column and contact
    columns (Primary, Backup, Phone, L1/L2, Escalation, ...). One entry per row."""
    if len(rows) < 2:
        return None
    header = rows[0]
    role_col = find_column(header, _ROLE_COL)
    contact_cols = [i for i, cell in enumerate(header)
                    if i != role_col and _CONTACT_COL.search(plain(cell))]
    if role_col is None and len(contact_cols) < 2:
        return None
    if not contact_cols:
        return None
    role_col = 0 if role_col is None else role_col
    out = []
    for row in rows[1:]:
        if len(row) <= role_col:
            continue
        entry = {"role": plain(row[role_col])}
        for i, cell in enumerate(row):
            if i != role_col and i < len(header) and plain(cell):
                entry[_key(header[i])] = plain(cell)
        out.append(entry)
    return out or None


def contact_lines(lines: list[str]) -> dict[str, str] | None:
    """An on-call contact list ("Primary: @alice", "Secondary: …", "Escalation: …"): two or
    more such keys make one proposed contact set."""
    found: dict[str, str] = {}
    for line in lines:
        m = _CONTACT_KEY.match(plain(line))
        if m:
            found[_key(m.group(1))] = m.group(2).strip()
    return found if len(found) >= min(2, len(lines)) and found else None

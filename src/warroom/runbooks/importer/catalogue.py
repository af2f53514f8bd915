"""Scenarios and alert-catalogue entries: sections that are runbooks of their own, and the
alert a section is about."""

from __future__ import annotations

import re

from warroom.runbooks.importer.draft import IDENTIFIER
from warroom.runbooks.importer.markdown import Section, plain

_SEPARATE = re.compile(r"^\W*(scenario|use[- ]case|case|alert(\s+name)?|alertname)\b\s*"
                       r"(\d+|[A-Z]\b)?\s*[:.)\-–—]", re.I)
ALERT_HEADING = re.compile(r"^\W*alert(?:\s*name)?\s*[:\-–—]\s*[\"“'`]*([A-Za-z_][\w:.-]*)", re.I)
_ALERT_IN_TEXT = re.compile(r"(?:\balert\s*(?:name)?\**\s*:\**\s*|\balertname\s*=~?\s*)"
                            r"[\"“'`]*([A-Za-z_][\w:.-]*[A-Za-z0-9])", re.I)
# A heading that is just an alert's name: `KubePodCrashLooping`, HighErrorRate, etcdNoLeader
# (CamelCase ending like an alert, or in backticks), as in an alert catalogue.
ALERT_LIKE_TITLE = re.compile(
    r"^\s*`?([A-Za-z][a-z0-9]*(?:[A-Z][A-Za-z0-9]*)*(?:Down|High|Low|Failed|Failing|Errors?|"
    r"Latency|Full|FillingUp|Missing|Mismatch|Restarts?|Restarting|CrashLooping|Slow|Exceeded|"
    r"Expir\w*|NotReady|Unavailable|Degraded|Lag\w*|Saturat\w*|Throttl\w*|Spike|Burn|Rate|"
    r"Leader|Unreachable|Stuck|Backlog|Pressure|Overcommit|Inconsistent|Absent|Flapping|"
    r"TooMany\w*|Quota\w*|Limit\w*|Timeout\w*|Drop\w*))`?\s*$")


def is_separate(section: Section) -> bool:
    """A scenario (`### Scenario 2: …`) or an alert-catalogue entry (`##### Alert Name: "X"`):
    a runbook of its own, whatever the headings around it look like."""
    return bool(_SEPARATE.match(plain(section.title)) or ALERT_LIKE_TITLE.match(section.title))


def alert_name(section: Section) -> str | None:
    """The alert a section is about: from its heading or an `Alert: X` line in its own text."""
    m = ALERT_HEADING.match(plain(section.title)) or ALERT_LIKE_TITLE.match(section.title)
    if m:
        return m.group(1)
    for block in section.blocks[:4]:
        if block.kind in ("paragraph", "item"):
            found = _ALERT_IN_TEXT.search(block.text)
            if found and IDENTIFIER.match(found.group(1)):
                return found.group(1)
    return None

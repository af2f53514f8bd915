"""Recognising commands that destroy data or cut off service, and prose that marks a step risky."""

from __future__ import annotations

import re

# (pattern, why) — matched case-insensitively against a whole command or snippet.
_DANGEROUS: tuple[tuple[str, str], ...] = (
    (r"\brm\s+(-\w*\s+)*-\w*[rR]\w*", "rm -r deletes files recursively"),
    (r"\brm\s+(-\w*\s+)*-\w*f\w*", "rm -f deletes files without asking"),
    (r"\bdelete\b", "deletes resources"),
    (r"\b(uninstall|destroy|purge|prune)\b", "removes resources"),
    (r"\bterminate[-_]instances\b", "terminates instances"),
    (r"\bflush(db|all)\b", "wipes a Redis database"),
    (r"redis-cli\b.*\b(del|unlink)\b", "deletes Redis keys"),
    (r"\bdrop\s+(table|database|schema|index|user|role|view)\b", "drops database objects"),
    (r"\btruncate\b", "empties tables or files"),
    (r"--replicas[= ]0\b", "scales a workload to zero"),
    (r"\bpg_(terminate|cancel)_backend\b", "kills database sessions"),
    (r"\bufw\s+(deny|reject|disable|reset)\b", "blocks network traffic"),
    (r"\biptables\b.*(-j\s+(drop|reject)|\s-[FX]\b|--flush)", "blocks or flushes firewall rules"),
    (r"\bkill\s+-(9|kill|sigkill)\b", "force-kills processes"),
    (r"\b(pkill|killall)\b", "kills processes by name"),
    (r"\b(shutdown|reboot|poweroff|halt)\b", "stops or restarts a machine"),
    (r"\bmkfs(\.\w+)?\b", "formats a filesystem"),
    (r"\bdd\b.*\bof=", "overwrites a device or file"),
    (r"\bkubectl\b.*\b(drain|cordon|taint)\b", "takes nodes out of service"),
    (r"\bgit\s+push\b.*(--force|\s-f\b)", "rewrites remote history"),
    (r"\bgit\s+reset\s+--hard\b", "discards local changes"),
    (r"\bsystemctl\s+(stop|disable|mask)\b", "stops a service"),
    (r"\brotate[-_]credentials\b", "rotates credentials"),
    (r"\bmigrate:rollback\b|\bmigrat\w*\s+(down|rollback)\b", "rolls back a database schema"),
    (r"\brestore\b", "overwrites data from a backup"),
)
_PATTERNS = tuple((re.compile(p, re.IGNORECASE), why) for p, why in _DANGEROUS)

_MARKERS = re.compile(
    r"last\s+resort|requires?\s+approval|approval\s+required|high[\s-]risk|\bdanger(ous)?\b|"
    r"⚠|destructive|irreversible|use\s+with\s+(extreme\s+)?caution|"
    r"\bcaution\b|data\s+loss\s+risk", re.IGNORECASE)


def dangerous_reason(command: str) -> str | None:
    """Why `command` is dangerous, or None. Comment text after `#` is ignored."""
    code = "\n".join(_strip_comment(line) for line in command.splitlines())
    for pattern, why in _PATTERNS:
        if pattern.search(code):
            return why
    return None


def risk_marker(text: str) -> str | None:
    """The risk marker in prose (LAST RESORT, REQUIRES APPROVAL, High Risk, ⚠️, ...), or None."""
    m = _MARKERS.search(text)
    return m.group(0) if m else None


def _strip_comment(line: str) -> str:
    stripped = line.lstrip()
    if stripped.startswith("#"):
        return ""
    m = re.search(r"\s#\s", line)
    return line[:m.start()] if m and "'" not in line and '"' not in line else line

"""Reading a phase, an option letter, markers and scenario hints out of headings and labels."""

from __future__ import annotations

import re

from warroom.runbooks.durations import DurationError, format_duration, parse_duration

_PHASE_WORDS: tuple[tuple[str, str], ...] = (
    ("post-incident", r"post[- ]?incident|post[- ]?mortem|\bpir\b|retrospective|lessons|"
                      r"follow[- ]?up|action items?|closure|\breview\b"),
    ("communicate", r"communicat|notif|escalat|status (update|page)|stakeholder|announce|"
                    r"war room|bridge|inform|\bcomms\b"),
    ("evidence", r"evidence|data collection|\bcollect|preserve|snapshot|forensic|capture|"
                 r"gather"),
    ("verify", r"verif|validat|confirm|smoke test|\btests?\b|\bcheck that\b|post-check"),
    ("recover", r"recover|restor|clean ?up|scale back|return to normal|\bresume"),
    ("mitigate", r"mitigat|contain|\bfix|remediat|resolution|resolve|roll ?back|workaround|"
                 r"solution|failover|fail over|isolat|eradicat|\brestart|\bscale\b|"
                 r"traffic management|emergency (action|response|procedure)|response playbook|"
                 r"quick fix|immediate actions?|\bactions\b|repair|undo|revert"),
    ("diagnose", r"diagnos|investigat|troubleshoot|analy[sz]|identify|inspect|debug|"
                 r"root cause|health checks?|\bchecks?\b|look ?up|explore"),
    ("triage", r"triage|assess|classif|detect|initial (response|actions?)|acknowledg|"
               r"first response|quick (assessment|check)|\balert\b|severity"),
)
_PHASES = tuple((phase, re.compile(words, re.I)) for phase, words in _PHASE_WORDS)
_NUMBERED = re.compile(r"^\s*((phase|step|stage|part)\s*\d+|\d+(\.\d+)*[.)]?\s)", re.I)
_OPTION = re.compile(r"\boption\s+([A-Z])\b|\balternative\s+([A-Z])\b|^\s*\(?([A-C])\)\s", re.I)
_OR = re.compile(r"^\s*(or|alternatively|otherwise)\b", re.I)
_REVERT = re.compile(r"revert(?:ed)?\s+(?:it\s+|them\s+|this\s+)?(?:with)?in\s+(\d+(?:\.\d+)?"
                     r"\s*[a-z]+)", re.I)
_APPROVERS = re.compile(r"(?:approv\w*|sign[- ]off|signed off)\s+(?:from|by)\s+"
                        r"(?:the\s+|an?\s+|both\s+)?([^.;\n]{2,80})", re.I)
_ROLE_WORDS = (
    ("commander", r"\bic\b|incident commander|commander"),
    ("security", r"security|ciso"),
    ("tech-lead", r"tech(nical)? lead"),
    ("manager", r"manager"),
    ("dba", r"\bdba\b|database admin"),
    ("director", r"director|cto|vp"),
    ("comms-lead", r"comms|communications lead"),
    ("sre", r"\bsre\b|site reliability"),
    ("owner", r"(service|system|data) owner"),
    ("legal", r"\blegal\b"),
)
_COUNT_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "both": 2}
_COUNT = re.compile(r"\b(\d|one|two|three|four|both)\s+(\w+\s+)?(approv|people|persons|"
                    r"engineers|reviewers|members|of)", re.I)
_SCHEDULES = (
    (r"\bdaily\b", "0 9 * * *"),
    (r"\bweekly\b", "0 9 * * 1"),
    (r"\bmonthly\b", "0 9 1 * *"),
    (r"\bquarterly\b", "0 9 1 */3 *"),
)
_INCIDENT_TYPES = (
    ("security", r"security|breach|intrusion|compromise"),
    ("service_outage", r"outage|down\b|unavailab|system failure"),
    ("performance_degradation", r"performance|latency|slow|degradation|response time"),
    ("data", r"data loss|data issue|corruption|database"),
    ("third_party", r"third[- ]party|external (service|dependenc)"),
    ("infrastructure", r"infrastructure|network|node|disk|cluster"),
)


def phase_of(text: str) -> str | None:
    """The phase a heading or label names, by the earliest keyword in it."""
    best: tuple[int, str] | None = None
    for phase, pattern in _PHASES:
        m = pattern.search(text)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), phase)
    return best[1] if best else None


def is_phase_like(title: str) -> bool:
    """Does a heading read as one phase of a procedure rather than a separate scenario?"""
    return bool(_NUMBERED.match(title)) or phase_of(title) is not None


def option_of(text: str) -> str | None:
    m = _OPTION.search(text)
    return (m.group(1) or m.group(2) or m.group(3)).upper() if m else None


def is_alternative(text: str) -> bool:
    """Does text open an alternative to what came before ("Or restart services")?"""
    return bool(_OR.match(text))


def revert_within(text: str) -> str | None:
    m = _REVERT.search(text)
    if not m:
        return None
    try:
        return format_duration(parse_duration(m.group(1)))
    except DurationError:
        return None


def approver_roles(text: str) -> list[str]:
    """Roles named after "approved by" / "approval from", e.g. IC + security."""
    m = _APPROVERS.search(text)
    if not m:
        return []
    return [role for role, pattern in _ROLE_WORDS if re.search(pattern, m.group(1), re.I)]


def approver_count(text: str) -> int:
    """How many approvers a rule asks for ("two approvers", "both"), 0 when it doesn't say."""
    m = _COUNT.search(text)
    if not m:
        return 0
    word = m.group(1).lower()
    return int(word) if word.isdigit() else _COUNT_WORDS[word]


def schedule_of(title: str) -> str | None:
    for pattern, cron in _SCHEDULES:
        if re.search(pattern, title, re.I):
            return cron
    return None


def incident_type_of(title: str) -> str | None:
    for kind, pattern in _INCIDENT_TYPES:
        if re.search(pattern, title, re.I):
            return kind
    return None

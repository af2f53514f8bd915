"""Turning placeholders in imported commands (`<pod-name>`, `$NAMESPACE`, `[INCIDENT_ID]`)
into declared `{{parameter}}` references."""

from __future__ import annotations

import re
from dataclasses import dataclass

from warroom.runbooks.templating import escape_braces, shell_locals

# Environment a shell provides by itself: never parameters.
SHELL_OWN = frozenset({
    "HOME", "PATH", "USER", "PWD", "OLDPWD", "SHELL", "HOSTNAME", "RANDOM", "SECONDS",
    "LINENO", "IFS", "UID", "EUID", "PPID", "TMPDIR", "LANG", "TERM", "BASH_SOURCE",
    "FUNCNAME", "PIPESTATUS", "REPLY", "OPTARG", "OPTIND", "HOSTTYPE", "OSTYPE", "BASHPID",
})
# Alert labels a parameter is filled from, only when its name is exactly the label's name
# (`pod_name` may be anything; `pod` is the pod label).
LABEL_SOURCES = frozenset({
    "namespace", "pod", "container", "node", "instance", "job", "service", "deployment",
    "statefulset", "daemonset", "cluster", "persistentvolumeclaim", "device", "mountpoint",
    "job_name", "horizontalpodautoscaler", "alertname", "severity", "endpoint",
})
# A placeholder that names a Kubernetes object of this kind in a kubectl command is that
# object's name, not the Prometheus label (`kubectl get job <job>`: job is the Job's name).
_K8S_KIND_WORD = {"job": r"\b(jobs?|cronjobs?)\b(?!_)|\bjob/", "service": r"\b(svc|services?)/",
                  "instance": r"\b(ec2|gcloud|compute|rds)\b"}
_SECRET = re.compile(r"token|secret|password|passwd|api_key|_key$|webhook|credential|dsn",
                     re.IGNORECASE)
_ANGLE = re.compile(r"(?<![<\w$])<([A-Za-z][A-Za-z0-9_.]*(?:[- ][A-Za-z0-9_.]+){0,5})>"
                    r"(?![>&\w])")
_MUSTACHE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
# [INCIDENT_ID], [incident-id], [component]; a lone [WORD] only when text follows without a
# space, because "[PIR] title" is a literal tag, not a placeholder.
_BRACKET = re.compile(r"(?<![\w\[$])(?<!\")\[([A-Z]{2,}(?=\](?!\s))|"
                      r"[A-Z][A-Z0-9]*(?:[_-][A-Z0-9]+)+|"
                      r"[a-z][a-z0-9]*(?:[_-][a-z0-9]+)+|[a-z]{4,})\](?![\w(\]])")
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?[-=]([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")


@dataclass
class ParamHint:
    name: str
    original: str
    default: str | None = None
    from_label: bool = True   # False when the command shows the name means something else

    @property
    def source(self) -> str | None:
        return f"label:{self.name}" if self.from_label and self.name in LABEL_SOURCES else None

    @property
    def secret(self) -> bool:
        return bool(_SECRET.search(self.name))


def snake(text: str) -> str:
    name = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    name = re.sub(r"^your_", "", name)
    if not name or not name[0].isalpha():
        name = "p_" + name
    return name


def _unquoted_spans(text: str) -> list[tuple[int, int]]:
    """Spans of `text` outside single quotes (where the shell expands `$NAME`)."""
    spans, start, i, in_sq, in_dq = [], 0, 0, False, False
    while i < len(text):
        c = text[i]
        if c == "\\" and not in_sq:
            i += 2
            continue
        if c == '"' and not in_sq:
            in_dq = not in_dq
        elif c == "'" and not in_dq:
            if in_sq:
                start = i
            else:
                spans.append((start, i))
            in_sq = not in_sq
        i += 1
    if not in_sq:
        spans.append((start, len(text)))
    return spans


def convert_shell(command: str) -> tuple[str, list[ParamHint]]:
    """Rewrite placeholders in a shell command as `{{name}}`; returns the hints found."""
    local = shell_locals(command)
    hints: dict[str, ParamHint] = {}
    k8s = re.search(r"\b(kubectl|oc|helm|aws|gcloud|az)\b", command)

    def hint(name: str, original: str, default: str | None = None) -> str:
        kind = _K8S_KIND_WORD.get(name)
        label = not (k8s and kind and re.search(kind, command, re.I))
        hints.setdefault(name, ParamHint(name, original, default, label))
        return "{{" + name + "}}"

    # `{{ name }}` placeholders are parameters already; `{{ .Values.x }}` (Go, Helm) stays.
    mustache: list[str] = []

    def keep(m: re.Match[str]) -> str:
        mustache.append(hint(snake(m.group(1)), m.group(0)))
        return f"\x00{len(mustache) - 1}\x00"

    command = escape_braces(_MUSTACHE.sub(keep, command))

    def var(m: re.Match[str]) -> str:
        raw = m.group(1) or m.group(3)
        escaped = m.start() > 0 and m.string[m.start() - 1] == "\\"
        if raw in local or raw in SHELL_OWN or escaped:
            return m.group(0)
        default = m.group(2) if m.group(1) and m.group(2) and "$" not in m.group(2) else None
        return hint(snake(raw), m.group(0), default)

    out: list[str] = []
    pos = 0
    for start, end in _unquoted_spans(command):
        out.append(command[pos:start])
        out.append(_VAR.sub(var, command[start:end]))
        pos = end
    out.append(command[pos:])
    text = "".join(out)
    text = _ANGLE.sub(lambda m: hint(snake(m.group(1)), m.group(0)), text)
    text = _BRACKET.sub(lambda m: hint(snake(m.group(1)), m.group(0)), text)
    text = re.sub(r"\x00(\d+)\x00", lambda m: mustache[int(m.group(1))], text)
    return text, list(hints.values())


def convert_prose(text: str) -> tuple[str, list[ParamHint]]:
    """Placeholders in instructions for a person (`<WORKER NAME>`, `[INCIDENT_COMMANDER_NAME]`,
    `{{ service }}`) as `{{name}}`; `$VAR` stays, since prose uses `$` for money too."""
    hints: dict[str, ParamHint] = {}

    def hint(m: re.Match[str]) -> str:
        name = snake(m.group(1))
        hints.setdefault(name, ParamHint(name, m.group(0), from_label=False))
        return "{{" + name + "}}"

    marked = re.sub(r"\x00(\d+)\x00", "", text)
    keep: list[str] = []

    def stash(m: re.Match[str]) -> str:
        keep.append(hint(m))
        return f"\x00{len(keep) - 1}\x00"

    marked = escape_braces(_MUSTACHE.sub(stash, marked))
    marked = _ANGLE.sub(hint, marked)
    marked = _BRACKET.sub(lambda m: hint(m) if m.group(1).isupper() or "_" in m.group(1)
                          else m.group(0), marked)
    marked = re.sub(r"\x00(\d+)\x00", lambda m: keep[int(m.group(1))], marked)
    return marked, list(hints.values())


def template_variables(text: str) -> list[str]:
    """Placeholders in a message template (`[Timestamp]`, `<name>`, `{{x}}`), in order."""
    found: list[str] = []
    for m in re.finditer(r"\[([A-Za-z][\w /+.-]{0,40})\]|\{\{\s*(\w+)\s*\}\}|<([a-z][\w-]*)>",
                         text):
        name = snake(m.group(1) or m.group(2) or m.group(3))
        if name not in found:
            found.append(name)
    return found

"""Walking a parsed document into runbooks, proposals and report entries."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field, replace
from typing import Any

from warroom.runbooks.danger import dangerous_reason, is_read_only, prose_danger, risk_marker
from warroom.runbooks.importer.catalogue import (
    ALERT_HEADING,
    ALERT_LIKE_TITLE,
    alert_name,
    is_separate,
)
from warroom.runbooks.importer.commands import (
    Group,
    is_shell_lang,
    looks_like_command,
    looks_like_shell,
    opens_session,
    split_shell,
)
from warroom.runbooks.importer.draft import IDENTIFIER, Draft, slug
from warroom.runbooks.importer.markdown import Block, Section, plain
from warroom.runbooks.importer.phases import (
    approver_count,
    approver_roles,
    incident_type_of,
    is_alternative,
    is_phase_like,
    option_of,
    phase_of,
    revert_within,
    schedule_of,
)
from warroom.runbooks.importer.placeholders import (
    convert_prose,
    convert_shell,
    template_variables,
)
from warroom.runbooks.importer.report import EntryKind, ReportEntry
from warroom.runbooks.importer.tables import (
    contact_lines,
    contact_table,
    escalation_lines,
    escalation_policy,
    severity_of,
    severity_scheme,
)

DIAGRAM_LANGS = frozenset({"mermaid", "plantuml", "dot", "graphviz", "ditaa", "svgbob"})
_TEMPLATE = re.compile(r"template", re.I)
_GENERIC_TITLE = re.compile(r"^(symptoms?|overview|summary|description|introduction|about|"
                            r"meaning|impact|contents|table of contents|runbook)$", re.I)
_DOING = ("triage", "diagnose", "evidence", "mitigate", "verify", "recover")
_DOLLAR_LINE = re.compile(r"^\s*\$\s")
_PROMQL_HINT = re.compile(r"\b(query|promql|expression|metric)\b", re.I)
_PROMQL_SHAPE = re.compile(r"[a-z_:]+(\{[^}]*\})?(\[[0-9a-z]+\])?\)?\s*(==|!=|>=|<=|>|<)|"
                           r"\b(rate|irate|increase|sum|avg|max|min|count|histogram_quantile|"
                           r"absent|changes|delta|deriv|predict_linear|topk)\s*\(")
_MESSAGE_START = re.compile(r"^\s*(subject:|template:|@channel|@here|to:|dear\b)", re.I)
_SECTION_WIDE = re.compile(r"\b(following|below|these|all|every|each|this section|"
                           r"remaining|rest of)\b", re.I)
_BACKWARD = re.compile(r"\bmust be\b|\babove\b|\bthis (step|command|change|action|bypass|"
                       r"override|operation)\b|\bprevious\b|\bonce (done|applied)\b", re.I)
_LOOKING = re.compile(r"^\W*(check|verify|confirm|review|look|monitor|watch|inspect|observe|"
                      r"read|view|see|compare|measure|note|record|document|identify|determine|"
                      r"assess|examine|investigate|list|describe|get|query|search|find|ensure|"
                      r"validate|test|wait|open|gather|collect|capture)\b", re.I)
_DESCRIPTIVE = re.compile(r"^\W*(symptoms?|signs|overview|summary|description|meaning|impact|"
                          r"background|context|about|what (is|happened)|causes?|"
                          r"possible causes|root causes?|references?|see also|links?|"
                          r"related|glossary)\b", re.I)
_OUTPUT_LABEL = re.compile(r"^\W*(expected|sample|example)?\s*(output|result|response)s?\b|"
                           r"^\W*expected\b|^\W*(you should see|it (should )?(prints?|shows?|"
                           r"looks? like))", re.I)
_MESSAGE_LABEL = re.compile(r"notif|message|announce|status (update|page)|customer|stakeholder|"
                            r"\bcomms\b|communicat|e-?mail|slack|tweet|press|statement|"
                            r"\bupdate\b", re.I)
_PROSE_LANGS = frozenset({"text", "txt", "plain", "markdown", "md"})
_REPL_PROMPT = re.compile(r"^\s*(\[[^\]]*\]\s*[\w-]*>|irb\([^)]*\)[:\d]*[>*]|>>>|"
                          r"[\w-]+=[#>]|mysql>|redis[\w.:-]*>|mongo>|[\w-]+\(\w+\)>|pry\([^)]*\)>|"
                          r"iex\(\d+\)>|scala>|In \[\d+\]:)\s?")


def split_repl(lines: list[tuple[int, str]]) -> tuple[list[tuple[int, str]],
                                                      list[tuple[int, str]]]:
    """A console transcript of a REPL (`[ gprd ] production> …`, `>>> …`, `postgres=# …`):
    what is typed (prompts removed) and what it printed. Without prompts all is typed."""
    if not any(_REPL_PROMPT.match(t) for _, t in lines):
        return lines, []
    typed: list[tuple[int, str]] = []
    printed: list[tuple[int, str]] = []
    for n, t in lines:
        m = _REPL_PROMPT.match(t) or re.match(r"^\s*\.\.\.\s", t)   # `... ` continues
        if m:
            typed.append((n, t[m.end():]))
        elif t.strip():
            printed.append((n, t))
    return typed, printed


_CONSOLE_LANGS = frozenset({"console", "shell-session", "shellsession", "sh-session",
                            "terminal", "text", "txt", "plain", ""})
_POSTMORTEM = re.compile(r"post[- ]?mortem|retrospective|\bpir\b|post[- ]incident review", re.I)
_IMPERATIVE = frozenset({
    "acknowledge", "activate", "add", "alert", "allocate", "announce", "apply", "archive",
    "assess", "assign", "block", "bump", "call", "cancel", "capture", "check", "clean", "clear",
    "close", "collect", "communicate", "compare", "confirm", "connect", "contact", "contain",
    "cordon", "create", "declare", "decrease", "delete", "deploy", "describe", "determine",
    "disable", "document", "drain", "email", "enable", "engage", "ensure", "escalate",
    "establish", "evaluate", "examine", "execute", "export", "fail", "failover", "fetch", "fix",
    "flush", "follow", "gather", "grant", "identify", "implement", "increase", "inform",
    "inspect", "install", "investigate", "isolate", "kill", "limit", "look", "measure", "merge",
    "migrate", "monitor", "mute", "notify", "open", "page", "pause", "ping", "prepare",
    "preserve", "promote", "purge", "query", "raise", "re-run", "reboot", "record", "reduce",
    "refresh", "reindex", "reload", "remove", "repair", "replace", "request", "reset", "resize",
    "restart", "restore", "resume", "retry", "revert", "review", "revoke", "roll", "rollback",
    "rotate", "run", "scale", "schedule", "search", "send", "set", "shut", "ssh", "start", "stop",
    "submit", "suspend", "switch", "take", "terminate", "test", "throttle", "trigger", "unblock",
    "uncordon", "undo", "update", "upgrade", "validate", "verify", "wait", "warn", "watch",
    "write", "post", "tell", "share", "join", "ask", "invite", "file", "publish", "reach",
    "coordinate", "designate", "appoint", "hand", "draft", "drop", "truncate",
    "detach", "deactivate", "quarantine", "snapshot", "backup", "dump", "disconnect",
})


@dataclass(frozen=True)
class Ctx:
    """What the headings and labels above a block say about the steps it yields."""

    phase: str | None = None
    heading: str | None = None
    label: str | None = None
    option: str | None = None
    danger: str | None = None
    approvers: tuple[str, ...] = ()
    approvals: int = 0          # how many approvers the rule asks for, 0 when unsaid
    revert: str | None = None

    def heard(self, text: str, *, label: bool = False, prose: bool = False) -> Ctx:
        """The context after reading a heading, a label or (prose=True) a paragraph.

        Prose can mark steps dangerous, name approvers or a revert deadline, but only
        headings and labels set the phase.
        """
        words = plain(text)
        ctx = self
        phase = None if prose else phase_of(words)
        if label:
            ctx = replace(ctx, label=re.sub(r"^\d+[.)]\s*", "", words).rstrip(": "))
        if phase:
            ctx = replace(ctx, phase=phase)
        option = option_of(words)
        if option:
            ctx = replace(ctx, option=option)
        marker = risk_marker(words) or prose_danger(words)
        if marker:
            ctx = replace(ctx, danger=marker)
        roles = approver_roles(words)
        if roles:
            ctx = replace(ctx, approvers=tuple(roles), danger=ctx.danger or "approval required",
                          approvals=max(len(roles), approver_count(words)))
        within = revert_within(words)
        if within:
            ctx = replace(ctx, revert=within)
        return ctx


@dataclass
class Proposals:
    severity_schemes: list[dict[str, Any]] = field(default_factory=list)
    escalation_policies: list[dict[str, Any]] = field(default_factory=list)
    templates: list[dict[str, Any]] = field(default_factory=list)
    contacts: list[dict[str, Any]] = field(default_factory=list)   # on-call lists, matrices

    def as_dict(self) -> dict[str, Any]:
        return {"severity_schemes": self.severity_schemes,
                "escalation_policies": self.escalation_policies, "templates": self.templates,
                "contacts": self.contacts}


_CONTACTS_HEADING = re.compile(r"contact|on-?call|escalat|roles?\b|responsib|who to|owners?|"
                               r"primary|backup|secondary", re.I)
_MESSAGE_WORDS = re.compile(
    r"\b(subject|dear|hi|hello|team|customers?|users?|stakeholders?|we are|we're|we have|"
    r"investigating|identified|monitoring|resolved|impact|status|update|eta|apolog\w*|"
    r"incident|outage|next update|thank)\b|@channel|@here|[\U0001F300-\U0001FAFF\u2600-\u27BF]",
    re.I)
_CODE_LANGS = frozenset({"sql", "psql", "mysql", "yaml", "yml", "json", "promql", "python", "py",
                         "go", "js", "javascript", "ts", "hcl", "terraform", "toml", "ini", "xml",
                         "dockerfile", "nginx", "conf", "ruby", "java"})


def looks_like_promql(lines: list[str]) -> bool:
    """Is an unprompted block a PromQL expression (metric names, selectors, functions)?"""
    code = [t.strip() for t in lines if t.strip() and not t.strip().startswith("#")]
    return bool(code) and not any(_DOLLAR_LINE.match(t) or looks_like_command(t) for t in code) \
        and all(_PROMQL_SHAPE.search(t) or (re.search(r"\b[a-z]+(_[a-z]+){2,}\b", t) and
                re.search(r"[(){}\[\]/*+-]", t)) for t in code)


def _command_rows(rows: list[list[str]]) -> bool:
    """Is this a table of steps: most body rows hold an inline command?"""
    body = rows[1:]
    with_command = sum(1 for row in body if any(
        looks_like_command(c) for cell in row for c in re.findall(r"`([^`]+)`", cell)))
    return bool(body) and with_command * 2 > len(body)


def reads_as_message(lang: str, lines: list[str]) -> bool:
    """Does a block read as a message to people (customers, stakeholders, a channel) rather
    than code? Only such text becomes a communication template."""
    if lang in _CODE_LANGS or is_shell_lang(lang) or looks_like_shell(lines):
        return False
    text = "\n".join(lines)
    if re.search(r"^\s*(SELECT|INSERT|UPDATE|DELETE|apiVersion:|kind:|\{|kubectl|curl)\b",
                 text, re.I | re.M):
        return False
    return len(_MESSAGE_WORDS.findall(text)) >= 2 or bool(_MESSAGE_START.match(text))


def _is_template_section(section: Section) -> bool:
    return bool(_TEMPLATE.search(section.title))


def _command_spans(block: Block) -> list[str]:
    return [code for code in block.inline_code if looks_like_command(code)]


def _is_label(block: Block) -> bool:
    text = block.text.strip()
    bold = re.fullmatch(r"(\d+[.)]\s*)?(\*\*|__)([^*_]+)\2:?\s*(\([^)]*\))?:?", text)
    return bool(bold) or (block.kind == "paragraph" and text.endswith(":") and len(text) < 80
                          and "\n" not in text)


def _imperative(text: str) -> bool:
    if re.fullmatch(r"\s*\[[^\]]*\]\([^)]*\)\s*", text):   # a bare link, as in a contents list
        return False
    words = re.findall(r"[A-Za-z][A-Za-z-]*", plain(text))
    return bool(words) and words[0].lower() in _IMPERATIVE


def _actionable(section: Section, own_only: bool = False) -> bool:
    blocks = section.blocks if own_only else section.all_blocks()
    for block in blocks:
        if block.kind == "code" and block.lang not in DIAGRAM_LANGS and block.code \
                and not block.lang.startswith("x-"):
            return True
        if block.kind == "item" and (block.checked is not None or _command_spans(block)
                                     or (block.ordered and _imperative(block.text))):
            return True
        if block.kind == "paragraph" and _command_spans(block):
            return True
        if block.kind == "table" and _command_rows(block.rows):
            return True
    return False


def plan(section: Section) -> list[tuple[Section, bool]]:
    """Sections that become runbooks, each with whether its subsections belong to it."""
    if _is_template_section(section):
        return []
    children = [c for c in section.children if _actionable(c) and not _is_template_section(c)]
    phase_like = sum(1 for c in children if is_phase_like(c.title))
    if is_separate(section) and section.level > 0:
        return [(section, True)] if section.all_blocks() else []
    if any(is_separate(d) for d in section.walk()[1:]) or \
            (len(children) >= 2 and phase_like * 2 < len(children)):
        out: list[tuple[Section, bool]] = []
        if _actionable(section, own_only=True):
            out.append((section, False))
        for child in section.children:
            out.extend(plan(child))
        return out
    if _actionable(section):
        return [(section, True)]
    return []


class Builder:
    def __init__(self, source: str, root: Section, front_matter: dict[str, Any]) -> None:
        self.source = source
        self.root = root
        self.front = front_matter
        self.report: list[ReportEntry] = []
        self.proposals = Proposals()
        self.accounted: dict[int, str] = {}
        self.lines: dict[int, str] = {}   # source line -> what it became (beyond code lines)
        self.defaults: dict[str, str] = {}
        self.drafts: list[Draft] = []
        self.code_blocks = [b for b in root.all_blocks() if b.kind == "code"]
        self.code_text = {n: t for b in self.code_blocks for n, t in b.code}
        self.owner: str | None = None

    # -- bookkeeping -------------------------------------------------------------------
    def note(self, kind: EntryKind, first: int | None, last: int | None, became: str,
             detail: str = "", lines: list[tuple[int, str]] | None = None, bucket: str = "report",
             text: str = "") -> None:
        numbers = tuple(n for n, t in (lines or []) if t.strip())
        for n in numbers:
            self.accounted.setdefault(n, bucket)
        self.report.append(ReportEntry(self.source, first, last, kind, became, detail,
                                       numbers, text))

    def mark(self, first: int, last: int | None, became: str) -> None:
        """Record what source lines first..last became (the first word on a line wins)."""
        for n in range(first, (last or first) + 1):
            self.lines.setdefault(n, became)

    def account_lines(self, body: str, front_lines: int) -> dict[int, str]:
        """What every non-blank source line became; lines nothing used are added to the
        report (as "report only"), so no line disappears without a word."""
        for n in range(1, front_lines + 1):
            self.lines.setdefault(n, "front matter (title, owner, services)")
        for entry in self.report:
            said = entry.became if entry.kind != "note" else f"report only: {entry.detail}"
            if entry.kind == "proposal":
                said = f"proposal: {entry.became}"
            numbers = entry.code_lines or (range(entry.first_line, (entry.last_line or
                                                                    entry.first_line) + 1)
                                           if entry.first_line else ())
            for n in numbers:
                self.lines.setdefault(n, said)
        for block in self.code_blocks:
            inner = next((self.lines[n] for n, t in block.code if n in self.lines), None)
            for n in (block.line, block.end_line):
                self.lines.setdefault(n, f"code fence of {inner}" if inner else
                                      "report only: an empty code block")
        source = body.splitlines()
        chunk: list[tuple[int, str]] = []

        def flush() -> None:
            if not chunk:
                return
            text = "\n".join(t for _, t in chunk)
            why = _unused_reason(text)
            self.note("note", chunk[0][0], chunk[-1][0], "note", why, text=text)
            for n, _ in chunk:
                self.lines[n] = f"report only: {why}"
            chunk.clear()

        for n, line in enumerate(source, start=1):
            if not line.strip() or n in self.lines:
                flush()
                continue
            chunk.append((n, line))
        flush()
        return {n: self.lines[n] for n in sorted(self.lines)
                if n <= len(source) and source[n - 1].strip()}

    def where(self, first: int, last: int | None = None) -> str:
        return f"{self.source}:{first}" + (f"-{last}" if last and last != first else "")

    # -- whole document ----------------------------------------------------------------
    def run(self) -> list[dict[str, Any]]:
        self.owner = self._owner()
        self._collect_defaults()
        self._tables_and_templates(self.root, in_template=False)
        top = self.root
        while len(top.children) == 1 and not _actionable(top, own_only=True) and top.level < 1:
            top = top.children[0]
        whole = plan(top)
        if not whole and not _is_template_section(top) and any(
                phase_of(c.title) in _DOING for c in top.walk()[1:] if c.blocks):
            whole = [(top, True)]   # a prose-only runbook: its phase sections become steps
        for section, with_children in whole:
            self._runbook(section, with_children, whole_document=(section is top))
        for n, text in self._all_code_lines():
            if n not in self.accounted:
                self.note("note", n, n, "note", "code line not placed in any step",
                          [(n, text)], text=text)
        return [d.finish(self.defaults) for d in self.drafts]

    def _all_code_lines(self) -> list[tuple[int, str]]:
        return [(n, t) for b in self.code_blocks for n, t in b.code if t.strip()]

    def _collect_defaults(self) -> None:
        for block in self.code_blocks:
            if not (is_shell_lang(block.lang) or (not block.lang and
                                                   looks_like_shell([t for _, t in block.code]))):
                continue
            split = split_shell(block.code)
            commands = [c for g in split.groups for c in g.commands]
            assigns = [c for c in commands if _assignment_only(c.text)]
            if not commands or len(assigns) != len(commands):
                continue
            for command in commands:
                m = re.match(r"^(?:export\s+)?([A-Za-z_]\w*)=(['\"]?)(.*)\2\s*$", command.text)
                if m and "<" not in m.group(3) and "$" not in m.group(3):
                    self.defaults[re.sub(r"[^a-z0-9]+", "_", m.group(1).lower())] = m.group(3)
            block.lang = "x-environment"
            self.note("note", block.line, block.end_line, "parameter defaults",
                      "environment settings: their values became parameter defaults",
                      block.code, text="\n".join(t for _, t in block.code))

    def _tables_and_templates(self, section: Section, in_template: bool) -> None:
        in_template = in_template or _is_template_section(section)
        for i, block in enumerate(section.blocks):
            if block.kind == "table":
                self._table(section, block)
            elif block.kind == "code" and in_template and block.lang != "x-environment":
                label = self._label_before(section, i)
                if reads_as_message(block.lang, [t for _, t in block.code]) or \
                        _POSTMORTEM.search(label or section.title):
                    self._template(block, label or section.title)
                else:
                    block.lang = "x-template-code"
                    texts = "\n".join(t for _, t in block.code)
                    self.note("note", block.line, block.end_line, "note",
                              "code in a template, not a message: templates are not runbooks, "
                              "so it is kept here for reference", block.code, text=texts)
            elif block.kind == "code" and not block.lang and "escalation" in \
                    section.title.lower():
                policy = escalation_lines([t for _, t in block.code])
                if policy:
                    policy.update(name=section.title, source=self.where(block.line,
                                                                          block.end_line))
                    self.proposals.escalation_policies.append(policy)
                    block.lang = "x-escalation"
                    self.note("proposal", block.line, block.end_line, "escalation policy",
                              f"escalation rules by severity ({len(policy['rules'])})",
                              block.code, text="\n".join(t for _, t in block.code))
        self._contact_list(section)
        for child in section.children:
            self._tables_and_templates(child, in_template)

    def _contact_list(self, section: Section) -> None:
        """List items "Primary: …", "Secondary: …", "Escalation: …" make a contact set."""
        run: list[Block] = []
        for block in [*section.blocks, None]:
            if block is not None and block.kind in ("item", "paragraph") and any(
                    contact_lines([line]) for line in block.text.splitlines()):
                run.append(block)
                continue
            lines = [ln for b in run for ln in b.text.splitlines()]
            found = contact_lines(lines) if len(lines) >= 2 else None
            if found and len(found) >= 2:
                self.proposals.contacts.append({
                    "name": section.title, "kind": "on-call contacts", "entries": [found],
                    "source": self.where(run[0].line, run[-1].end_line)})
                self.note("proposal", run[0].line, run[-1].end_line, "on-call contacts",
                          f"{section.title}: " + ", ".join(found))
                for b in run:
                    self.mark(b.line, b.end_line,
                              f"proposal: on-call contacts ({section.title})")
            run = []

    def _label_before(self, section: Section, index: int) -> str | None:
        for block in reversed(section.blocks[:index]):
            if block.kind in ("paragraph", "item") and _is_label(block):
                return plain(block.text).rstrip(":")
            if block.kind == "code":
                return None
        return None

    def _table(self, section: Section, block: Block) -> None:
        if _command_rows(block.rows):
            block.lang = "steps"      # a table of steps: _section makes them
            return
        scheme = severity_scheme(block.rows)
        if scheme:
            scheme.update(name=section.title, source=self.where(block.line, block.end_line))
            self.proposals.severity_schemes.append(scheme)
            self.note("proposal", block.line, block.end_line, "severity scheme",
                      f"{len(scheme['levels'])} levels: "
                      + ", ".join(f"{lv['key']} ({lv['ack_sla']})" for lv in scheme["levels"]))
            return
        policy = escalation_policy(block.rows)
        if policy:
            severity = severity_of(section.title)
            policy.update(name=section.title, source=self.where(block.line, block.end_line))
            if severity:
                policy["severity"] = severity
            self.proposals.escalation_policies.append(policy)
            self.note("proposal", block.line, block.end_line, "escalation policy",
                      f"{section.title}: {len(policy['steps'])} steps")
            return
        entries = contact_table(block.rows)
        if entries and (_CONTACTS_HEADING.search(section.title) or
                        any(_CONTACTS_HEADING.search(c) for c in block.rows[0])):
            kind = "escalation matrix" if re.search(r"escalat", section.title + " ".join(
                block.rows[0]), re.I) else "on-call contacts"
            self.proposals.contacts.append({
                "name": section.title, "kind": kind, "entries": entries,
                "source": self.where(block.line, block.end_line)})
            self.note("proposal", block.line, block.end_line, kind,
                      f"{section.title}: {len(entries)} role(s) — review and map to "
                      "on-call schedules and escalation policies")
            return
        self.note("note", block.line, block.end_line, "note",
                  f"table '{' | '.join(block.rows[0])}' kept as reference, not a step")

    def _template(self, block: Block, name: str, *, add: bool = True) -> str:
        body = "\n".join(t for _, t in block.code)
        kind = "postmortem" if _POSTMORTEM.search(name) or _POSTMORTEM.search(body[:200]) \
            else "communication"
        base = slug(name)
        taken = {t["id"] for t in self.proposals.templates}
        tid, n = base, 2
        while tid in taken:
            tid, n = f"{base}-{n}", n + 1
        self.proposals.templates.append({
            "id": tid, "name": name, "kind": kind, "body": body,
            "variables": template_variables(body),
            "source": self.where(block.line, block.end_line)})
        self.note("template", block.line, block.end_line, f"template {tid} ({kind})", name,
                  block.code, bucket="templates")
        block.lang = "x-template"
        return tid

    # -- one runbook -------------------------------------------------------------------
    def _runbook(self, section: Section, with_children: bool, whole_document: bool) -> None:
        title = section.title or self.source.rsplit("/", 1)[-1]
        if not section.title or _GENERIC_TITLE.match(section.title):
            title = re.sub(r"\.\w+$", "", self.source.rsplit("/", 1)[-1])
        if whole_document and IDENTIFIER.match(section.title or "") and \
                re.search(r"[a-z0-9][A-Z]|_", section.title):
            rb_id = section.title
            alerts = [f"alertname={section.title}"]
        else:
            rb_id = slug(title, 60)
            alerts = []
        named = alert_name(section) if section.level > 0 else None
        if named:
            alerts = [f"alertname={named}"]
            title = named if ALERT_HEADING.match(plain(section.title)) or \
                ALERT_LIKE_TITLE.match(section.title) else title
            rb_id = named if re.fullmatch(r"[A-Za-z][\w-]*", named) else slug(named, 60)
        taken = {d.id for d in self.drafts}
        if rb_id in taken and section.parent is not None and section.parent.title:
            rb_id = slug(f"{section.parent.title} {title}", 60)
        base, n = rb_id, 2
        while rb_id in taken:
            rb_id, n = f"{base}-{n}", n + 1
        shown = str(self.front.get("title") or title) if whole_document else title
        draft = Draft(id=rb_id, title=shown, source=self.where(section.line), alerts=alerts)
        parts = self.source.split("/")
        draft.tags = ["imported", *([parts[-2]] if len(parts) > 1 else [])]
        severity = severity_of(title)
        if severity:
            draft.severities.append(severity)
        kind = incident_type_of(title)
        if kind:
            draft.incident_types.append(kind)
        draft.schedule = schedule_of(title)
        draft.owner = self.owner
        if whole_document:
            draft.services = self._services()
        self.drafts.append(draft)
        ctx = Ctx().heard(title) if section.level > 0 else Ctx()
        self.note("runbook", section.line, None, f"runbook {rb_id}",
                  f"from section '{' › '.join(section.path()) or self.source}'")
        self._section(section, ctx, draft, with_children, top=True)
        if not draft.steps and draft.description and is_separate(section):
            # an alert entry or scenario told in prose: what it says to do is one step
            text = "\n\n".join(draft.description)
            first = re.split(r"(?<=[.!?])\s+|\n", text.strip(), maxsplit=1)
            self._manual(draft, ctx, first[0].strip(), section.line,
                         instructions=[first[1]] if len(first) > 1 else None)
        self._ensure_verify(draft)

    def _services(self) -> list[str]:
        declared = self.front.get("services") or self.front.get("service") or []
        found = [str(s) for s in (declared if isinstance(declared, list) else [declared])]
        for block in self.root.blocks:
            for m in re.finditer(r"^\**(?:service|component)s?\**:\**\s*([\w.-]+)\s*$",
                                 block.text, re.I | re.M):
                if m.group(1) not in found:
                    found.append(m.group(1))
        return found

    def _owner(self) -> str | None:
        if self.front.get("owner"):
            return str(self.front["owner"])
        for block in self.root.all_blocks():
            m = re.search(r"\*\*Owner:?\*\*:?\s*([^(\n]+)", block.text) or \
                re.search(r"^Owner:\s*([^(\n]+)", block.text)
            if m:
                return m.group(1).strip(" *:") or None
        return None

    def _section(self, section: Section, ctx: Ctx, draft: Draft, with_children: bool,
                 top: bool = False) -> None:
        if not top:
            ctx = replace(ctx, label=None).heard(section.title)
        named = ALERT_HEADING.match(plain(section.title))
        ctx = replace(ctx, heading=named.group(1) if named else
                      re.sub(r"^\d+(\.\d+)*[.)]?\s+", "", plain(section.title)))
        if _is_template_section(section):
            return
        if section.level > 0:
            self.mark(section.line, section.line, f"heading in runbook {draft.id}")
        head = ctx          # what the heading says holds for the whole section
        # items under "Symptoms", "Impact", ... describe; they are not things to do
        descriptive = bool(_DESCRIPTIVE.match(plain(section.title)))
        scoped = False      # does ctx carry a marker from prose that holds for one block only?
        notes: list[str] = []
        last_item_step: tuple[dict[str, Any], int] | None = None
        prev_made: list[dict[str, Any]] = []
        skip: set[int] = set()
        steps_before = len(draft.steps)
        for index, block in enumerate(section.blocks):
            if index in skip:
                continue
            following = section.blocks[index + 1] if index + 1 < len(section.blocks) else None
            count_before = len(draft.steps)
            if block.kind in ("paragraph", "item") and self._rule_after_step(
                    section, index, prev_made, draft, skip):
                continue
            if block.kind == "paragraph":
                last_item_step = None
                before = ctx
                if _is_label(block):
                    ctx = ctx.heard(block.text, label=True)
                    self.mark(block.line, block.end_line, f"label for the steps after it in "
                              f"runbook {draft.id}")
                else:
                    ctx = ctx.heard(block.text, prose=True)
                if ctx.danger != before.danger and not _SECTION_WIDE.search(block.text):
                    scoped = True
                if _is_label(block):
                    continue
                if self._inline_steps(block, ctx, draft, notes):
                    pass
                else:
                    notes.append(plain(block.text))
                    self.mark(block.line, block.end_line, f"notes in runbook {draft.id}")
            elif block.kind == "item":
                if last_item_step and block.depth > last_item_step[1] and \
                        not _command_spans(block):
                    step = last_item_step[0]
                    step["notes"] = (step.get("notes", "") + "\n- " + plain(block.text)).strip()
                    self.mark(block.line, block.end_line,
                              f"notes of runbook {draft.id}, step {step['id']}")
                    continue
                last_item_step = None
                if block.checked is None and _is_label(block):
                    before = ctx
                    ctx = ctx.heard(block.text, label=True)
                    if ctx.danger != before.danger and not _SECTION_WIDE.search(block.text):
                        scoped = True
                    self.mark(block.line, block.end_line, f"label for the steps after it in "
                              f"runbook {draft.id}")
                    continue
                if block.checked is None and block.text.rstrip().endswith(":") and \
                        following is not None and following.kind == "code":
                    ctx = replace(ctx, label=plain(block.text).rstrip(": "))
                    self.mark(block.line, block.end_line, f"label for the steps after it in "
                              f"runbook {draft.id}")
                    continue
                item_ctx = ctx.heard(block.text, prose=True)
                if self._inline_steps(block, item_ctx, draft, notes):
                    pass
                elif block.checked is not None or (_imperative(block.text) and not descriptive):
                    step = self._manual(draft, item_ctx, plain(block.text), block.line,
                                        checklist=block.checked is not None,
                                        last=block.end_line)
                    last_item_step = (step, block.depth)
                else:
                    notes.append("- " + plain(block.text))
                    self.mark(block.line, block.end_line, f"notes in runbook {draft.id}")
            elif block.kind == "code":
                last_item_step = None
                self._code(block, ctx, draft, notes)
                if notes:
                    self._attach_notes(draft, notes)
                notes = []
                ctx = replace(ctx, label=None)   # a label names the code right after it
            elif block.kind == "table" and block.lang == "steps":
                last_item_step = None
                self._table_steps(block, ctx, draft, notes)
            elif block.kind == "html":
                notes.append(re.sub(r"<[^>]+>", " ", block.text).strip())
                self.mark(block.line, block.end_line, f"notes in runbook {draft.id}")
            prev_made = draft.steps[count_before:]
            if prev_made and scoped:
                ctx = replace(ctx, danger=head.danger, approvers=head.approvers,
                              approvals=head.approvals, revert=head.revert)
                scoped = False
        made = len(draft.steps) - steps_before
        prose = [n for n in notes if n]
        if prose:
            phase = ctx.phase
            if made == 0 and phase in ("diagnose", "mitigate", "recover", "verify", "triage",
                                      "evidence"):
                self._manual(draft, ctx, section.title, section.line, instructions=prose)
            elif made == 0 and (top or not draft.steps):
                draft.description.append("\n".join(prose))
                self.note("note", section.line, None, "runbook description",
                          f"prose of '{section.title}' kept as description")
            elif draft.steps:
                step = draft.steps[-1]
                step["notes"] = "\n".join([step.get("notes", ""), *prose]).strip()
        if with_children:
            inherited = replace(ctx, danger=head.danger, approvers=head.approvers,
                                approvals=head.approvals, revert=head.revert)
            for child in section.children:
                self._section(child, inherited, draft, True)

    def _table_steps(self, block: Block, ctx: Ctx, draft: Draft, notes: list[str]) -> None:
        """A table whose rows hold commands (Step | Action | Command): a step per command."""
        header = [plain(c) for c in block.rows[0]]
        for index, row in enumerate(block.rows[1:], start=1):
            line = block.line + 1 + index         # header, delimiter row, then the rows
            commands = [c for cell in row for c in re.findall(r"`([^`]+)`", cell)
                        if looks_like_command(c)]
            words = [plain(c) for c in row if plain(c) and not re.fullmatch(r"[\d.]+", plain(c))
                     and not re.search(r"`[^`]+`", c)]
            title = (words[0] if words else "") or f"Step {index}"
            row_ctx = ctx.heard(" ".join(words), prose=True)
            extra = [f"{h}: {plain(c)}" for h, c in zip(header, row, strict=False)
                     if plain(c) and plain(c) != title and not re.search(r"`[^`]+`", c)
                     and not re.fullmatch(r"[\d.]+", plain(c))]
            for i, command in enumerate(commands):
                shown = title + (f" ({i + 1}/{len(commands)})" if len(commands) > 1 else "")
                self._shell_step(draft, row_ctx, shown, command, line, line,
                                 notes="\n".join([*notes, *extra]) or None)
                notes.clear()
            if not commands:
                self._manual(draft, row_ctx, title, line,
                             instructions=[e for e in extra if e] or None)
        self.mark(block.line, block.line + 1, f"header of a table of steps in runbook {draft.id}")

    def _attach_notes(self, draft: Draft, notes: list[str]) -> None:
        """Prose before code that made no step of its own goes with the last step."""
        if draft.steps:
            step = draft.steps[-1]
            step["notes"] = "\n".join([step.get("notes", ""), *notes]).strip()
        else:
            draft.description.append("\n".join(notes))
        notes.clear()

    def _rule_after_step(self, section: Section, index: int, prev_made: list[dict[str, Any]],
                         draft: Draft, skip: set[int]) -> bool:
        """Approval and revert rules written after a step ("must be: 1. approved by the IC +
        security, … 3. reverted within 1 hour") govern the step(s) the block before made."""
        if not prev_made:
            return False
        block = section.blocks[index]
        parts = [block]
        if plain(block.text).rstrip().endswith(":"):     # "… must be:" then its list
            depth = block.depth + 1 if block.kind == "item" else 0
            for later in section.blocks[index + 1:]:
                depth = depth or later.depth
                if later.kind != "item" or later.depth < depth:
                    break
                parts.append(later)
        text = "\n".join(plain(p.text) for p in parts)
        intro = plain(block.text)
        if block.kind == "item" and not (approver_roles(intro) or revert_within(intro)) \
                and len(parts) == 1:
            return False
        roles, within = approver_roles(text), revert_within(text)
        if not (roles or within):
            return False
        after = section.blocks[index + len(parts)] if index + len(parts) < len(section.blocks) \
            else None
        if after is not None and after.kind == "code" and not _BACKWARD.search(text):
            return False     # a rule right before code governs that code
        if not (roles and within) and _command_spans(block):
            return False
        count = max(len(roles), approver_count(text))
        looking = [st for st in prev_made if st["executor"]["type"] == "promql" or (
            st["executor"]["type"] == "shell" and is_read_only(st["executor"]["command"]))]
        governed = [st for st in prev_made if st not in looking]
        if not governed:
            for offset, part in enumerate(parts):
                skip.add(index + offset)
                self.mark(part.line, part.end_line, "report only: an approval or revert rule "
                          "after a read-only step, which never needs approval")
            self.note("note", block.line, parts[-1].end_line, "note",
                      "approval or revert rule after a read-only step: not applied, read-only "
                      "commands never need approval", text="\n".join(p.text for p in parts))
            return True
        prev_made = governed
        for step in prev_made:
            if roles:
                step["dangerous"] = True
                step["requires_approval"] = {"roles": roles, "count": max(count, 1)}
            if within:
                step["revert"] = {"within": within}
        ids = ", ".join(s["id"] for s in prev_made)
        what = ", ".join(filter(None, [
            f"approval by {' + '.join(roles)} (count {max(count, 1)})" if roles else "",
            f"revert within {within}" if within else ""]))
        for offset, part in enumerate(parts):
            skip.add(index + offset)
            self.mark(part.line, part.end_line,
                      f"rule of runbook {draft.id}, step {ids}: {what}")
        self.note("step", block.line, parts[-1].end_line, f"runbook {draft.id}, step {ids}",
                  f"rule written after the step: {what}")
        return True

    # -- steps -------------------------------------------------------------------------
    def _flags(self, ctx: Ctx, text: str, *, command: str | None = None,
               looking: bool = False) -> dict[str, Any]:
        """dangerous + requires_approval from the command or the prose around it; a read-only
        command (get, describe, logs, ...) or a step that only looks is never gated by context."""
        flags: dict[str, Any] = {}
        reason = dangerous_reason(text) if text else None
        if command is not None and is_read_only(command):
            reason, looking = None, True
        if reason or (ctx.danger and not looking):
            roles = list(ctx.approvers) or ["commander"]
            flags["dangerous"] = True
            flags["requires_approval"] = {"roles": roles,
                                          "count": max(ctx.approvals, len(roles))}
        if ctx.option:
            flags["option"] = ctx.option
        return flags

    def _finish_step(self, step: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
        phase = step.get("phase")
        if ctx.revert and (step.get("dangerous") or phase in ("mitigate", None)):
            step["revert"] = {"within": ctx.revert}
        if phase == "evidence":
            step["captures_evidence"] = True
        return step

    def _manual(self, draft: Draft, ctx: Ctx, text: str, line: int, *, checklist: bool = False,
                instructions: list[str] | None = None, last: int | None = None) -> dict[str, Any]:
        title, rest = _title_and_rest(text)
        body = [rest.strip()] if rest.strip() else []
        body += instructions or []
        converted, hints = convert_prose("\n".join([text, *(instructions or [])]))
        if hints:          # placeholders become parameters, filled in where a person reads
            body = [converted]
        looking = bool(_LOOKING.match(title)) and not prose_danger(text)
        step = {"title": title[:120] or "Manual check", "phase": self._phase(ctx, title),
                "executor": {"type": "manual",
                             **({"instructions": "\n".join(body)} if body else {})},
                "source": self.where(line, last),
                **self._flags(ctx, text, looking=looking)}
        made = draft.add_step(self._finish_step(step, ctx), hints)
        self.note("step", line, last, f"runbook {draft.id}, step {made['id']} (manual)",
                  "checklist item" if checklist else "instruction")
        self.mark(line, last, f"runbook {draft.id}, step {made['id']} (manual)")
        return made

    def _phase(self, ctx: Ctx, title: str) -> str | None:
        own = phase_of(title)
        if own in ("verify", "evidence") or (own and ctx.phase is None):
            return own
        return ctx.phase

    def _inline_steps(self, block: Block, ctx: Ctx, draft: Draft, notes: list[str]) -> bool:
        commands = _command_spans(block)
        if not commands:
            return self._inline_queries(block, ctx, draft, notes)
        text = plain(re.sub(r"`[^`]*`", "…", block.text))
        title = re.sub(r"\s*(via|with|using|by running|run|:)?\s*….*$", "", text).strip(" .:-")
        for i, command in enumerate(commands):
            suffix = f" ({i + 1}/{len(commands)})" if len(commands) > 1 else ""
            shown = (title or f"Run {command.split()[0]}") + suffix
            self._shell_step(draft, ctx, shown, command, block.line, block.end_line,
                             notes="\n".join(notes) or None)
        notes.clear()
        return True

    def _inline_queries(self, block: Block, ctx: Ctx, draft: Draft, notes: list[str]) -> bool:
        if not _PROMQL_HINT.search(block.text):
            return False
        queries = [c for c in block.inline_code if _PROMQL_SHAPE.search(c)]
        for query in queries:
            title = plain(re.sub(r"`[^`]*`", "…", block.text)).strip(" .:-…")
            step = {"title": (title or f"Query {query}")[:120],
                    "phase": ctx.phase or "diagnose",
                    "executor": {"type": "promql", "query": query},
                    "notes": "\n".join(notes) or None, "source": self.where(block.line)}
            made = draft.add_step(self._finish_step(step, ctx))
            self.note("step", block.line, None,
                      f"runbook {draft.id}, step {made['id']} (promql)", "inline query")
            notes.clear()
        return bool(queries)

    def _shell_step(self, draft: Draft, ctx: Ctx, title: str, command: str, first: int,
                    last: int, notes: str | None = None,
                    session: list[tuple[int, str]] | None = None) -> dict[str, Any]:
        converted, hints = convert_shell(command)
        word = command.strip().split()[0] if command.strip() else ""
        if re.fullmatch(r"/[A-Za-z][\w-]*", word):   # a chat slash command, not a program
            step: dict[str, Any] = {"title": title, "phase": self._phase(ctx, title),
                                    "executor": {"type": "manual", "instructions":
                                                 f"Type in chat: {command.strip()}"},
                                    "notes": notes, "source": self.where(first, last)}
            made = draft.add_step(self._finish_step(step, ctx))
            self.note("step", first, last, f"runbook {draft.id}, step {made['id']} (manual)",
                      "chat command: a person types it")
            return made
        if session or opens_session(command):
            session = session or []
            # It opens a shell or client and the source types more into it: a person does
            # that, so the step is manual with the whole session attached.
            typed = "\n".join([command, *(t for _, t in session)])
            shown_text, session_hints = convert_shell(typed)
            step = {"title": title, "phase": self._phase(ctx, title),
                    "executor": {"type": "manual", "instructions": (
                        ("Run the first line; it opens an interactive session. Type the lines "
                         "after its prompt in that session (the runner cannot type into a shell "
                         "it opened); the other lines show what it prints.\n\n" if session else
                         "Run this in a terminal: it opens an interactive session, which the "
                         "runner cannot drive. The steps after it may be meant for that "
                         "session.\n\n") + shown_text)},
                    "notes": notes, "source": self.where(first, max([last, *(n for n, _ in
                                                                          session)])),
                    **self._flags(ctx, typed)}
            made = draft.add_step(self._finish_step(step, ctx), session_hints)
            end = session[-1][0] if session else last
            self.note("step", first, end,
                      f"runbook {draft.id}, step {made['id']} (manual: opens an interactive "
                      "session)",
                      f"{len(session)} line(s) typed in or printed by the session it opens",
                      session, bucket="steps")
            self.mark(first, last, f"runbook {draft.id}, step {made['id']} (manual: opens an "
                      "interactive session)")
            for n, _ in session:
                self.mark(n, n, f"typed in or printed by the interactive session of runbook "
                          f"{draft.id}, step {made['id']}")
            return made
        step = {"title": title, "phase": self._phase(ctx, title),
                "executor": {"type": "shell", "command": converted}, "notes": notes,
                "source": self.where(first, last), **self._flags(ctx, command, command=command)}
        made = draft.add_step(self._finish_step(step, ctx), hints)
        self.note("step", first, last, f"runbook {draft.id}, step {made['id']} (shell)",
                  ", ".join(f"{h.original}→{{{{{h.name}}}}}" for h in hints))
        self.mark(first, last, f"runbook {draft.id}, step {made['id']} (shell)")
        return made

    def _expected_output(self, draft: Draft, step: dict[str, Any] | None,
                         lines: list[tuple[int, str]], kinds: dict[int, str]) -> None:
        """Output shown after a command is the expected output of its step, never a step."""
        if not lines:
            return
        first, last = lines[0][0], lines[-1][0]
        what = ", ".join(dict.fromkeys(kinds.get(n, "sample output") for n, _ in lines))
        text = "\n".join(t for _, t in lines)
        if step is None:
            self.note("note", first, last, "note", f"output with no command before it ({what})",
                      lines, text=text)
            self.mark(first, last, f"report only: output with no command before it ({what})")
            return
        step["expected_output"] = "\n".join(filter(None, [step.get("expected_output"), text]))
        start = re.search(r":(\d+)", step.get("source", ""))
        if start:
            step["source"] = self.where(min(int(start.group(1)), first),
                                        max(last, _source_end(step["source"])))
        self.note("step", first, last, f"runbook {draft.id}, step {step['id']} (expected output)",
                  f"output, not a command: {what}", lines, bucket="steps")
        self.mark(first, last, f"expected output of runbook {draft.id}, step {step['id']} "
                  f"({what})")

    def _code(self, block: Block, ctx: Ctx, draft: Draft, notes: list[str]) -> None:
        lines = block.code
        texts = [t for _, t in lines]
        if not any(t.strip() for t in texts) or block.lang.startswith("x-"):
            return
        if block.lang in DIAGRAM_LANGS:
            self.note("note", block.line, block.end_line, "note",
                      f"{block.lang} diagram kept as reference", lines, text="\n".join(texts))
            return
        if block.lang == "promql":
            self._promql(block, ctx, draft)
            return
        if ctx.label and _OUTPUT_LABEL.match(ctx.label) and draft.steps:
            self._expected_output(draft, draft.steps[-1], [(n, t) for n, t in lines
                                                           if t.strip()],
                                  {n: f"shown under '{ctx.label}'" for n, _ in lines})
            return
        if block.lang in _CONSOLE_LANGS and looks_like_promql(texts):
            self._promql(block, ctx, draft)      # a query in a console block, no prompt
            return
        if is_shell_lang(block.lang) or (block.lang in ("", "text", "txt", "plain")
                                         and looks_like_shell(texts)):
            self._shell_block(block, ctx, draft, notes)
            return
        label = ctx.label or ""
        if (block.lang in ("", "text", "txt", "plain", "markdown", "md") and
                (_TEMPLATE.search(label) or _MESSAGE_LABEL.search(label) or
                 _MESSAGE_START.match(texts[0])) and reads_as_message(block.lang, texts)):
            tid = self._template(block, label or f"{draft.title} message")
            if self.proposals.templates[-1]["kind"] == "postmortem":
                return
            step: dict[str, Any] = {
                "title": label or "Send the notification", "phase": "communicate",
                    "executor": {"type": "notify", "template": tid},
                    "source": self.where(block.line, block.end_line)}
            made = draft.add_step(self._finish_step(step, ctx))
            self.note("step", block.line, block.end_line,
                      f"runbook {draft.id}, step {made['id']} (notify)", f"uses template {tid}")
            return
        diagram = block.lang in ("", "text", "txt", "plain") and sum(
            1 for t in texts if re.search(r"[├└│┌┐┘┬┴┼─]", t)) >= 2 and not ctx.label
        if diagram and not draft.steps:
            draft.description.append("\n".join([*notes, *texts]))
            notes.clear()
            self.note("note", block.line, block.end_line, "runbook description",
                      "a decision tree or diagram, kept in the description", lines,
                      bucket="steps")
            self.mark(block.line, block.end_line, f"description of runbook {draft.id} "
                      "(diagram)")
            return
        if ((block.lang in ("text", "txt", "plain") and not ctx.label) or diagram) \
                and draft.steps:
            # an example or reference text, not something to apply: it goes with the step
            step = draft.steps[-1]
            step["notes"] = "\n".join(filter(None, [step.get("notes"), *notes, *texts]))
            notes.clear()
            self.note("step", block.line, block.end_line,
                      f"runbook {draft.id}, step {step['id']} (notes)",
                      "example text kept with the step before it", lines, bucket="steps")
            self.mark(block.line, block.end_line,
                      f"notes of runbook {draft.id}, step {step['id']} (example text)")
            return
        comment = next((re.sub(r"^(#|--|//)\s*", "", t.strip()) for t in texts
                        if re.match(r"^\s*(#|--|//)\s*\w", t)), None)
        language = block.lang or "text"
        title = ctx.label or comment or f"Apply the {language} snippet"
        typed, printed = split_repl(lines)
        snippet, snippet_hints = convert_prose("\n".join(t for _, t in typed))
        executor: dict[str, str] = {"type": "manual", "snippet": snippet,
                                    "snippet_language": language}
        if notes:
            executor["instructions"] = "\n".join(notes)
            notes.clear()
        looking = bool(re.match(r"^\s*(SELECT|SHOW|EXPLAIN|DESCRIBE|\\d)\b", snippet, re.I)) \
            and not dangerous_reason(snippet)
        step = {
            "title": title[:120], "phase": self._phase(ctx, title), "executor": executor,
            "source": self.where(block.line, block.end_line),
            **self._flags(ctx, "" if language in _PROSE_LANGS else snippet, looking=looking)}
        made = draft.add_step(self._finish_step(step, ctx), snippet_hints)
        self.note("step", block.line, block.end_line,
                  f"runbook {draft.id}, step {made['id']} (manual with {language} snippet)",
                  "not shell: attached for a person to apply", typed, bucket="steps")
        self._expected_output(draft, made, printed, {n: "console result" for n, _ in printed})
        for n, _ in typed:
            self.mark(n, n, f"runbook {draft.id}, step {made['id']} (manual with {language} "
                      "snippet)")

    def _promql(self, block: Block, ctx: Ctx, draft: Draft) -> None:
        title: str | None = None
        expr: list[tuple[int, str]] = []
        comment_lines: list[tuple[int, str]] = []

        def flush() -> None:
            nonlocal title, expr, comment_lines
            if expr:
                query = " ".join(t.strip() for _, t in expr)
                shown = title or ctx.label or f"Query {query[:60]}"
                step = {"title": shown, "phase": self._phase(ctx, shown) or "diagnose",
                        "executor": {"type": "promql", "query": query},
                        "source": self.where(expr[0][0] if not comment_lines
                                             else comment_lines[0][0], expr[-1][0])}
                made = draft.add_step(self._finish_step(step, ctx))
                self.note("step", step_first(comment_lines, expr), expr[-1][0],
                          f"runbook {draft.id}, step {made['id']} (promql)", "",
                          comment_lines + expr, bucket="steps")
            elif comment_lines:
                self.note("note", comment_lines[0][0], comment_lines[-1][0], "note",
                          "comment with no query after it", comment_lines,
                          text="\n".join(t for _, t in comment_lines))
            title, expr, comment_lines = None, [], []

        for n, text in block.code:
            stripped = text.strip()
            if not stripped:
                flush()
            elif stripped.startswith("#"):
                if expr:
                    flush()
                comment_lines.append((n, text))
                title = title or stripped.lstrip("#").strip()
            else:
                expr.append((n, text))
        flush()

    def _shell_block(self, block: Block, ctx: Ctx, draft: Draft, notes: list[str]) -> None:
        split = split_shell(block.code, console=block.lang in _CONSOLE_LANGS)
        if split.shebang:
            n, text = split.shebang
            self.note("note", n, n, "note", "interpreter line; steps run in bash", [(n, text)],
                      text=text)
            self.mark(n, n, "report only: interpreter line; steps run in bash")
        if split.output_lines:
            # output before any command of this block belongs to the step before the block
            self._expected_output(draft, draft.steps[-1] if draft.steps else None,
                                  split.output_lines, split.kinds)
        option: str | None = None
        groups = split.groups
        for index, group in enumerate(groups):
            title = group.comments[0][1] if group.comments else None
            if title and is_alternative(title) and index > 0:
                prev = groups[index - 1]
                option = option or "A"
                for step in draft.steps[-len(prev.commands):]:
                    step.setdefault("option", option)
                option = chr(ord(option) + 1)
            elif option and not (title and is_alternative(title)):
                option = None
            gctx = ctx if option is None else replace(ctx, option=option)
            if title:
                gctx = gctx.heard(" ".join(t for _, t in group.comments))
                gctx = replace(gctx, phase=ctx.phase if phase_of(title) not in
                               ("verify", "evidence") else phase_of(title))
            self._group(group, gctx, draft, title, notes if index == 0 else [], split.kinds)
        if split.groups:
            notes.clear()
        for remark in split.remarks:
            text_lines = [t for _, t in remark]
            rtitle = re.sub(r"^\d+[.)]\s*", "", text_lines[0])
            step = {"title": rtitle[:120], "phase": self._phase(ctx, rtitle),
                    "executor": {"type": "manual", **({"instructions": "\n".join(text_lines[1:])}
                                                      if len(text_lines) > 1 else {})},
                    "source": self.where(remark[0][0], remark[-1][0]),
                    **self._flags(ctx.heard(" ".join(text_lines), prose=True), "",
                                  looking=bool(_LOOKING.match(rtitle))
                                  and not prose_danger(rtitle))}
            made = draft.add_step(self._finish_step(step, ctx))
            self.mark(remark[0][0], remark[-1][0], f"runbook {draft.id}, step {made['id']} "
                      "(manual: a comment with no command under it)")
            self.note("step", remark[0][0], remark[-1][0],
                      f"runbook {draft.id}, step {made['id']} (manual)",
                      "comment with no command under it: a person does it", remark,
                      bucket="steps")

    def _group(self, group: Group, ctx: Ctx, draft: Draft, title: str | None,
               notes: list[str], kinds: dict[int, str]) -> None:
        commands = group.commands
        # A command that changes shell state (cd, export, VAR=, `&`) makes the rest of the
        # block one script, because separate steps would each start from a fresh shell.
        for i, command in enumerate(commands):
            if command.stateful and i < len(commands) - 1:
                rest = commands[i:]
                commands = [*commands[:i], type(command)(
                    "\n".join(c.text for c in rest), rest[0].first_line, rest[-1].last_line,
                    [o for c in rest for o in c.output], [o for c in rest for o in c.session])]
                break
        base = re.sub(r"^\d+[.)]\s*", "", title or ctx.label or ctx.heading or "")
        base = base.strip().rstrip(":")
        comment_lines = group.comments + group.trailing
        extra = [t for _, t in group.comments[1:]] + [t for _, t in group.trailing]
        for i, command in enumerate(commands):
            suffix = f" ({i + 1}/{len(commands)})" if len(commands) > 1 and base else ""
            shown = (base + suffix) if base else f"Run {command.text.split()[0]}"
            step_notes = "\n".join([*notes, *extra]) if i == 0 else None
            made = self._shell_step(draft, ctx, shown, command.text,
                                    command.first_line, command.last_line, step_notes or None,
                                    session=command.session)
            owned = [(n, t) for n, t in ((n, t) for n, t in self._lines(command.first_line,
                                                                           command.last_line))]
            if i == 0:
                owned += comment_lines
                made["source"] = self.where(min(n for n, _ in owned), max(
                    [n for n, _ in owned] + [_source_end(made["source"])]))
            for n, t in owned:
                if t.strip():
                    self.accounted.setdefault(n, "steps")
                    self.mark(n, n, f"runbook {draft.id}, step {made['id']}")
            self._expected_output(draft, made, command.output, kinds)

    def _lines(self, first: int, last: int) -> list[tuple[int, str]]:
        return [(n, self.code_text[n]) for n in range(first, last + 1) if n in self.code_text]

    def _ensure_verify(self, draft: Draft) -> None:
        steps = draft.steps
        for i, step in enumerate(steps):
            if step.get("phase") == "mitigate" and not any(
                    s.get("phase") == "verify" for s in steps[i + 1:]):
                made = draft.add_step({
                    "title": "Verify the mitigation worked", "phase": "verify",
                    "executor": {"type": "manual", "instructions": (
                        "Added on import: the source had no verification after this "
                        "mitigation. Confirm the alert has cleared and the service is healthy.")},
                })
                self.note("step", None, None, f"runbook {draft.id}, step {made['id']} (manual)",
                          f"verify placeholder added after mitigation {step['id']}")
                return


def _title_and_rest(text: str) -> tuple[str, str]:
    """Split "**Declare P0 incident** - Notify all stakeholders" into title and the rest."""
    parts = re.split(r"(?<=[\w)])\s+[-–—:]\s+", text, maxsplit=1)
    rest = parts[1] if len(parts) > 1 else ""
    return parts[0].strip().rstrip(".:"), rest


def _assignment_only(command: str) -> bool:
    """`export X=1` or `X="a b"`, but not `SENTRY_CONF=/etc/sentry sentry queues purge`,
    which runs a command with that environment."""
    try:
        words = shlex.split(command, comments=True)
    except ValueError:
        words = command.split()
    if words and words[0] == "export":
        words = words[1:]
    return bool(words) and all(re.match(r"^[A-Za-z_]\w*=", w) for w in words)


def _unused_reason(text: str) -> str:
    first = text.strip().splitlines()[0]
    if re.match(r"^\s*#{1,6}\s|^\s*[=-]{3,}\s*$", first):
        return "heading of a section with nothing to run (no runbook made from it)"
    words = re.sub(r"^\s*([-*+]|\d+[.)])\s+(\[[ xX]\]\s+)?", "", first)
    if _imperative(words) or _command_spans(Block("paragraph", 0, 0, text=text,
                                                   inline_code=re.findall(r"`([^`]+)`", text))):
        return ("names an action outside any runbook procedure: review it and add it to a "
                "runbook by hand if it is a step")
    return "prose outside any runbook procedure"


def _source_end(source: str) -> int:
    m = re.search(r":(\d+)(?:-(\d+))?$", source)
    return int(m.group(2) or m.group(1)) if m else 0


def step_first(comments: list[tuple[int, str]], expr: list[tuple[int, str]]) -> int:
    return comments[0][0] if comments else expr[0][0]

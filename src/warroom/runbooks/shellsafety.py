"""Where a parameter would be read as code by a second interpreter, and the environment
variables that carry parameter values there safely.

warroom quotes each value for the shell that runs the step (warroom.runbooks.templating), but a
value inside `sh -c "…"`, `bash -c '…'`, `eval`, `ssh host …`, `kubectl exec … -- sh -c …`, a
here-doc, a pipe into a shell, or `python -c` is parsed a second time, where that quoting no
longer holds. `nested_uses` finds those places so the linter can flag them and the executor
can refuse them for parameters filled from alerts; `parameter_env` is the safe alternative:
each value is also in the environment as `WR_P_<NAME>`, which the nested command reads as
`"$WR_P_<NAME>"`.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

from warroom.runbooks.inert import value_problem
from warroom.runbooks.model import Runbook
from warroom.runbooks.templating import HEREDOC, REFERENCE, references, shell_locals

ENV_PREFIX = "WR_P_"

# Commands whose `-c` (or `-e`) argument is program text for another interpreter.
_SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "ash", "mksh", "fish", "su",
                     "runuser", "script", "busybox"})
_INTERPRETER = re.compile(r"^(python[\d.]*|perl|ruby|node|nodejs|php|lua[\d.]*|Rscript)$")
# Commands that join their arguments and hand them to a shell.
_JOINERS = frozenset({"watch", "parallel"})
_SSH = frozenset({"ssh", "autossh"})
_SSH_COPY = frozenset({"scp", "sftp"})
SSH_ARGUMENT = "an ssh option or destination"
_SSH_ARG_OPTS = frozenset("bcDEeFIiJLlmOopQRSWw")
_SOURCE = frozenset({"source", "."})
_AWK = frozenset({"awk", "gawk", "mawk", "nawk"})
_SED = frozenset({"sed", "gsed"})
PROGRAM_CONTEXTS = ("an awk program", "a sed script", "an ssh -o option", "the command name")
_PLACEHOLDER = "\x01"


@dataclass(frozen=True)
class NestedUse:
    """Parameter `parameter` sits where `context` parses it again: as code, or (a here-doc
    fed to a program that is not an interpreter, e.g. `kubectl apply -f -`) as that
    program's data."""

    parameter: str
    context: str
    code: bool = True
    argument: bool = False  # an ssh/scp option or destination: a value starting with "-"
    #                         would be read as an option (-oProxyCommand=... runs code)


def env_name(parameter: str) -> str:
    """The environment variable carrying `parameter` to shell steps: WR_P_<NAME>."""
    return ENV_PREFIX + parameter.upper()


def parameter_env(values: Mapping[str, str]) -> dict[str, str]:
    """Every parameter value as `WR_P_<NAME>`, for the step's environment."""
    return {env_name(name): value for name, value in values.items()}


def env_references(text: str, names: Iterable[str]) -> set[str]:
    """Parameters that `text` reads from the environment (`$WR_P_NAME` or `${WR_P_NAME}`)."""
    return {n for n in names
            if re.search(r"\$\{?" + re.escape(env_name(n)) + r"\b", text)}


def untrusted_parameters(runbook: Runbook) -> dict[str, str]:
    """Parameters filled from alert text (labels, annotations, payload) -> their source."""
    return {p.name: p.source for p in runbook.parameters if p.source}


@dataclass(frozen=True)
class ValueRule:
    """What an untrusted parameter's value must look like (warroom.runbooks.inert)."""

    source: str | None = None
    pattern: str | None = None
    free_text: bool = False


def value_rules(runbook: Runbook) -> dict[str, ValueRule]:
    """The value rule of every parameter filled from alert text."""
    return {p.name: ValueRule(p.source, p.pattern, p.free_text)
            for p in runbook.parameters if p.source}


def _rules(untrusted: Collection[str] | Mapping[str, ValueRule]) -> Mapping[str, ValueRule]:
    return untrusted if isinstance(untrusted, Mapping) else {n: ValueRule() for n in untrusted}


def step_parameters(command: str, names: Collection[str]) -> set[str]:
    """Parameters a shell command uses: as {{name}}/${name}, or from the environment."""
    return set(references(command, shell=True)) | env_references(command, names)


def value_refusals(step_id: str, command: str, values: Mapping[str, str],
                   untrusted: Collection[str] | Mapping[str, ValueRule]) -> list[str]:
    """Untrusted values the step uses that are not inert words (or do not match their
    parameter's own pattern): default deny, whatever shell context they land in."""
    rules = _rules(untrusted)
    refused = []
    for name in sorted(step_parameters(command, values) & set(rules)):
        rule = rules[name]
        if rule.free_text or name not in values:
            continue
        problem = value_problem(values[name], rule.pattern)
        if problem:
            origin = f" (filled from {rule.source})" if rule.source else " (filled from alerts)"
            refused.append(
                f"step {step_id!r} uses parameter {name!r}{origin}, whose value is not one "
                f"inert word: {problem} — refused, so alert text cannot become code. If the "
                f"value is legitimate, declare what it may contain with `pattern: <regex>` on "
                f"parameter {name!r} (no shell metacharacters or whitespace), or, only if every "
                f"use is inside one shell's quotes, `free_text: true`")
    return refused


def withheld(command: str, values: Mapping[str, str],
             untrusted: Collection[str] | Mapping[str, ValueRule]) -> set[str]:
    """Untrusted parameters the step does not use whose values are not inert: kept out of
    the step's environment, so no script it calls can stumble on them."""
    rules = _rules(untrusted)
    used = step_parameters(command, values)
    return {n for n, rule in rules.items() if n in values and n not in used
            and not rule.free_text and value_problem(values[n], rule.pattern)}


@dataclass
class _Word:
    text: list[str] = field(default_factory=list)
    refs: list[str] = field(default_factory=list)
    procsub_refs: list[str] = field(default_factory=list)
    herestring: bool = False
    redirect: bool = False  # a redirection target or here-string, not an argument

    def literal(self) -> str:
        return "".join(self.text)


@dataclass
class _Command:
    words: list[_Word] = field(default_factory=list)
    heredoc_refs: list[str] = field(default_factory=list)
    piped: bool = False  # its output goes to the next command


class _Lexer:
    """Splits shell text into simple commands and words, keeping which references each word
    holds. Only as much shell grammar as the nesting analysis needs."""

    def __init__(self, text: str, declared: Collection[str]) -> None:
        self.t = text
        self.declared = declared
        self.local = shell_locals(text)
        self.commands: list[_Command] = []

    def ref_at(self, i: int) -> re.Match[str] | None:
        m = REFERENCE.match(self.t, i)
        if m is None:
            return None
        if m.group(2) and (m.group(2) not in self.declared or m.group(2) in self.local):
            return None
        return m

    def parse(self, start: int = 0, end: int | None = None) -> None:
        t = self.t
        end = len(t) if end is None else end
        cmd = _Command()
        word: _Word | None = None
        pending: list[tuple[str, bool, _Command]] = []
        redirect_next = False
        i = start

        def cur() -> _Word:
            nonlocal word, redirect_next
            if word is None:
                word = _Word(redirect=redirect_next)
                redirect_next = False
            return word

        def end_word() -> None:
            nonlocal word
            if word is not None:
                cmd.words.append(word)
                word = None

        def end_command(piped: bool = False) -> None:
            nonlocal cmd
            end_word()
            cmd.piped = piped
            if cmd.words or cmd.heredoc_refs:
                self.commands.append(cmd)
            elif self.commands and piped:
                self.commands[-1].piped = True
            cmd = _Command()

        while i < end:
            m = self.ref_at(i)
            if m:
                w = cur()
                w.refs.append(m.group(1) or m.group(2))
                w.text.append(_PLACEHOLDER)
                i = m.end()
                continue
            c, two = t[i], t[i:i + 2]
            if c == "\\":
                if t[i + 1:i + 2] != "\n":
                    cur().text.append(t[i + 1:i + 2])
                i += 2
            elif c == "'":
                i = self._quoted(i + 1, end, "'", cur())
            elif two == "$'":
                i = self._quoted(i + 2, end, "'", cur(), escapes=True)
            elif c == '"':
                i = self._double(i + 1, end, cur())
            elif two == "$(" or two in ("<(", ">("):
                close = self._matching(i + 1, end)
                w = cur()
                before = len(self.commands)
                self.parse(i + 2, close)
                if two != "$(":
                    w.procsub_refs += [r for c2 in self.commands[before:] for w2 in c2.words
                                       for r in w2.refs]
                w.text.append(_PLACEHOLDER)
                i = close + 1
            elif c == "`":
                close = self._backtick_end(i + 1, end)
                self.parse(i + 1, close)
                cur().text.append(_PLACEHOLDER)
                i = close + 1
            elif c == "#" and word is None:
                nl = t.find("\n", i, end)
                i = end if nl < 0 else nl
            elif c in " \t":
                end_word()
                i += 1
            elif c == "\n":
                end_command()
                i = self._heredoc_bodies(i + 1, end, pending)
                pending = []
            elif t.startswith("<<<", i):
                end_word()
                i += 3
                while i < end and t[i] in " \t":
                    i += 1
                cur().herestring = True
                cur().redirect = True
            elif two == "<<":
                hd = HEREDOC.match(t, i)
                end_word()
                if hd:
                    pending.append((hd.group(3), hd.group(1) == "-", cmd))
                    i = hd.end()
                else:
                    i += 2
            elif two in ("&&", "||", ";;"):
                end_command()
                i += 2
            elif two == "|&" or c == "|":
                end_command(piped=True)
                i += 2 if two == "|&" else 1
            elif two == "&>" or (c in "<>" and t[i + 1:i + 2] in ("&", ">", "|")):
                end_word()
                redirect_next = True
                i += 2
            elif c in ";&()":
                end_command()
                i += 1
            elif c in "<>":
                end_word()
                redirect_next = True
                i += 1
            elif two == "${":
                close = t.find("}", i, end)
                close = end - 1 if close < 0 else close
                cur().text.append(t[i:close + 1])
                i = close + 1
            else:
                cur().text.append(c)
                i += 1
        end_command()

    def _quoted(self, i: int, end: int, quote: str, word: _Word, escapes: bool = False) -> int:
        t = self.t
        while i < end and t[i] != quote:
            m = self.ref_at(i)
            if m:
                word.refs.append(m.group(1) or m.group(2))
                word.text.append(_PLACEHOLDER)
                i = m.end()
                continue
            if escapes and t[i] == "\\":
                word.text.append(t[i + 1:i + 2])
                i += 2
                continue
            word.text.append(t[i])
            i += 1
        return i + 1

    def _double(self, i: int, end: int, word: _Word) -> int:
        t = self.t
        while i < end and t[i] != '"':
            m = self.ref_at(i)
            if m:
                word.refs.append(m.group(1) or m.group(2))
                word.text.append(_PLACEHOLDER)
                i = m.end()
            elif t[i] == "\\":
                word.text.append(t[i + 1:i + 2])
                i += 2
            elif t.startswith("$(", i):
                close = self._matching(i + 1, end)
                self.parse(i + 2, close)
                word.text.append(_PLACEHOLDER)
                i = close + 1
            elif t[i] == "`":
                close = self._backtick_end(i + 1, end)
                self.parse(i + 1, close)
                word.text.append(_PLACEHOLDER)
                i = close + 1
            else:
                word.text.append(t[i])
                i += 1
        return i + 1

    def _matching(self, open_at: int, end: int) -> int:
        """Index of the `)` closing the `(` at `open_at` (quotes respected), or `end`."""
        t, depth, i = self.t, 0, open_at
        while i < end:
            c = t[i]
            if c == "\\":
                i += 2
                continue
            if c in "'\"":
                close = t.find(c, i + 1, end)
                i = end if close < 0 else close + 1
                continue
            if c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
                if depth == 0:
                    return i
            i += 1
        return end

    def _backtick_end(self, i: int, end: int) -> int:
        t = self.t
        while i < end and t[i] != "`":
            i += 2 if t[i] == "\\" else 1
        return min(i, end)

    def _heredoc_bodies(self, i: int, end: int,
                        pending: list[tuple[str, bool, _Command]]) -> int:
        t = self.t
        for delim, strip, owner in pending:
            while i < end:
                nl = t.find("\n", i, end)
                line_end = end if nl < 0 else nl
                line = t[i:line_end]
                i = line_end + 1
                if (line.lstrip("\t") if strip else line) == delim:
                    break
                for m in REFERENCE.finditer(line):
                    if m.group(1) or (m.group(2) in self.declared
                                      and m.group(2) not in self.local):
                        owner.heredoc_refs.append(m.group(1) or m.group(2))
        return min(i, end)


def _name(word: _Word) -> str:
    return word.literal().rsplit("/", 1)[-1]


def _command_refs(words: Iterable[_Word]) -> list[str]:
    return [r for w in words for r in (*w.refs, *w.procsub_refs)]


def _classify(cmd: _Command) -> tuple[list[tuple[str, str]], str | None]:
    """(reference, context) pairs that `cmd` parses again, and the interpreter that reads its
    standard input as code (e.g. `sh`, `ssh host`), if any."""
    found: list[tuple[str, str]] = []
    words = [w for w in cmd.words if not w.redirect]
    first = next((w for w in words if not re.match(r"[A-Za-z_]\w*=", w.literal())), None)
    if first is not None and first.refs:
        found += [(r, "the command name") for r in first.refs]
    for j, word in enumerate(words):
        name = _name(word)
        rest = words[j + 1:]
        if name in _AWK or name in _SED:
            return found + _program_refs(name, rest), None
        if name in _SHELLS or _INTERPRETER.match(name):
            flags = ("c",) if name in _SHELLS else ("c", "e", "E")
            for k, arg in enumerate(rest):
                text = arg.literal()
                if (text.startswith("-") and not text.startswith("--")
                        and any(f in text[1:] for f in flags)) or text in ("--command",
                                                                          "--eval"):
                    if k + 1 < len(rest):
                        found += [(r, f"{name} {text}") for r in _command_refs([rest[k + 1]])]
                    return found, None
            script = next((a for a in rest if not a.literal().startswith("-")), None)
            if script is None:
                return found, name
            found += [(r, f"a script given to {name}") for r in script.procsub_refs]
            return found, None
        if name in _SOURCE and j == 0:
            return [(r, name) for r in _command_refs(rest)], None
        if name == "eval":
            return [(r, "eval") for r in _command_refs(rest)], None
        if name in _JOINERS:
            return [(r, f"{name} (runs its arguments through sh -c)")
                    for r in _command_refs(rest)], None
        if name in _SSH:
            k = 0
            while k < len(rest) and rest[k].literal().startswith("-"):
                opt = rest[k].literal()
                if opt.startswith("-o"):
                    held = rest[k] if opt != "-o" or k + 1 >= len(rest) else rest[k + 1]
                    found += [(r, "an ssh -o option") for r in _command_refs([held])]
                k += 2 if len(opt) == 2 and opt[1] in _SSH_ARG_OPTS else 1
            remote = rest[k + 1:]
            found += [(r, SSH_ARGUMENT) for r in _command_refs(rest[:k + 1])]
            if not remote:
                return found, "ssh"
            return found + [(r, "an ssh remote command") for r in _command_refs(remote)], None
        if name in _SSH_COPY:
            return [(r, SSH_ARGUMENT) for r in _command_refs(rest)], None
    return found, None


def _program_refs(name: str, rest: list[_Word]) -> list[tuple[str, str]]:
    """References in the program text of awk or sed (`awk PROGRAM`, `sed -e SCRIPT`)."""
    awk = name in _AWK
    context = "an awk program" if awk else "a sed script"
    takes_value = ("-v", "-F") if awk else ("-l",)
    scripts: list[_Word] = []
    first: _Word | None = None
    k = 0
    while k < len(rest):
        text = rest[k].literal()
        if text == "--":
            first = rest[k + 1] if k + 1 < len(rest) else None
            break
        if text in ("-f", "--file") or text.startswith("--file="):
            return [(r, context) for w in scripts for r in _command_refs([w])]
        if text in ("-e", "--expression") and not awk:
            if k + 1 < len(rest):
                scripts.append(rest[k + 1])
            k += 2
            continue
        if text.startswith("-") and len(text) > 1:
            if (not awk and text.startswith("-e")) or text.startswith("--expression="):
                scripts.append(rest[k])
            k += 2 if text in takes_value else 1
            continue
        first = rest[k]
        break
    if not scripts and first is not None:
        scripts.append(first)
    return [(r, context) for r in _command_refs(scripts)]


def nested_uses(command: str, declared: Collection[str]) -> list[NestedUse]:
    """Every place in shell `command` where a parameter is parsed again as code, in order."""
    lexer = _Lexer(command, declared)
    lexer.parse()
    found: list[NestedUse] = []
    pipeline: list[_Command] = []
    for cmd in lexer.commands:
        pipeline.append(cmd)
        nested, reader = _classify(cmd)
        found += [NestedUse(r, ctx, code=False, argument=True) if ctx == SSH_ARGUMENT
                  else NestedUse(r, ctx) for r, ctx in nested]
        found += [NestedUse(r, f"a here-doc read by {reader}") if reader
                  else NestedUse(r, "a here-doc", code=False) for r in cmd.heredoc_refs]
        if reader:
            found += [NestedUse(r, f"a here-string read by {reader}")
                      for w in cmd.words if w.herestring for r in w.refs]
            for earlier in pipeline[:-1]:
                found += [NestedUse(r, f"a pipe into {reader}")
                          for r in _command_refs(earlier.words)]
        if not cmd.piped:
            pipeline = []
    unique: list[NestedUse] = []
    for use in found:
        if use not in unique:
            unique.append(use)
    return unique


def unsafe_uses(command: str, declared: Collection[str],
                untrusted: Collection[str]) -> list[NestedUse]:
    """The nested uses of parameters filled from alert text as code: never allowed to run."""
    return [u for u in nested_uses(command, declared) if u.parameter in untrusted and u.code]


def data_uses(command: str, declared: Collection[str],
              untrusted: Collection[str]) -> list[NestedUse]:
    """Parameters filled from alert text inside a here-doc that a program reads as data."""
    return [u for u in nested_uses(command, declared)
            if u.parameter in untrusted and not u.code and not u.argument]


def option_refusals(step_id: str, command: str, values: Mapping[str, str],
                    untrusted: Collection[str]) -> list[str]:
    """Alert-filled values that ssh or scp would read as an option (they start with "-")."""
    return [f"step {step_id!r} passes parameter {u.parameter!r} to ssh as {u.context}, and "
            f"its value {values[u.parameter]!r} starts with '-', which ssh would read as an "
            "option (-oProxyCommand=… runs a command) — refused; fix the alert's label"
            for u in nested_uses(command, set(values))
            if u.argument and u.parameter in untrusted
            and values.get(u.parameter, "").startswith("-")]


def explain_use(step_id: str, use: NestedUse, source: str | None = None) -> str:
    """The error for one unsafe use: which step, which parameter, what to write instead."""
    origin = f" (filled from {source})" if source else ""
    var = env_name(use.parameter)
    if use.context == "a here-doc":
        fix = (f"write ${{{var}}} in the here-doc body instead: the shell expands it once, "
               "as data")
    elif use.context.startswith("a here-doc read by"):
        fix = (f"quote the delimiter (<<'EOF') and write \"${var}\" in the body, so the shell "
               "reading it expands the value as one word")
    elif use.context in PROGRAM_CONTEXTS:
        fix = ("never hand alert text to a program as its script, option or command: keep the "
               "program text fixed and pass the value as data (awk -v x=\"$WR_P_X\", an "
               "argument after the script, or a case statement that picks a fixed word)"
               ).replace("WR_P_X", var)
    elif "ssh" in use.context:
        fix = (f"the environment does not cross ssh: quote the value for the remote shell, "
               f"e.g. ssh host \"cmd $(printf %q \"${var}\")\"")
    else:
        fix = (f"read it from the environment: \"${var}\" inside the nested command's single "
               f"quotes, e.g. sh -c 'echo \"${var}\"'")
    return (f"step {step_id!r} puts parameter {use.parameter!r}{origin} inside "
            f"{use.context}, where alert text would be parsed again "
            f"{'as code' if use.code else 'as that program’s input'} — {fix}")

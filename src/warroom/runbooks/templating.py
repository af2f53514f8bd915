"""Parameter references in step text, and rendering them so a value can never become code.

A reference is `{{ name }}`, or `${name}` when `name` is a lowercase declared parameter.
Literal double braces (Go templates, Helm) are written `\\{{` and rendered as `{{`.
Shell rendering follows the quoting context the reference sits in (bare word, double or
single quotes, command substitution, heredoc body, comment) and always emits the value as
one inert word, so alert labels like `x; rm -rf /` or `$(reboot)` stay text.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Mapping
from urllib.parse import quote

LITERAL_BRACES = "\\{{"
REFERENCE = re.compile(r"(?<!\\)\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}|\$\{([a-z][a-z0-9_]*)\}")
_ASSIGN = re.compile(
    r"(?:^|[;&|(`\s])(?:export\s+|local\s+|readonly\s+|declare\s+(?:-\w+\s+)*)?"
    r"([A-Za-z_][A-Za-z0-9_]*)\+?=")
_FOR = re.compile(r"\bfor\s+([A-Za-z_][A-Za-z0-9_]*)\s+in\b")
_READ = re.compile(r"\bread\s+(?:-[a-zA-Z]+\s+(?:\S+\s+)?)*([A-Za-z_][\w ]*)")
HEREDOC = re.compile(r"<<(-?)\s*(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\2")


class RenderError(ValueError):
    """A template that cannot be rendered safely; the message says why and what to change."""


def shell_locals(command: str) -> set[str]:
    """Variable names a shell command assigns itself (NAME=..., for NAME in, read NAME)."""
    names = {m.group(1) for m in _ASSIGN.finditer(command)}
    names.update(m.group(1) for m in _FOR.finditer(command))
    for m in _READ.finditer(command):
        names.update(m.group(1).split())
    return names


def references(text: str, *, shell: bool = False) -> list[str]:
    """Parameter names referenced in `text`, in order of first use, without repeats.

    In shell text a `${name}` that the command assigns itself is a shell variable, not a
    parameter reference.
    """
    local = shell_locals(text) if shell else set()
    seen: list[str] = []
    for m in REFERENCE.finditer(text):
        name = m.group(1) or m.group(2)
        if m.group(2) and name in local:
            continue
        if name not in seen:
            seen.append(name)
    return seen


def _value(values: Mapping[str, str], name: str) -> str:
    if name not in values:
        raise RenderError(f"parameter {name!r} has no value — declare it with a default or "
                          "a source, or pass it when running the step")
    value = str(values[name])
    if "\x00" in value:
        raise RenderError(f"parameter {name!r} contains a NUL byte, which no command can take")
    return value


def render_text(text: str, values: Mapping[str, str],
                escape: Callable[[str], str] = lambda v: v) -> str:
    """Substitute references in non-shell text (URLs, PromQL, messages) through `escape`."""
    def sub(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(2)
        if m.group(2) and name not in values:
            return m.group(0)
        return escape(_value(values, name))
    return REFERENCE.sub(sub, text).replace(LITERAL_BRACES, "{{")


# What a host, IPv6 literal or port may hold; `@`, `/`, `?`, `#` or spaces would change
# which server the request goes to.
_AUTHORITY_VALUE = re.compile(r"^[A-Za-z0-9.\-_~\[\]:]+$")


def render_url(template: str, values: Mapping[str, str]) -> str:
    """Substitute references in a URL by where each sits.

    Starting the URL, a value is a whole base URL (`{{ base }}/health`, base an http(s) URL).
    In scheme://HOST:PORT, a value is a host or a port and goes in as is (so `127.0.0.1:9090`
    keeps its colon), but must look like one. In the path, query or fragment a value is
    percent-encoded, so it stays one segment or one query value."""
    out: list[str] = []
    pos = 0
    for m in REFERENCE.finditer(template):
        name = m.group(1) or m.group(2)
        if m.group(2) and name not in values:
            continue
        out.append(template[pos:m.start()])
        out.append(_url_part("".join(out), name, _value(values, name)))
        pos = m.end()
    out.append(template[pos:])
    return "".join(out).replace(LITERAL_BRACES, "{{")


def _url_part(before: str, name: str, value: str) -> str:
    if not before:
        scheme, sep, rest = value.partition("://")
        if scheme.lower() in ("http", "https") and sep and rest and \
                _AUTHORITY_VALUE.match(rest.split("/", 1)[0]) and \
                not any(c.isspace() or ord(c) < 0x20 for c in rest):
            return value
        raise RenderError(f"parameter {name!r} starts the URL, so it must be an http(s) URL "
                          f"such as http://host:port; got {value!r}")
    scheme, sep, after_scheme = before.partition("://")
    if sep and not any(c in after_scheme for c in "/?#"):
        if _AUTHORITY_VALUE.match(value):
            return value
        raise RenderError(f"parameter {name!r} sits in the host:port part of the URL; "
                          f"{value!r} is not a host name, address or port")
    return quote(value, safe="")


class _ShellRenderer:
    """A small shell lexer: just enough context tracking to place each value safely."""

    def __init__(self, template: str, values: Mapping[str, str]) -> None:
        self.t = template
        self.values = values
        self.out: list[str] = []
        self.stack: list[str] = ["normal"]
        self.pending: list[tuple[str, bool, bool]] = []  # (delimiter, quoted, strip_tabs)

    def render(self) -> str:
        t, i = self.t, 0
        while i < len(t):
            ref = REFERENCE.match(t, i)
            if ref and not (ref.group(2) and ref.group(2) not in self.values):
                self.out.append(self._place(_value(self.values, ref.group(1) or ref.group(2))))
                i = ref.end()
                continue
            i = self._step(i)
        return "".join(self.out)

    def _place(self, value: str) -> str:
        ctx = self.stack[-1]
        if ctx in ("normal", "cmdsub", "paren"):
            return shlex.quote(value)
        if ctx == "dq":
            return '"' + shlex.quote(value) + '"'
        if ctx == "sq":
            return "'" + shlex.quote(value) + "'"
        if ctx == "ansi":
            return "'" + shlex.quote(value) + "$'"
        if ctx == "comment":
            return value.replace("\n", " ").replace("\r", " ")
        if ctx in ("heredoc", "heredoc-quoted"):
            if "\n" in value or "\r" in value:
                raise RenderError("a parameter inside a heredoc cannot contain a line break "
                                  "(it could end the heredoc early)")
            if ctx == "heredoc-quoted":
                return value
            return re.sub(r"([\\$`])", r"\\\1", value)
        raise RenderError("a parameter inside backticks cannot be quoted safely — "
                          "use $(...) instead of `...`")

    def _step(self, i: int) -> int:
        t, ctx = self.t, self.stack[-1]
        c = t[i]
        two = t[i:i + 2]
        if ctx in ("heredoc", "heredoc-quoted"):
            return self._heredoc_line(i)
        if t.startswith(LITERAL_BRACES, i):
            self.out.append("{{")
            return i + 3
        if ctx == "comment":
            if c == "\n":
                self.stack.pop()
                return self._newline(i)
            self.out.append(c)
            return i + 1
        if ctx == "sq":
            if c == "'":
                self.stack.pop()
            self.out.append(c)
            return i + 1
        if c == "\\":
            self.out.append(t[i:i + 2])
            return i + 2
        if ctx == "ansi":
            if c == "'":
                self.stack.pop()
            self.out.append(c)
            return i + 1
        if ctx == "dq":
            if c == '"':
                self.stack.pop()
            elif two == "$(":
                self.stack.append("cmdsub")
                self.out.append(two)
                return i + 2
            elif c == "`":
                self.stack.append("backtick")
            elif two == "${":
                return self._opaque_brace(i)
            self.out.append(c)
            return i + 1
        if ctx == "backtick" and c == "`":
            self.stack.pop()
            self.out.append(c)
            return i + 1
        # normal, cmdsub, paren, backtick: unquoted shell text
        if c == "'":
            self.stack.append("sq")
        elif two == "$'":
            self.stack.append("ansi")
            self.out.append(two)
            return i + 2
        elif c == '"':
            self.stack.append("dq")
        elif two == "$(":
            self.stack.append("cmdsub")
            self.out.append(two)
            return i + 2
        elif two == "${":
            return self._opaque_brace(i)
        elif c == "`":
            self.stack.append("backtick")
        elif c == "(":
            self.stack.append("paren")
        elif c == ")" and ctx in ("cmdsub", "paren"):
            self.stack.pop()
        elif c == "#" and (i == 0 or t[i - 1] in " \t\n;&|("):
            self.stack.append("comment")
        elif c == "<" and two == "<<" and t[i:i + 3] != "<<<":
            m = HEREDOC.match(t, i)
            if m:
                self.pending.append((m.group(3), bool(m.group(2)), m.group(1) == "-"))
                self.out.append(m.group(0))
                return m.end()
        elif c == "\n":
            return self._newline(i)
        self.out.append(c)
        return i + 1

    def _opaque_brace(self, i: int) -> int:
        end = self.t.find("}", i)
        end = len(self.t) - 1 if end < 0 else end
        self.out.append(self.t[i:end + 1])
        return end + 1

    def _newline(self, i: int) -> int:
        self.out.append("\n")
        if self.pending:
            _delim, quoted, _strip = self.pending[0]
            self.stack.append("heredoc-quoted" if quoted else "heredoc")
        return i + 1

    def _heredoc_line(self, i: int) -> int:
        end = self.t.find("\n", i)
        end = len(self.t) if end < 0 else end
        line = self.t[i:end]
        delim, _quoted, strip = self.pending[0]
        if (line.lstrip("\t") if strip else line) == delim:
            self.out.append(line)
            self.pending.pop(0)
            self.stack.pop()
            if end < len(self.t):
                return self._newline(end)
            return end
        # substitute references within the body line, in heredoc context
        pos = 0
        for m in REFERENCE.finditer(line):
            if m.group(2) and m.group(2) not in self.values:
                continue
            self.out.append(line[pos:m.start()].replace(LITERAL_BRACES, "{{"))
            self.out.append(self._place(_value(self.values, m.group(1) or m.group(2))))
            pos = m.end()
        self.out.append(line[pos:].replace(LITERAL_BRACES, "{{"))
        if end < len(self.t):
            self.out.append("\n")
        return end + 1


def render_shell(template: str, values: Mapping[str, str]) -> str:
    """Render a shell command, quoting every parameter value for the context it sits in."""
    return _ShellRenderer(template, values).render()


def escape_braces(text: str) -> str:
    """Mark every `{{` in source text as literal, so it is never read as a reference."""
    return text.replace("{{", LITERAL_BRACES)

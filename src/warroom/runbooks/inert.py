"""What a parameter filled from alert text may look like before a shell step runs with it.

Default deny: an untrusted value must be one *inert word* — letters, digits and `._:/@+,%=-`,
starting with a letter or digit, at most 256 characters. Such a word holds no whitespace, no
quote, no `$`, backtick or other shell metacharacter, so no shell, however deeply nested,
parses it as anything but a word, and no program reads it as an option. A runbook may widen
the rule per parameter with `pattern:` (a regex that must still exclude every character in
`DANGEROUS`, checked when the runbook loads) or drop it with `free_text: true`.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

INERT_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/@+,%=-]*")
MAX_LENGTH = 256
# Characters some shell (or a second parser behind it) treats specially: whitespace and
# control characters split words and lines; the rest quote, expand, glob, redirect or chain.
DANGEROUS = frozenset(" \t\n\r\v\f$`;|&<>(){}[]*?~!#'\"\\^") | frozenset(
    chr(c) for c in [*range(32), 127])
# Strings a safe custom pattern must never match (a second check after the regex analysis).
PROBES = ("x; touch m", "x;y", "x|y", "x&y", "$(id)", "`id`", "x y", "x\ty", "x\ny", "'",
          '"', "x'y", 'x"y', "x<y", "x>y", "(x)", "{x}", "[x]", "x*", "x?", "~x", "!x", "#x",
          "x\\y", "$x", "${x}", "a[$(id)]", "x\x00y", "^x")


def show_char(ch: str) -> str:
    """A character as an error message can show it."""
    return repr(ch) if ch.isprintable() and ch != " " else repr(ch) + f" (U+{ord(ch):04X})"


def _in_set(items: list[tuple[Any, Any]], c: Any) -> set[str]:
    """The dangerous characters a character class [...] matches."""
    categories = {c.CATEGORY_DIGIT: r"\d", c.CATEGORY_NOT_DIGIT: r"\D",
                  c.CATEGORY_SPACE: r"\s", c.CATEGORY_NOT_SPACE: r"\S",
                  c.CATEGORY_WORD: r"\w", c.CATEGORY_NOT_WORD: r"\W"}
    negate = any(op is c.NEGATE for op, _ in items)
    found: set[str] = set()
    for ch in DANGEROUS:
        hit = False
        for op, av in items:
            if op is c.LITERAL:
                hit = hit or chr(av) == ch
            elif op is c.RANGE:
                hit = hit or av[0] <= ord(ch) <= av[1]
            elif op is c.CATEGORY:
                hit = hit or re.fullmatch(categories.get(av, r"[\s\S]"), ch) is not None
            elif op is not c.NEGATE:
                hit = True  # something this check does not know: assume the worst
        if hit != negate:
            found.add(ch)
    return found


def _reachable(parsed: Any, c: Any) -> set[str]:
    """The dangerous characters a parsed regex can consume."""
    found: set[str] = set()
    for op, av in parsed:
        if op is c.LITERAL:
            found |= {chr(av)} & DANGEROUS
        elif op is c.NOT_LITERAL or op is c.ANY:
            found |= DANGEROUS - {chr(av) if op is c.NOT_LITERAL else ""}
        elif op is c.IN:
            found |= _in_set(av, c)
        elif op is c.CATEGORY:
            found |= _in_set([(op, av)], c)
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)):
            found |= _reachable(av[2], c)
        elif op is c.SUBPATTERN:
            found |= _reachable(av[3], c)
        elif op is getattr(c, "ATOMIC_GROUP", None):
            found |= _reachable(av, c)
        elif op is c.BRANCH:
            for branch in av[1]:
                found |= _reachable(branch, c)
        elif op is c.GROUPREF_EXISTS:
            for branch in av[1:]:
                if branch is not None:
                    found |= _reachable(branch, c)
        elif op in (c.AT, c.GROUPREF, c.ASSERT, c.ASSERT_NOT):
            continue  # anchors, back-references and lookarounds consume nothing new
        else:
            found |= DANGEROUS
    return found


def pattern_problem(pattern: str) -> str | None:
    """Why `pattern` cannot widen the inert-word rule, or None when it is safe: it must be a
    valid regex and unable to match any shell metacharacter, whitespace or control character."""
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        return f"pattern {pattern!r} is not a valid regular expression: {exc}"
    parser: Any = importlib.import_module("re._parser")
    constants: Any = importlib.import_module("re._constants")
    try:
        reachable = _reachable(parser.parse(pattern), constants)
    except Exception:  # an unparsable pattern is refused, not crashed on
        reachable = set(DANGEROUS)
    reachable |= {ch for probe in PROBES if compiled.fullmatch(probe)
                  for ch in probe if ch in DANGEROUS}
    if reachable:
        first = sorted(reachable, key=lambda ch: (not ch.isprintable(), ch))[:6]
        shown = ", ".join(show_char(ch) for ch in first)
        return (f"pattern {pattern!r} can match shell metacharacters or whitespace ({shown}"
                f"{', …' if len(reachable) > 6 else ''}), so alert text could become code — "
                "list only safe characters, e.g. [A-Za-z0-9._-]+")
    return None


def value_problem(value: str, pattern: str | None = None) -> str | None:
    """Why an untrusted `value` may not reach a shell step (None when it may): it must be one
    inert word, or match the parameter's own safe `pattern`."""
    if not value:
        return None  # an empty word is still one inert word
    bad = next((ch for ch in value if ch in DANGEROUS), None)
    if bad is not None:
        return f"it contains {show_char(bad)} at position {value.index(bad) + 1}"
    if len(value) > MAX_LENGTH:
        return f"it is {len(value)} characters long (at most {MAX_LENGTH})"
    if value.startswith("-"):
        return "it starts with '-', which a program would read as an option"
    if pattern is not None:
        if re.fullmatch(pattern, value) is None:
            return f"it does not match the parameter's pattern {pattern!r}"
        return None
    if INERT_WORD.fullmatch(value) is None:
        bad = next((ch for ch in value if not re.fullmatch(r"[A-Za-z0-9._:/@+,%=-]", ch)),
                   value[0])
        return (f"it contains {show_char(bad)} at position {value.index(bad) + 1}, which is "
                "not a letter, digit or one of ._:/@+,%=-")
    return None

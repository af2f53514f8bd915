"""Markdown to a tree of sections holding ordered blocks (paragraphs, list items, code, tables)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from markdown_it import MarkdownIt
from markdown_it.token import Token

BlockKind = Literal["paragraph", "item", "code", "table", "html"]
_CHECKBOX = re.compile(r"^\[([ xX])\]\s+")


@dataclass
class Block:
    kind: BlockKind
    line: int                       # 1-based first line
    end_line: int                   # 1-based last line
    text: str = ""                  # inline markdown source (paragraph, item, html)
    lang: str = ""                  # code: the fence info word, "" when none
    code: list[tuple[int, str]] = field(default_factory=list)  # code: (line, text) pairs
    rows: list[list[str]] = field(default_factory=list)        # table: header first
    checked: bool | None = None     # item: checkbox state, None when no checkbox
    depth: int = 0                  # item: nesting depth, 1 for top-level items
    ordered: bool = False           # item: part of a numbered list
    inline_code: list[str] = field(default_factory=list)


@dataclass
class Section:
    title: str
    level: int
    line: int
    blocks: list[Block] = field(default_factory=list)
    children: list[Section] = field(default_factory=list)
    parent: Section | None = field(default=None, repr=False)

    def walk(self) -> list[Section]:
        out = [self]
        for child in self.children:
            out.extend(child.walk())
        return out

    def all_blocks(self) -> list[Block]:
        return [b for s in self.walk() for b in s.blocks]

    def path(self) -> list[str]:
        out: list[str] = []
        node: Section | None = self
        while node is not None and node.level > 0:
            out.append(node.title)
            node = node.parent
        return out[::-1]


def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": True}).enable("table")


def _code_lines(token: Token) -> list[tuple[int, str]]:
    assert token.map is not None
    first = token.map[0] + (2 if token.type == "fence" else 1)
    return [(first + i, line) for i, line in enumerate(token.content.splitlines())]


def _inline_codes(token: Token) -> list[str]:
    return [c.content for c in token.children or [] if c.type == "code_inline"]


_ADMONITION = re.compile(r"^(\s*)(!!!|\?\?\?\+?)\s*\w+")


def unindent_admonitions(text: str) -> str:
    """MkDocs admonitions (`!!! danger "Last resort"` then an indented body) read as the
    paragraph and blocks they hold, not as an indented code block; line numbers are kept."""
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        m = _ADMONITION.match(lines[i])
        if not m:
            i += 1
            continue
        indent = len(m.group(1)) + 4
        j = i + 1
        while j < len(lines) and (not lines[j].strip() or
                                  len(lines[j]) - len(lines[j].lstrip(" ")) >= indent):
            lines[j] = lines[j][4:] if lines[j].startswith(" " * 4) else lines[j]
            j += 1
        i = j
    return "\n".join(lines)


def parse(text: str) -> Section:
    """Parse Markdown into a root section (level 0) whose children follow the headings."""
    tokens = _parser().parse(unindent_admonitions(text))
    root = Section(title="", level=0, line=1)
    current = root
    list_stack: list[bool] = []        # ordered? per open list
    item_fresh: list[bool] = []        # has the open item's first paragraph been seen?
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        line = (tok.map[0] + 1) if tok.map else 1
        end = tok.map[1] if tok.map else line
        if tok.type == "heading_open":
            level = int(tok.tag[1])
            title = tokens[i + 1].content.strip()
            while current.level >= level:
                assert current.parent is not None
                current = current.parent
            section = Section(title=title, level=level, line=line, parent=current)
            current.children.append(section)
            current = section
            i += 3
            continue
        if tok.type in ("bullet_list_open", "ordered_list_open"):
            list_stack.append(tok.type == "ordered_list_open")
        elif tok.type in ("bullet_list_close", "ordered_list_close"):
            list_stack.pop()
        elif tok.type == "list_item_open":
            item_fresh.append(True)
        elif tok.type == "list_item_close":
            if item_fresh and item_fresh[-1]:
                current.blocks.append(Block("item", line, line, depth=len(list_stack),
                                            ordered=list_stack[-1] if list_stack else False))
            item_fresh.pop()
        elif tok.type == "inline" and tokens[i - 1].type == "paragraph_open":
            content = tok.content
            if item_fresh and item_fresh[-1]:
                item_fresh[-1] = False
                checked = None
                m = _CHECKBOX.match(content)
                if m:
                    checked = m.group(1) != " "
                    content = content[m.end():]
                current.blocks.append(Block(
                    "item", line, end, text=content, checked=checked, depth=len(list_stack),
                    ordered=list_stack[-1], inline_code=_inline_codes(tok)))
            else:
                current.blocks.append(Block("paragraph", line, end, text=content,
                                            inline_code=_inline_codes(tok)))
        elif tok.type in ("fence", "code_block"):
            if item_fresh and item_fresh[-1]:
                item_fresh[-1] = False
            lang = tok.info.strip().split()[0].lower() if tok.info.strip() else ""
            current.blocks.append(Block("code", line, end, lang=lang, code=_code_lines(tok)))
        elif tok.type == "table_open":
            rows: list[list[str]] = []
            j = i + 1
            while tokens[j].type != "table_close":
                if tokens[j].type == "tr_open":
                    rows.append([])
                elif tokens[j].type == "inline":
                    rows[-1].append(tokens[j].content.strip())
                j += 1
            current.blocks.append(Block("table", line, end, rows=rows))
            i = j + 1
            continue
        elif tok.type == "html_block":
            current.blocks.append(Block("html", line, end, text=tok.content))
        i += 1
    return root


def count_code_lines(text: str) -> int:
    """Non-blank lines inside fenced or indented code blocks: what an import must account for."""
    tokens = _parser().parse(unindent_admonitions(text))
    return sum(1 for tok in tokens if tok.type in ("fence", "code_block")
               for line in tok.content.splitlines() if line.strip())


def plain(inline: str) -> str:
    """Inline markdown to plain text: drop emphasis and links but keep code text."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", inline)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])[*_](\S.*?)[*_](?![\w*])", r"\1", text)
    return re.sub(r"\s+", " ", text).strip()

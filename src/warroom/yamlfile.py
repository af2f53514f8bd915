"""YAML loading that remembers where every value came from, so errors can name file and line."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


@dataclass
class SourceMap:
    """Maps a path of keys/indexes inside a loaded document to (file, line)."""

    file: str
    lines: dict[tuple[str | int, ...], int] = field(default_factory=dict)

    def line_of(self, loc: Sequence[str | int]) -> int | None:
        """The line of the deepest known prefix of `loc` (1-based), or None."""
        path = tuple(loc)
        while True:
            if path in self.lines:
                return self.lines[path]
            if not path:
                return None
            path = path[:-1]

    def where(self, loc: Sequence[str | int]) -> str:
        line = self.line_of(loc)
        return f"{self.file}:{line}" if line else self.file


class YamlError(ValueError):
    """A YAML file that could not be parsed; the message names file and line."""


def _construct(node: yaml.Node, path: tuple[str | int, ...], smap: SourceMap,
               loader: yaml.SafeLoader) -> Any:
    smap.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            child = (*path, key if isinstance(key, (str, int)) else str(key))
            smap.lines[child] = key_node.start_mark.line + 1
            result[key] = _construct(value_node, child, smap, loader)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_construct(item, (*path, i), smap, loader) for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


def loads(text: str, file: str = "<string>") -> tuple[Any, SourceMap]:
    """Parse one YAML document and return (data, source map)."""
    smap = SourceMap(file=file)
    try:
        # The reader checks the characters here, before the try below could catch it.
        loader = yaml.SafeLoader(text)
    except yaml.YAMLError as exc:
        raise YamlError(f"{file}: invalid YAML: {exc}") from exc
    try:
        node = loader.get_single_node()
        if node is None:
            return None, smap
        return _construct(node, (), smap, loader), smap
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        raise YamlError(f"{file}{line}: invalid YAML: {exc.problem or exc}") from exc
    except yaml.YAMLError as exc:
        raise YamlError(f"{file}: invalid YAML: {exc}") from exc
    finally:
        loader.dispose()


def load(path: Path) -> tuple[Any, SourceMap]:
    """Read and parse a YAML file; undecodable bytes are a clear error, not a crash."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise YamlError(f"{path}: not UTF-8 text (byte {exc.start})") from exc
    return loads(text, str(path))


def format_pydantic_errors(errors: Sequence[Any], smap: SourceMap,
                           prefix: Sequence[str | int] = ()) -> list[str]:
    """Turn pydantic ValidationError.errors() into 'file:line: a.b.c: message' lines."""
    out = []
    for err in errors:
        loc = (*prefix, *[p for p in err["loc"] if not (isinstance(p, str) and p.startswith(
            ("function-", "tagged-union")))])
        dotted = ".".join(str(p) for p in loc) or "(top level)"
        out.append(f"{smap.where(loc)}: {dotted}: {err['msg']}")
    return out

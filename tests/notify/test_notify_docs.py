"""docs/notifications.md stays true: its YAML examples load, and every channel type, template
and template variable is documented."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path

from warroom.domain.templates import CONTEXT_KEYS, DEFAULT_TEMPLATES, TemplateSet
from warroom.notify.channels import parse_channels
from warroom.notify.registry import CHANNEL_TYPES
from warroom.yamlfile import loads

DOC = Path(__file__).resolve().parents[2] / "docs" / "notifications.md"


class AnyEnvironment(Mapping[str, str]):
    """Every variable is set, so examples validate without real secrets."""

    def __getitem__(self, key: str) -> str:
        return f"placeholder-{key.lower()}"

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def yaml_blocks() -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)


def test_every_channel_yaml_example_loads() -> None:
    seen: set[str] = set()
    for block in yaml_blocks():
        data, smap = loads(block, "docs/notifications.md")
        if "channels" in data:
            channels = parse_channels(data, smap, AnyEnvironment())
            seen.update(str(c.model_dump()["type"]) for c in channels.values())
    assert seen >= {name for name in CHANNEL_TYPES if name != "pigeon"}


def test_template_override_example_loads() -> None:
    [block] = [b for b in yaml_blocks() if b.startswith("templates:")]
    data, smap = loads(block, "docs/notifications.md")
    TemplateSet.from_config(data["templates"], where=smap.where)


def test_defaults_and_variables_are_printed_in_the_docs() -> None:
    text = DOC.read_text(encoding="utf-8")
    for name, source in DEFAULT_TEMPLATES.items():
        assert f"#### `{name}`" in text
        assert source.rstrip("\n") in text, f"docs show an outdated default for {name}"
    for key in CONTEXT_KEYS:
        assert f"| `{key}` |" in text

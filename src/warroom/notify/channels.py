"""Loading an organisation's channels file (`channels:` name → config) with errors that name
file and line."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from warroom.notify.registry import CHANNEL_TYPES
from warroom.yamlfile import SourceMap, format_pydantic_errors, load

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


class ChannelConfigError(ValueError):
    """The channels file is wrong; `problems` holds one 'file:line: what' line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def parse_channels(data: Any, smap: SourceMap, env: Mapping[str, str] | None = None,
                   prefix: tuple[str | int, ...] = ()) -> dict[str, BaseModel]:
    """Validate a `{channels: {name: {type: ..., ...}}}` document (or its `channels` mapping
    when `prefix` already points at it) into channel configs, keyed by name."""
    environment = os.environ if env is None else env
    if not prefix:
        if not isinstance(data, dict) or "channels" not in data:
            raise ChannelConfigError([f"{smap.where(())}: expected a top-level `channels:` "
                                      "mapping of channel name to settings"])
        data, prefix = data["channels"], ("channels",)
    if not isinstance(data, dict):
        raise ChannelConfigError([f"{smap.where(prefix)}: `channels` must be a mapping of "
                                  "channel name to settings"])
    problems: list[str] = []
    channels: dict[str, BaseModel] = {}
    for name, body in data.items():
        where = smap.where((*prefix, name))
        if not isinstance(name, str) or not _NAME.match(name):
            problems.append(f"{where}: channel name {name!r} must be lowercase letters, digits, "
                            "'-' or '_' (e.g. team-chat)")
            continue
        if not isinstance(body, dict):
            problems.append(f"{where}: channel {name!r} must be a mapping with a `type:`")
            continue
        kind = body.get("type")
        if kind not in CHANNEL_TYPES:
            problems.append(f"{smap.where((*prefix, name, 'type'))}: channel {name!r} has type "
                            f"{kind!r}; use one of {', '.join(sorted(CHANNEL_TYPES))}")
            continue
        model = CHANNEL_TYPES[kind].config_model
        try:
            channels[name] = model.model_validate(body, context={"env": environment})
        except ValidationError as exc:
            problems.extend(format_pydantic_errors(exc.errors(), smap, (*prefix, name)))
    if problems:
        raise ChannelConfigError(problems)
    return channels


def load_channels(path: Path, env: Mapping[str, str] | None = None) -> dict[str, BaseModel]:
    data, smap = load(path)
    return parse_channels(data, smap, env)

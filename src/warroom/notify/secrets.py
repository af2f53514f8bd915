"""`${ENV_VAR}` references in channel config, and scrubbing secrets out of text we show.

Secrets are resolved once at load time into pydantic `SecretStr`, whose repr is masked; any
text that leaves a notifier (result details, log lines) goes through `redact` first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import SecretStr

_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
MASK = "***"


class MissingEnvironmentVariable(ValueError):
    """A `${VAR}` reference to a variable that is unset and has no default."""


def expand(text: str, env: Mapping[str, str]) -> str:
    """Replace `${VAR}` and `${VAR:-default}` with values from `env`; `$${` escapes."""
    def substitute(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        value = env.get(name)
        if value is None or (value == "" and default is not None):
            if default is None:
                raise MissingEnvironmentVariable(
                    f"${{{name}}} is not set in the environment; export {name}, or give a "
                    f"default as ${{{name}:-...}}")
            return default
        return value

    parts = text.split("$${")
    return "${".join(_REFERENCE.sub(substitute, part) for part in parts)


def expand_all(value: Any, env: Mapping[str, str], path: str = "") -> Any:
    """`expand` applied to every string inside nested dicts and lists; errors name the key."""
    if isinstance(value, str):
        try:
            return expand(value, env)
        except MissingEnvironmentVariable as exc:
            raise MissingEnvironmentVariable(f"{path}: {exc}" if path else str(exc)) from None
    if isinstance(value, dict):
        return {key: expand_all(item, env, f"{path}.{key}" if path else str(key))
                for key, item in value.items()}
    if isinstance(value, list):
        return [expand_all(item, env, f"{path}[{index}]") for index, item in enumerate(value)]
    return value


_URL_PARTS = re.compile(r"^[a-z][a-z0-9+.-]*://[^/?#]*(?P<rest>[/?#].*)?$", re.IGNORECASE)
_TOKENISH = 12


def fragments(secret: str) -> list[str]:
    """The pieces of a secret that may show up on their own: for a URL (a webhook URL is a
    credential) its path and query, and each long path segment or query value, since
    receivers echo paths in error pages."""
    found = [secret]
    match = _URL_PARTS.match(secret)
    if match and match.group("rest"):
        rest = match.group("rest")
        found.append(rest)
        found.extend(piece for piece in re.split(r"[/?#&=]", rest) if len(piece) >= _TOKENISH)
    return found


def redact(text: str, secrets: Iterable[str | SecretStr | None]) -> str:
    """`text` with every occurrence of every (non-trivial) secret replaced by a mask."""
    values = []
    for secret in secrets:
        raw = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
        if raw and len(raw) >= 4:
            values.extend(fragments(raw))
    # Longest first, so a secret that contains another is masked whole.
    for raw in sorted(values, key=len, reverse=True):
        text = text.replace(raw, MASK)
    return text

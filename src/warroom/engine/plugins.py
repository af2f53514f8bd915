"""Finds the engine plugins: every module named `engine_hooks` in a warroom subpackage.

Such a module registers timer handlers (`timers.handler`) and periodic passes
(`worker.periodic`) when imported, and may define `install(runtime)` to add runtime hooks
(e.g. an in-transaction hook that schedules timers for new events)."""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType
from typing import TYPE_CHECKING

import warroom

if TYPE_CHECKING:
    from warroom.runtime import Runtime

_loaded: list[ModuleType] | None = None


def plugin_modules() -> list[ModuleType]:
    global _loaded
    if _loaded is None:
        found = []
        for info in sorted(pkgutil.iter_modules(warroom.__path__), key=lambda m: m.name):
            if not info.ispkg:
                continue
            name = f"warroom.{info.name}.engine_hooks"
            if importlib.util.find_spec(name) is not None:
                found.append(importlib.import_module(name))
        _loaded = found
    return _loaded


def install(runtime: Runtime) -> None:
    """Import every plugin and let it hook into this runtime (once per runtime)."""
    if runtime.extras.get("plugins_installed"):
        return
    for module in plugin_modules():
        hook = getattr(module, "install", None)
        if hook is not None:
            hook(runtime)
    runtime.extras["plugins_installed"] = True

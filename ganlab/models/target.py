"""The user's models: import what ``model.generator`` / ``model.discriminator`` name, and call it.

Two spellings: ``"pkg.module:factory"`` (called as ``factory(config)`` with ganlab's whole config) and a
mapping ``{_target_: pkg.module.Name, key: value, ...}`` (called as ``Name(key=value, ...)``, Hydra's
``instantiate`` without recursion). The current folder and the config file's folder are importable, as
``python -m`` would make them (``add_code_roots``). A missing module, a missing name or a keyword the
callable does not take is a one-line ``ConfigError`` naming the key and what would fit.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ganlab.config import GanlabConfig
from ganlab.config.schema import TARGET_KEY
from ganlab.errors import ConfigError


def add_code_roots(*folders: str | Path) -> None:
    """Put ``folders`` (and the current folder) at the front of ``sys.path`` once each, so the user's
    package imports as it does under ``python -m`` (a console script's ``sys.path[0]`` is its bin folder).
    Spawned sweep workers inherit ``sys.path``."""
    for folder in (*folders, os.getcwd()):
        path = str(Path(folder).resolve())
        if path not in sys.path:
            sys.path.insert(0, path)


@dataclass(frozen=True)
class Target:
    """What one model key names: the module, the attribute, the keyword arguments (None = ``factory(config)``)."""

    key: str  # "model.generator"
    module: str
    attr: str
    kwargs: dict[str, Any] | None

    @property
    def path(self) -> str:
        return f"{self.module}.{self.attr}" if self.kwargs is not None else f"{self.module}:{self.attr}"


def parse_target(key: str, value: str | dict[str, Any]) -> Target:
    """``"pkg.mod:make"`` or ``{_target_: pkg.mod.Name, ...}`` -> ``Target`` (the config validated the syntax)."""
    if isinstance(value, str):
        module, _, attr = value.partition(":")
        return Target(key, module, attr, None)
    path = str(value[TARGET_KEY])
    module, attr = path.split(":") if ":" in path else path.rsplit(".", 1)
    return Target(key, module, attr, {k: v for k, v in value.items() if k != TARGET_KEY})


def model_targets(config: GanlabConfig) -> list[Target]:
    """The import paths of a config's user code (G and D), in key order; empty for ganlab's DCGAN."""
    keys = (("model.generator", config.model.generator), ("model.discriminator", config.model.discriminator))
    return [parse_target(key, value) for key, value in keys if value is not None]


def import_module(target: Target) -> Any:
    try:
        return importlib.import_module(target.module)
    except ModuleNotFoundError as err:
        missing = err.name or target.module
        searched = "the current folder, the config file's folder and the installed packages"
        raise ConfigError(f"{target.key}: cannot import module '{target.module}' (no module named '{missing}'; "
                          f"searched {searched})") from None
    except Exception as err:  # noqa: BLE001 - the user's module failed while importing: say so in one line
        raise ConfigError(f"{target.key}: importing '{target.module}' raised {type(err).__name__}: "
                          f"{str(err).splitlines()[0] if str(err) else ''}") from None


def resolve(target: Target) -> Callable[..., Any]:
    """The callable ``target`` names, imported."""
    module = import_module(target)
    obj = getattr(module, target.attr, None)
    if not callable(obj):
        names = [n for n in vars(module) if not n.startswith("_") and callable(getattr(module, n))]
        close = difflib.get_close_matches(target.attr, names, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else f" (callables there: {', '.join(sorted(names)[:8])})"
        raise ConfigError(f"{target.key}: module '{target.module}' has no callable '{target.attr}'{hint}")
    return obj


def check_kwargs(target: Target, obj: Callable[..., Any]) -> None:
    """A one-line ConfigError when ``obj`` cannot be called with ``target.kwargs`` (an unknown or missing keyword)."""
    try:
        signature = inspect.signature(obj)
    except (TypeError, ValueError):
        return  # a builtin without a signature: calling it will tell
    params = [p for p in signature.parameters.values() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    takes_any = any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values())
    valid = ", ".join(p.name for p in params) or "no keyword arguments"
    kwargs = target.kwargs or {}
    for name in kwargs:
        if not takes_any and name not in {p.name for p in params if p.kind is not p.POSITIONAL_ONLY}:
            close = difflib.get_close_matches(name, [p.name for p in params], n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise ConfigError(f"{target.key}.{name}: {target.path} takes no argument '{name}'{hint} (valid: {valid})")
    missing = [p.name for p in params if p.default is p.empty and p.name not in kwargs
               and p.kind is not p.POSITIONAL_ONLY]
    if missing:
        raise ConfigError(f"{target.key}: {target.path} needs {', '.join(repr(m) for m in missing)}; add "
                          f"{target.key}.{missing[0]}: VALUE (its arguments: {valid})")


def instantiate(target: Target, config: GanlabConfig) -> Any:
    """Call what ``target`` names: ``factory(config)``, or ``Name(**kwargs)`` after checking the keywords."""
    obj = resolve(target)
    if target.kwargs is None:
        return obj(config)
    check_kwargs(target, obj)
    return obj(**target.kwargs)

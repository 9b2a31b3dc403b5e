"""Load a ``GanlabConfig`` from YAML, apply ``--set`` overrides, and report errors in one line.

Errors name the file and line, the key, the allowed values and the closest valid key.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from ganlab.config.schema import GanlabConfig
from ganlab.errors import ConfigError

Lines = dict[tuple[str, ...], int]


def _key_lines(text: str) -> Lines:
    """Map each dotted key path in a YAML document to its 1-based line number."""
    lines: Lines = {}

    def walk(node: yaml.Node, prefix: tuple[str, ...]) -> None:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                path = (*prefix, str(key_node.value))
                lines[path] = key_node.start_mark.line + 1
                walk(value_node, path)

    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
        return lines
    if root is not None:
        walk(root, ())
    return lines


def read_yaml(path: str | Path) -> tuple[dict[str, Any], Lines]:
    """Read a YAML mapping and its key lines; a missing file or bad YAML is a ConfigError."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such config file")
    text = path.read_text()
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise ConfigError(f"{where}: invalid YAML: {problem}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of config sections, got {type(data).__name__}")
    return data, _key_lines(text)


def _fields_at(model: type[BaseModel], path: tuple[str | int, ...]) -> list[str]:
    """Valid field names of the (sub)model found at ``path`` (empty if ``path`` is not a model)."""
    for part in path:
        field = model.model_fields.get(str(part))
        annotation = field.annotation if field else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        model = annotation
    return list(model.model_fields)


def _format_error(
    err: Mapping[str, Any], source: str, lines: Lines, origin: Mapping[tuple[str, ...], str]
) -> str:
    loc = tuple(str(p) for p in err["loc"])
    dotted = ".".join(loc)
    line = None
    for depth in range(len(loc), 0, -1):
        if loc[:depth] in lines:
            line = lines[loc[:depth]]
            break
    overridden = [o for key, o in origin.items() if key[: len(loc)] == loc or loc[: len(key)] == key]
    where = overridden[0] if overridden else (f"{source}:{line}" if line else source)
    if err["type"] == "extra_forbidden":
        valid = _fields_at(GanlabConfig, loc[:-1])
        close = difflib.get_close_matches(loc[-1], valid, n=1, cutoff=0.5)
        hint = f"; did you mean '{'.'.join((*loc[:-1], close[0]))}'?" if close else ""
        return f"{where}: unknown key '{dotted}'{hint} (valid keys here: {', '.join(valid)})"
    message = str(err["msg"]).removeprefix("Value error, ")
    return f"{where}: {dotted} = {err.get('input')!r}: {message}"


def flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"model": {"nz": 8}, "train.steps": 5}`` -> ``{"model.nz": 8, "train.steps": 5}``."""
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(flatten(value, f"{dotted}."))
        else:
            flat[dotted] = value
    return flat


def _set_dotted(data: dict[str, Any], dotted: str, value: Any) -> None:
    node = data
    *parents, leaf = dotted.split(".")
    for part in parents:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[leaf] = value


def parse_set_args(items: Iterable[str]) -> dict[str, Any]:
    """Turn ``["model.batchnorm=none", "train.steps=10"]`` into ``{dotted key: YAML-parsed value}``."""
    overrides: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set {item!r}: expected KEY=VALUE, for example --set model.batchnorm=none")
        try:
            overrides[key.strip()] = yaml.safe_load(raw) if raw.strip() else None
        except yaml.YAMLError:
            raise ConfigError(f"--set {item!r}: the value is not valid YAML") from None
    return overrides


def validate(
    data: Mapping[str, Any],
    source: str = "<config>",
    lines: Lines | None = None,
    overrides: Mapping[str, Any] | None = None,
    override_origin: str = "--set",
) -> GanlabConfig:
    """Validate raw config data plus dotted overrides; the first problem becomes a one-line ConfigError."""
    merged = _deep_copy(data)
    origin: dict[tuple[str, ...], str] = {}
    for dotted, value in (overrides or {}).items():
        _set_dotted(merged, dotted, value)
        origin[tuple(dotted.split("."))] = f"{override_origin} {dotted}"
    try:
        return GanlabConfig.model_validate(merged)
    except ValidationError as err:
        first = err.errors()[0]
        raise ConfigError(_format_error(first, source, lines or {}, origin)) from None


def load_config(path: str | Path, overrides: Mapping[str, Any] | None = None) -> GanlabConfig:
    """Load and validate a run config; ``overrides`` maps dotted keys to values (from ``--set``)."""
    data, lines = read_yaml(path)
    return validate(data, str(path), lines, overrides)


def apply_overrides(config: GanlabConfig, overrides: Mapping[str, Any], origin: str = "--set") -> GanlabConfig:
    """A new frozen config with dotted overrides applied and validated."""
    return validate(config_to_dict(config), "<config>", None, overrides, origin)


def config_to_dict(config: GanlabConfig) -> dict[str, Any]:
    """Plain YAML/JSON-safe dict with every default filled in (tuples become lists)."""
    return config.model_dump(mode="json")


def dump_config(config: GanlabConfig) -> str:
    return yaml.safe_dump(config_to_dict(config), sort_keys=False)


def _deep_copy(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _deep_copy(v) if isinstance(v, Mapping) else v for k, v in data.items()}

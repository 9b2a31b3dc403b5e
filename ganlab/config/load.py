"""Load a ``GanlabConfig`` from YAML, apply ``--set`` overrides, and report errors in one line.

Errors name the file and line, the key, the allowed values and the closest valid key. YAML is read by
``ganlab.config.yamlfile`` (strict and bounded); pydantic errors are worded by ``ganlab.config.messages``.
Registry names (datasets, losses) are checked by the layer that builds runs (``ganlab.train.load``), where
the registries are in reach: the config imports neither ``ganlab.data`` nor torch.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from ganlab.config.messages import bare, format_validation_error, line_of, quote
from ganlab.config.schema import GanlabConfig
from ganlab.config.yamlfile import Lines, parse_yaml, read_yaml
from ganlab.errors import ConfigError, CrossFieldError
from ganlab.io import atomic_write_text
from ganlab.schema import CONFIG_YAML


def _fields_at(model: type[BaseModel], path: tuple[str, ...]) -> list[str]:
    """Valid field names of the (sub)model found at ``path`` (empty if ``path`` is not a model)."""
    for part in path:
        field = model.model_fields.get(str(part))
        annotation = field.annotation if field else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        model = annotation
    return list(model.model_fields)


def config_keys(path: tuple[str, ...]) -> list[str]:
    """The run-config keys allowed under ``path`` (``()`` for the top level)."""
    return _fields_at(GanlabConfig, path)


def key_location(loc: tuple[str, ...], source: str = "<config>", lines: Lines | None = None,
                 origin: Mapping[tuple[str, ...], str] | None = None) -> str:
    """Where the value at ``loc`` came from: the override that set it, else ``source:line``, else ``source``."""
    line = line_of(loc, lines or {})
    return (origin or {}).get(loc) or (f"{source}:{line}" if line else source)


def override_origins(overrides: Mapping[str, Any] | None, override_origin: str = "--set") -> dict[tuple[str, ...], str]:
    """Each key path an override sets -> how an error names it (``--set train.loss``)."""
    return {tuple(key.split(".")): f"{override_origin} {bare(key)}"
            for dotted, value in (overrides or {}).items() for key in flatten({dotted: value})}


class RepeatedKeyError(ConfigError):
    """One key given twice in a mapping of dotted keys: ``{model.nz: 9, model: {nz: 10}}``."""

    def __init__(self, key: str) -> None:
        super().__init__(f"key {quote(key)} is given twice (once dotted, once nested, or a section and a key in "
                         "it); keep one of them")
        self.key = key


def flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"model": {"nz": 8}, "train.steps": 5}`` -> ``{"model.nz": 8, "train.steps": 5}``.

    Raises ``RepeatedKeyError`` when two spellings name one key (``model.nz`` and ``model: {nz}``), or a
    section is set whole next to a key inside it (``model: 5`` and ``model.nz``): the YAML reader catches
    a key repeated verbatim, but only this merge sees these, and a silent last-one-wins is a wrong run.
    """
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        dotted = f"{prefix}{key}"
        parts = flatten(value, f"{dotted}.") if isinstance(value, Mapping) and value else {dotted: value}
        for leaf, leaf_value in parts.items():
            if leaf in flat:
                raise RepeatedKeyError(leaf)
            flat[leaf] = leaf_value
    keys = set(flat)
    for leaf in flat:
        parents = leaf.split(".")[:-1]
        for depth in range(1, len(parents) + 1):
            if ".".join(parents[:depth]) in keys:
                raise RepeatedKeyError(".".join(parents[:depth]))
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
            raise ConfigError(f"--set {quote(item)}: expected KEY=VALUE, for example --set model.batchnorm=none")
        try:
            value = parse_yaml(raw, "<value>")[0] if raw.strip() else None
        except ConfigError:
            raise ConfigError(f"--set {quote(item)}: the value is not valid YAML") from None
        if key.strip() in overrides:
            raise ConfigError(f"--set {bare(key.strip())} is given twice; keep one of them")
        overrides[key.strip()] = value
    return overrides


def validate(
    data: Mapping[str, Any],
    source: str = "<config>",
    lines: Lines | None = None,
    overrides: Mapping[str, Any] | None = None,
    override_origin: str = "--set",
) -> GanlabConfig:
    """Validate raw config data plus dotted overrides; the first problem becomes a one-line ConfigError.

    An override whose value is a mapping sets the keys it names and keeps the others; an empty mapping
    would reset a whole section to its defaults, so it is an error.
    """
    merged = _deep_copy(data)
    try:
        flat_overrides = flatten(overrides or {})
    except RepeatedKeyError as err:
        raise ConfigError(f"{override_origin} {bare(err.key)}: {err}") from None
    for key, leaf in flat_overrides.items():
        if isinstance(leaf, Mapping):
            raise ConfigError(f"{override_origin} {quote(key)}: an empty mapping would reset every key under "
                              "it to its default; set the keys you mean, e.g. {nz: 64}")
        _set_dotted(merged, key, leaf)
    origin = override_origins(overrides, override_origin)
    try:
        config = GanlabConfig.model_validate(merged)
    except ValidationError as err:
        first = err.errors()[0]
        loc = tuple(str(p) for p in first["loc"])
        overridden = [o for key, o in origin.items() if key[: len(loc)] == loc or loc[: len(key)] == key]
        # A rule across sections (no location) may be met by an override not applied yet: say which it was.
        kind = CrossFieldError if not loc else ConfigError
        raise kind(format_validation_error(first, source, lines or {}, config_keys,
                                           where=overridden[0] if overridden else None)) from None
    return config


def load_config(path: str | Path, overrides: Mapping[str, Any] | None = None) -> GanlabConfig:
    """Load and validate a config file; ``overrides`` maps dotted keys to values (from ``--set``).

    Torch-free: dataset and loss names are not looked up (``ganlab.train.load.load_run_config`` does that
    for a config about to be trained).
    """
    data, lines = read_yaml(path, "config file")
    return validate(data, str(path), lines, overrides)


def apply_overrides(config: GanlabConfig, overrides: Mapping[str, Any], origin: str = "--set") -> GanlabConfig:
    """A new frozen config with dotted overrides applied and validated."""
    return validate(config_to_dict(config), "<config>", None, overrides, origin)


def config_to_dict(config: GanlabConfig) -> dict[str, Any]:
    """Plain YAML/JSON-safe dict with every default filled in (tuples become lists)."""
    return config.model_dump(mode="json")


def dump_config(config: GanlabConfig) -> str:
    return yaml.safe_dump(config_to_dict(config), sort_keys=False)


def write_run_config(run_dir: str | Path, config: GanlabConfig) -> None:
    """A run directory's ``config.yaml``: the resolved config, every default filled in, written atomically."""
    atomic_write_text(Path(run_dir) / CONFIG_YAML, dump_config(config))


def _deep_copy(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _deep_copy(v) if isinstance(v, Mapping) else v for k, v in data.items()}

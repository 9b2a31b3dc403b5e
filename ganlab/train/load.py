"""Run configs as training needs them: ``ganlab.config``'s validation, then each registry name checked.

The dataset and loss names are keys of ``ganlab.data.DATASETS`` and ``ganlab.losses.LOSSES``, which sit
above the config (they import torch); this is the lowest layer that reaches both. Errors name the file
and line (or the ``--set`` override) like any other config error.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ganlab.config import GanlabConfig, read_yaml, validate
from ganlab.config.load import key_location, override_origins
from ganlab.config.messages import nearest, quote
from ganlab.config.yamlfile import Lines
from ganlab.data import DATASETS
from ganlab.errors import ConfigError
from ganlab.losses import LOSSES


def registry_names() -> dict[tuple[str, str], list[str]]:
    """Config keys whose value names a registry entry -> the valid names."""
    return {("data", "dataset"): sorted(DATASETS), ("train", "loss"): sorted(LOSSES)}


def check_names(config: GanlabConfig, source: str = "<config>", lines: Lines | None = None,
                origin: Mapping[tuple[str, ...], str] | None = None) -> GanlabConfig:
    """``config``, or a one-line ConfigError when a dataset or loss name is not in its registry."""
    for (section, key), valid in registry_names().items():
        name = getattr(getattr(config, section), key)
        if name in valid:
            continue
        close = nearest(name, valid)
        hint = f"; did you mean {quote(close)}?" if close else ""
        raise ConfigError(f"{key_location((section, key), source, lines, origin)}: {section}.{key} = {quote(name)}: "
                          f"unknown {key}{hint} (valid: {', '.join(valid)})")
    return config


def validate_run(data: Mapping[str, Any], source: str = "<config>", lines: Lines | None = None,
                 overrides: Mapping[str, Any] | None = None, override_origin: str = "--set") -> GanlabConfig:
    """``ganlab.config.validate`` of a config to train, with its dataset and loss names checked."""
    config = validate(data, source, lines, overrides, override_origin)
    return check_names(config, source, lines, override_origins(overrides, override_origin))


def load_run_config(path: str | Path, overrides: Mapping[str, Any] | None = None) -> GanlabConfig:
    """Load a config file to train (``ganlab train``), its names checked; ``overrides`` from ``--set``."""
    data, lines = read_yaml(path, "config file")
    return validate_run(data, str(path), lines, overrides)

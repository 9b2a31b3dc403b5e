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
    """``ganlab.config.validate`` of a config to train, with its dataset and loss names checked.

    A config naming the user's model code makes the current folder and ``source``'s folder importable
    (``ganlab.models.add_code_roots``), as ``python -m`` from there would.
    """
    config = validate(data, source, lines, overrides, override_origin)
    if config.model.generator is not None or config.model.discriminator is not None:
        from ganlab.models import add_code_roots

        add_code_roots(*([Path(source).parent] if Path(source).is_file() else []))
    return check_names(config, source, lines, override_origins(overrides, override_origin))


def _call(target: Any) -> str:
    args = ", ".join(f"{k}={v!r}" for k, v in (target.kwargs or {}).items())
    return f"{target.path}({args})" if target.kwargs is not None else f"{target.path}(config)"


def dry_run_models(config: GanlabConfig) -> list[str]:
    """Build G and D of a resolved config as training would, one forward pass each at the data's shape, and
    say in one line each how they fit (``ganlab train --dry-run``). Anything that fails is one ConfigError."""
    from ganlab.models import build_discriminator_fitted, build_generator_fitted, image_shape, model_targets
    from ganlab.train.rundir import code_identity, run_id

    targets = {t.key: t for t in model_targets(config)}
    c, r, _ = image_shape(config)
    lines = []
    builders = (("model.generator", build_generator_fitted), ("model.discriminator", build_discriminator_fitted))
    for key, build in builders:
        try:
            _, fit = build(config)
        except ConfigError:
            raise
        except Exception as err:  # noqa: BLE001 - the user's constructor failed: one line, exit 2, in a dry run
            text = str(err).strip().splitlines()
            raise ConfigError(f"{key}: building {targets[key].path if key in targets else 'the DCGAN'} raised "
                              f"{type(err).__name__}: {text[0] if text else ''}") from None
        what = _call(targets[key]) if key in targets else "ganlab's DCGAN"
        if key == "model.generator":
            z = f"(N, {config.model.nz}, 1, 1) (ganlab's z (N, nz) is reshaped)" if fit and fit.z_as_image \
                else f"(N, {config.model.nz})"
            lines.append(f"{key}: {what}: takes z {z}, makes images (N, {c}, {r}, {r}) as the data has")
        else:
            out = ("ends in nn.Sigmoid: its probabilities are trained with BCE on them, as nn.BCELoss computes it"
                   if fit and fit.probabilities else "returns logits, one per image")
            lines.append(f"{key}: {what}: {out} (train.loss {config.train.loss})")
    code = ", ".join(f"{k} {v}" for k, v in code_identity(config).items())
    declared = f"; model.code_version {config.model.code_version!r}" if config.model.code_version else ""
    lines.append(f"code in the run id: {code}{declared}; run id {run_id(config)}")
    return lines


def load_run_config(path: str | Path, overrides: Mapping[str, Any] | None = None) -> GanlabConfig:
    """Load a config file to train (``ganlab train``), its names checked; ``overrides`` from ``--set``."""
    data, lines = read_yaml(path, "config file")
    return validate_run(data, str(path), lines, overrides)

"""A Monitor run's generator on disk, as ``ganlab train`` leaves it, so ``ganlab score RUN_DIR`` reads it.

``checkpoint.pt`` holds G's weights (``generator``, the entry ``score`` reads), and ``config.yaml`` says how
to rebuild G (``model.generator``, as in a ganlab config: ``"pkg.module:factory"`` or ``{_target_:
pkg.module.Class, key: value}``), the data it imitates, the seed and the diagnostics settings. Before
anything is written, G is rebuilt from that config and its weights loaded, so a G that ``score`` could not
rebuild is a one-line error here rather than there. ``final_metrics`` are then computed exactly as the
trainer computes them (``final_samples`` of the rebuilt G, ``evaluate(full=True)``), so ``score RUN_DIR``
gives the same numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
import yaml
from torch import Tensor, nn

from ganlab.config import GanlabConfig
from ganlab.config.diagnostics import DiagnosticsConfig
from ganlab.data import ImageDataset
from ganlab.errors import ConfigError
from ganlab.io import atomic_write_text
from ganlab.sampling import (
    draw_z,
    final_samples,
    fixed_stream,
    generate,
    non_finite_samples,
    real_generator,
    save_checkpoint,
    save_grid,
)
from ganlab.sampling.checkpoint import module_state_problem
from ganlab.schema import CONFIG_YAML, sample_path

HEADER = ("# written by ganlab.Monitor for a training loop of its user's: the data, how to rebuild G, the seed\n"
          "# and the diagnostics settings; the loop (D, losses, optimizers) is the user's own and not here\n")


def data_section(data: Any, dataset: ImageDataset, data_range: tuple[float, float]) -> dict[str, Any]:
    """``data:`` of a Monitor's config: where ``score`` finds the same real images (an in-memory array has
    no path: ``score`` then needs ``--dataset``/``--data-path``)."""
    section: dict[str, Any] = {"dataset": dataset.name, "resolution": dataset.resolution,
                               "channels": dataset.channels, "range": list(data_range)}
    if isinstance(data, str | Path) and dataset.name in ("folder", "array"):
        section["path"] = str(Path(data).resolve())
    return section


def generator_config(generator: str | Mapping[str, Any], nz: int | None, seed: int, data: dict[str, Any],
                     diagnostics: DiagnosticsConfig) -> GanlabConfig:
    """The config that rebuilds G, validated (one-line ``ConfigError``)."""
    from ganlab.config.load import validate

    if not isinstance(generator, str | Mapping):
        raise ConfigError(f"Monitor.close generator={generator!r}: give model.generator's spelling, "
                          "'pkg.module:factory' or {'_target_': 'pkg.module.Class', **kwargs}")
    model: dict[str, Any] = {"generator": generator if isinstance(generator, str) else dict(generator)}
    if nz is not None:
        model["nz"] = nz
    raw = {"seed": seed, "data": data, "model": model, "diagnostics": diagnostics.model_dump(mode="json")}
    return validate(raw, "Monitor.close")


def rebuilt(G: nn.Module, config: GanlabConfig) -> nn.Module:
    """G as ``score`` will build it from ``config``, with ``G``'s weights; a ``ConfigError`` when they differ."""
    from ganlab.models import build_generator

    net = build_generator(config)
    weights = {k: v.detach().cpu() for k, v in G.state_dict().items()}
    problem = module_state_problem(weights, net)
    if problem:
        raise ConfigError(f"Monitor.close: G does not match what model.generator {config.model.generator!r} builds "
                          f"({problem}); pass the generator= that built this G")
    net.load_state_dict(weights)
    return net


def write_generator(run_dir: Path, G: nn.Module, config: GanlabConfig, dataset: ImageDataset,
                    step: int) -> dict | None:
    """Write ``checkpoint.pt``, ``config.yaml`` and the sample grid of ``step`` (``output.samples`` images from
    the fixed z stream, as the trainer draws its grids); return the final metrics (None when G's samples hold
    NaN/Inf, as the trainer records it)."""
    from ganlab.metrics.evaluate import evaluate

    net = rebuilt(G, config)
    with torch.no_grad():
        constant, fixed = fixed_stream(config)
        save_grid(generate(net, draw_z(config, config.output.samples, fixed, constant), config.data.range),
                  sample_path(run_dir, step))
        fake: Tensor = final_samples(net, config)
    final = (None if non_finite_samples(fake)
             else evaluate(fake, dataset, full=True, generator=real_generator(config.seed)))
    save_checkpoint(run_dir, {"generator": net.state_dict()})
    text = yaml.safe_dump(config.model_dump(mode="json", exclude={"train", "output"}), sort_keys=False)
    atomic_write_text(run_dir / CONFIG_YAML, HEADER + text)
    return final

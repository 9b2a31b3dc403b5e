"""The tiny configs behind the plugin's fixtures: the paper-faithful DCGAN shrunk to train in seconds on CPU,
at the resolution and channels of the team's data."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ganlab.config import GanlabConfig, apply_overrides, validate

BUILT_IN = {1: "digits", 3: "stacked-digits"}  # the built-in data of each channel count


def tiny_config(run_dir: str | Path, resolution: int = 16, channels: int = 1,
                data: Mapping[str, Any] | None = None, overrides: Mapping[str, Any] | None = None) -> GanlabConfig:
    """Width 32, nz 32, 100 steps of batch 32, an evaluation every 50 steps on 256 samples, runs in ``run_dir``.

    ``data``: the team's data section (e.g. ``{"dataset": "folder", "path": "images"}``), given
    ``resolution`` and ``channels``; by default the built-in digits (1 channel) or stacked-digits (3).
    ``overrides``: dotted keys applied last (``{"model.generator": {...}}``).
    """
    if channels not in BUILT_IN:
        raise ValueError(f"channels={channels!r}: ganlab trains 1- or 3-channel images")
    section = {"dataset": BUILT_IN[channels], **(data or {}), "resolution": resolution, "channels": channels}
    config = validate({
        "data": section,
        "model": {"width": 32, "nz": 32},
        "train": {"steps": 100, "batch_size": 32, "checkpoint_every": 100, "device": "cpu"},
        "diagnostics": {"eval_every": 50, "eval_samples": 256},
        "output": {"dir": str(run_dir), "samples": 16},
    }, "<ganlab_tiny_config>")
    return apply_overrides(config, dict(overrides), origin="ganlab_config") if overrides else config

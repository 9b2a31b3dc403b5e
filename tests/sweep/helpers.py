"""Tiny sweep files: 16x16, width 16, nz 16, batch 16, a few dozen steps, diagnostics off."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

TINY_BASE: dict[str, Any] = {
    "data": {"dataset": "stacked-digits", "resolution": 16},
    "model": {"nz": 16, "width": 16},
    "train": {"steps": 20, "batch_size": 16, "checkpoint_every": 5, "device": "cpu"},
    "diagnostics": {"enabled": False},
    "output": {"samples": 4},
}


def demo_sweep_text(seeds: int) -> str:
    """A two-variant sweep file as text (line numbers matter to the error-message tests)."""
    return f"""\
name: demo
base:
  data: {{dataset: stacked-digits, resolution: 16}}
  model: {{nz: 16, width: 16}}
  train: {{steps: 10, batch_size: 16}}
seeds: {seeds}
variants:
  no-bn:
    model.batchnorm: none
  relu-d:
    model.d_activation: relu
"""


def tiny_sweep(**fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"name": "tiny", "base": copy.deepcopy(TINY_BASE), "seeds": 1, "variants": {}}
    data.update(fields)
    return data


def write_sweep(path: Path, data: dict[str, Any] | str) -> Path:
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))
    return path

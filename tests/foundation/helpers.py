"""Tiny configs that train in well under a second per step on one CPU core."""

from __future__ import annotations

from typing import Any

from ganlab.config import GanlabConfig, validate


def tiny_config(tmp_path: Any = None, **overrides: Any) -> GanlabConfig:
    data = {
        "seed": 0,
        "data": {"dataset": "stacked-digits", "resolution": 16},
        "model": {"width": 16, "nz": 8},
        "train": {"steps": 12, "batch_size": 8, "checkpoint_every": 4, "device": "cpu"},
        "diagnostics": {"enabled": False},
        "output": {"dir": str(tmp_path or "runs"), "samples": 4},
    }
    return validate(data, "<tiny>", None, overrides)

"""Checkpoints: G, D, both optimizers, every RNG state and the log so far, written atomically.

Loaded with ``torch.load(weights_only=True)``: the file holds only tensors and plain containers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from ganlab.io import atomic_path

CHECKPOINT = "checkpoint.pt"


def save_checkpoint(run_dir: str | Path, state: dict[str, Any]) -> None:
    with atomic_path(Path(run_dir) / CHECKPOINT) as tmp:
        torch.save(state, tmp)


def load_checkpoint(run_dir: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any] | None:
    path = Path(run_dir) / CHECKPOINT
    if not path.is_file():
        return None
    return torch.load(path, map_location=map_location, weights_only=True)


def all_finite(*modules: torch.nn.Module) -> str | None:
    """Name of the first parameter or buffer that holds NaN/Inf, or None when all are finite."""
    for prefix, module in zip("GD", modules, strict=False):
        for name, tensor in (*module.named_parameters(), *module.named_buffers()):
            if tensor.is_floating_point() and not torch.isfinite(tensor).all():
                return f"param {prefix}.{name}"
    return None

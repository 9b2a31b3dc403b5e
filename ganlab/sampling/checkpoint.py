"""Checkpoints: G, D, both optimizers, every RNG state, the log so far and the clock, written atomically.

Loaded with ``torch.load(weights_only=True)``: the file holds only tensors and plain containers, so a
hostile file (a pickle bomb) is refused. Any unreadable file is a one-line ``DataError`` naming it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from ganlab.config import GanlabConfig
from ganlab.errors import DataError
from ganlab.io import atomic_path
from ganlab.schema import CHECKPOINT

# What ``ganlab.train.run`` stores: ``Trainer.state()`` plus the log rows and the training time so far.
CHECKPOINT_KEYS = ("step", "generator", "discriminator", "opt_g", "opt_d", "rng", "rows", "time_s")


def save_checkpoint(run_dir: str | Path, state: dict[str, Any]) -> None:
    with atomic_path(Path(run_dir) / CHECKPOINT) as tmp:
        torch.save(state, tmp)


def read_checkpoint(path: str | Path, map_location: str | torch.device = "cpu", *, hint: str = "",
                    keys: tuple[str, ...] = CHECKPOINT_KEYS) -> dict[str, Any]:
    """The checkpoint at ``path`` as a dict holding ``keys`` (default: all of ``CHECKPOINT_KEYS``).

    Raises ``DataError`` (one line naming the file, then ``hint``) when it is truncated, empty, not a
    torch file, refused by ``weights_only`` (arbitrary pickled objects) or not a ganlab checkpoint.
    """
    path = Path(path)
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:  # torch raises many types (EOFError, UnpicklingError, RuntimeError...)
        lines = str(err).strip().splitlines()
        why = lines[0][:200] if lines else type(err).__name__
        raise DataError(f"{path}: unreadable checkpoint ({type(err).__name__}: {why}){hint}") from None
    missing = [k for k in keys if k not in state] if isinstance(state, dict) else list(keys)
    if missing:
        raise DataError(f"{path}: not a ganlab checkpoint (missing {', '.join(missing)}){hint}")
    return state


def load_checkpoint(run_dir: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any] | None:
    """The run's checkpoint to resume from, or None when it has none; a bad one suggests ``--fresh``."""
    path = Path(run_dir) / CHECKPOINT
    if not path.is_file():
        return None
    return read_checkpoint(path, map_location,
                           hint="; delete it or run `ganlab train ... --fresh` to start this run over")


def run_samples(config: GanlabConfig, checkpoint: Path, n: int | None, seed: int | None) -> Tensor:
    """A run's final samples ``(n, C, R, R)`` from its checkpoint's generator, drawn exactly as the trainer
    drew them for ``final_metrics`` (``final_samples``)."""
    from ganlab.models import build_generator
    from ganlab.sampling.streams import final_samples, non_finite_samples

    state = read_checkpoint(checkpoint, keys=("generator",))
    net = build_generator(config)
    try:
        net.load_state_dict(state["generator"])
    except RuntimeError as err:
        first = str(err).splitlines()[1].strip() if "\n" in str(err) else str(err)
        raise DataError(f"{checkpoint}: the generator does not match config.yaml ({first})") from None
    images = final_samples(net, config, n=n, seed=seed)
    bad = non_finite_samples(images)
    if bad:  # zeroed, they would score as plausible gray images; no metric means anything here
        raise DataError(f"{checkpoint.parent}: {bad} of {len(images)} samples of its generator hold NaN or Inf "
                        "(diverged weights?); no metric can be computed from them")
    return images

"""Checkpoints: G, D, both optimizers, every RNG state, the log so far and the clock, written atomically.

Loaded with ``torch.load(weights_only=True)``: the file holds only tensors and plain containers, so a
hostile file (a pickle bomb) is refused. Any unreadable file is a one-line ``DataError`` naming it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from ganlab.config import GanlabConfig
from ganlab.errors import DataError
from ganlab.io import atomic_path
from ganlab.schema import CHECKPOINT

# What ``ganlab.train.run`` stores: ``Trainer.state()`` plus the log rows and the training time so far.
CHECKPOINT_KEYS = ("step", "generator", "discriminator", "opt_g", "opt_d", "rng", "rows", "time_s")
FRESH_HINT = "; delete it or run `ganlab train ... --fresh` to start this run over"


def unreadable(path: str | Path, why: str, hint: str = FRESH_HINT) -> DataError:
    """The one-line error of a checkpoint that cannot be used: ``PATH: unreadable checkpoint (WHY)HINT``."""
    return DataError(f"{path}: unreadable checkpoint ({why}){hint}")


def _shape(value: object) -> str:
    if isinstance(value, Tensor):
        return f"a tensor of shape {tuple(value.shape)} {value.dtype}"
    return type(value).__name__


def module_state_problem(entry: object, module: nn.Module) -> str | None:
    """Why ``entry`` is not a state dict of ``module`` (same keys, tensors of the same shapes and dtypes);
    None when it is. Checked before ``load_state_dict``, which would take a dict of the wrong dtypes or a
    non-dict with an AttributeError."""
    if not isinstance(entry, Mapping):
        return f"a state dict, not {_shape(entry)}"
    expected = module.state_dict()
    missing = [k for k in expected if k not in entry]
    extra = [k for k in entry if k not in expected]
    if missing or extra:
        key = missing[0] if missing else extra[0]
        return (f"{'missing' if missing else 'unexpected'} key {str(key)[:60]!r} "
                f"({len(missing)} missing, {len(extra)} unexpected)")
    for key, want in expected.items():
        got = entry[key]
        if not isinstance(got, Tensor) or got.shape != want.shape or got.dtype != want.dtype:
            return f"{key} is {_shape(got)}, expected {_shape(want)}"
    return None


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
    except Exception as err:  # torch raises many types (EOFError, UnpicklingError, RuntimeError, IsADirectoryError...)
        lines = str(err).strip().splitlines()
        why = lines[0][:200] if lines else type(err).__name__
        raise unreadable(path, f"{type(err).__name__}: {why}", hint) from None
    missing = [k for k in keys if k not in state] if isinstance(state, dict) else list(keys)
    if missing:
        raise unreadable(path, f"not a ganlab checkpoint: missing {', '.join(missing)}", hint)
    return state


def load_checkpoint(run_dir: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any] | None:
    """The run's checkpoint to resume from, or None when it has none; a bad one suggests ``--fresh``."""
    path = Path(run_dir) / CHECKPOINT
    if not path.exists():  # a folder or a device named checkpoint.pt is refused by read_checkpoint, not skipped
        return None
    return read_checkpoint(path, map_location, hint=FRESH_HINT)


def run_samples(config: GanlabConfig, checkpoint: Path, n: int | None, seed: int | None) -> Tensor:
    """A run's final samples ``(n, C, R, R)`` from its checkpoint's generator, drawn exactly as the trainer
    drew them for ``final_metrics`` (``final_samples``)."""
    from ganlab.models import build_generator
    from ganlab.sampling.streams import final_samples, non_finite_samples

    state = read_checkpoint(checkpoint, keys=("generator",), hint=FRESH_HINT)
    net = build_generator(config)
    problem = module_state_problem(state["generator"], net)
    if problem:
        raise unreadable(checkpoint, f"generator: {problem}; it does not match config.yaml")
    net.load_state_dict(state["generator"])
    images = final_samples(net, config, n=n, seed=seed)
    bad = non_finite_samples(images)
    if bad:  # zeroed, they would score as plausible gray images; no metric means anything here
        raise DataError(f"{checkpoint.parent}: {bad} of {len(images)} samples of its generator hold NaN or Inf "
                        "(diverged weights?); no metric can be computed from them")
    return images

"""Sample grids a TensorBoard log holds (``add_image``/``add_images``), scored into the evaluation columns.

Each grid of G's samples is cut into its tiles (``ganlab.diagnostics.sources.grids``) and scored with
``ganlab.metrics.evaluate(full=False)``, the function ``ganlab train`` and ``ganlab.Monitor`` run every
``eval_every`` steps: diversity and duplicate rate against the real data (the same real draw at every
step), and modes where the data has a known reader. The rows land at the grids' steps, so ``mode_collapse``
reads them as it reads a trainer's evaluations, with ``eval_samples`` the grids' tile count.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ganlab.diagnostics.columns import squash
from ganlab.diagnostics.sources.grids import split_grid
from ganlab.diagnostics.sources.tensorboard import decode_image, read_tensorboard_images
from ganlab.errors import DataError
from ganlab.schema import CHEAP_KEYS, EVAL_PREFIX

if TYPE_CHECKING:
    from ganlab.data import ImageDataset

MIN_TILES = 16  # diagnostics.eval_samples' least value: fewer samples say little about collapse
SAMPLE_WORDS = ("fake", "generat", "sample", "gz")  # in the tag of G's samples, as people name it


@dataclass(frozen=True)
class SampleGrids:
    """How to read a log's sample grids: ``data`` the real data (``(N, C, R, R)`` in [-1, 1]; its R is the
    tile size), ``padding`` the grid's (None: 2 or 0, whichever fits), ``tag`` the image tag of G's samples
    (None: the one tag that is not real data), ``seed`` of the real draw the grids are compared with."""

    data: ImageDataset
    padding: int | None = None
    tag: str | None = None
    seed: int = 0


def choose_tag(tags: list[str], wanted: str | None, source: str) -> str:
    """The image tag holding G's samples: ``wanted``, else the only tag not naming real data, else the only
    one of those naming samples (``fake``, ``generated``, ``samples``, ``G(z)``)."""
    if wanted is not None:
        if wanted not in tags:
            raise DataError(f"{source}: no image tag {wanted!r}; it has {', '.join(map(repr, tags))}")
        return wanted
    candidates = [t for t in tags if "real" not in squash(t)]
    named = [t for t in candidates if any(word in squash(t) for word in SAMPLE_WORDS)]
    for found in (candidates, named):
        if len(found) == 1:
            return found[0]
    raise DataError(f"{source}: cannot tell which image tag holds G's samples among {', '.join(map(repr, tags))}; "
                    "name it (--grid-tag TAG)")


def _channels(tiles: np.ndarray, channels: int, source: str) -> np.ndarray:
    """Tiles ``(N, C, R, R)`` with the real data's channel count (TensorBoard stores grey images as RGB)."""
    if tiles.shape[1] == channels:
        return tiles
    if channels == 3:
        return np.repeat(tiles, 3, axis=1)
    if not (tiles == tiles[:, :1]).all():
        raise DataError(f"{source}: colour images, but the real data has 1 channel; pass the data they imitate")
    return tiles[:, :1]


def grid_columns(path: Path, grids: SampleGrids) -> tuple[pd.DataFrame, int]:
    """``step`` and the ``eval_*`` columns of each sample grid in the event directory ``path``, and the
    largest tile count (the sample size of the evaluations). Empty (and 0) when the log has no images."""
    import torch

    from ganlab.metrics.evaluate import evaluate
    from ganlab.sampling import real_generator

    found = read_tensorboard_images(path)
    if not found:
        return pd.DataFrame({"step": pd.Series([], dtype="int64")}), 0
    tag = choose_tag(sorted(found), grids.tag, str(path))
    data, rows, most = grids.data, [], 0
    for step, encoded in found[tag]:
        where = f"{path}: image {tag!r} at step {step}"
        tiles = split_grid(decode_image(encoded, where), data.resolution, grids.padding, where)
        if len(tiles) < MIN_TILES:
            raise DataError(f"{where}: {len(tiles)} tile(s) of {data.resolution}x{data.resolution}; the collapse "
                            f"signals need at least {MIN_TILES} samples per grid (log more)")
        images = torch.from_numpy(_channels(tiles, data.channels, where).astype(np.float32) / 255.0 * 2.0 - 1.0)
        scores = evaluate(images, data, full=False, generator=real_generator(grids.seed))
        rows.append({"step": step, **{f"{EVAL_PREFIX}{k}": np.nan if scores.get(k) is None else float(scores[k])
                                      for k in CHEAP_KEYS}})
        most = max(most, len(tiles))
    return pd.DataFrame(rows), most

"""``gaussian-grid``: a bright blob on one of 25 positions of a 5x5 grid, with small jitter.

The image analogue of the 25-Gaussian 2-D benchmark: 25 known modes, and any image's mode
can be read off analytically (``ganlab.metrics`` does so with a 3-standard-deviation rule).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from ganlab.data.base import ImageDataset

GRID = 5
N_MODES = GRID * GRID


def grid_spacing(resolution: int) -> float:
    """Pixels between neighbouring grid positions."""
    return resolution / (GRID + 1)


def grid_centres(resolution: int) -> np.ndarray:
    """``(25, 2)`` (row, col) pixel coordinates of the mode centres; mode id = 5 * row + col."""
    ticks = (np.arange(GRID) + 1) * grid_spacing(resolution) - 0.5
    rows, cols = np.meshgrid(ticks, ticks, indexing="ij")
    return np.stack([rows.ravel(), cols.ravel()], axis=1)


def jitter_std(resolution: int) -> float:
    """Standard deviation (pixels) of a blob centre around its grid position."""
    return 0.1 * grid_spacing(resolution)


def blob_std(resolution: int) -> float:
    """Width (pixels) of the Gaussian blob."""
    return 0.25 * grid_spacing(resolution)


def render_blobs(centres: Tensor, resolution: int) -> Tensor:
    """Blobs at ``centres`` ``(N, 2)`` (row, col) -> images ``(N, 1, R, R)`` in [-1, 1]."""
    coords = torch.arange(resolution, dtype=torch.float32)
    d_row = (coords[None, :] - centres[:, 0:1]) ** 2  # (N, R)
    d_col = (coords[None, :] - centres[:, 1:2]) ** 2  # (N, R)
    dist2 = d_row[:, :, None] + d_col[:, None, :]  # (N, R, R)
    blob = torch.exp(-dist2 / (2 * blob_std(resolution) ** 2))
    return (blob * 2.0 - 1.0).unsqueeze(1)


class GaussianGridDataset(ImageDataset):
    name = "gaussian-grid"
    channels = 1
    n_modes = N_MODES

    def __init__(self, resolution: int):
        self.resolution = resolution
        self._centres = torch.from_numpy(grid_centres(resolution)).float()

    def sample(self, n: int, generator: torch.Generator, split: str = "train") -> tuple[Tensor, Tensor | None]:
        # Generated data has no finite split: both splits are fresh draws from the same distribution.
        modes = torch.randint(N_MODES, (n,), generator=generator)
        jitter = torch.randn(n, 2, generator=generator) * jitter_std(self.resolution)
        return render_blobs(self._centres[modes] + jitter, self.resolution), modes

    def mode_probs(self) -> np.ndarray | None:
        return np.full(N_MODES, 1.0 / N_MODES)

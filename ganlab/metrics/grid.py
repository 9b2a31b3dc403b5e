"""Modes of ``gaussian-grid`` images, read off analytically (no classifier).

The rule, the image analogue of the 3-standard-deviation rule of the 2-D mixture benchmarks
(Metz et al. 2017, Srivastava et al. 2017):

1. Intensity ``w = (x + 1) / 2`` in [0, 1], minus the image's median (the background level:
   the blob covers a few percent of the pixels), clipped at 0.
2. The blob centre is the intensity-weighted centroid of ``w`` within ``WINDOW`` blob widths of
   the brightest pixel (the window keeps background noise from dragging the centroid).
3. The mode is the nearest grid centre. The sample is high quality, and keeps that mode, only if
   - its centre lies within ``3 * jitter_std`` (Euclidean) of that grid centre, and
   - it looks like one blob: ``||w - b|| <= MAX_RESIDUAL * ||b||`` over the whole image, where
     ``b`` is the ideal blob rendered at the centre. A second blob, a smear, a faint or a noisy
     blob all leave a large residual.
   Otherwise its mode is -1.

Real samples: the jitter is isotropic Gaussian, so P(|jitter| <= 3 std) = 1 - exp(-4.5) = 98.9%
of them are high quality, and all of those are correctly labelled (the grid spacing is 10 jitter
standard deviations, so a 3-std centre cannot be nearer another grid position).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from ganlab.data.gaussian_grid import blob_std, grid_centres, jitter_std, render_blobs

N_STD = 3.0  # high quality: centre within 3 jitter standard deviations of its grid position
WINDOW = 4.0  # centroid window radius, in blob standard deviations
MAX_RESIDUAL = 0.5  # single-blob test: residual norm at most half the ideal blob's norm


@torch.no_grad()
def blob_centres(images: Tensor) -> tuple[Tensor, Tensor]:
    """``(N, C, R, R)`` in [-1, 1] -> blob centres ``(N, 2)`` (row, col) in pixels and residuals ``(N,)``.

    The residual is ``||w - b|| / ||b||`` (steps 1-3 of the module docstring); channels are averaged.
    """
    n, _, r, _ = images.shape
    w = ((images.double().mean(dim=1) + 1.0) / 2.0).clamp(0.0, 1.0)  # (N, R, R)
    w = (w - w.flatten(1).median(dim=1).values[:, None, None]).clamp(min=0.0)
    coords = torch.arange(r, dtype=torch.float64)
    peak = w.flatten(1).argmax(dim=1)
    peak_row, peak_col = (peak // r).double(), (peak % r).double()
    dist2 = ((coords[None, :, None] - peak_row[:, None, None]) ** 2
             + (coords[None, None, :] - peak_col[:, None, None]) ** 2)  # (N, R, R) from the peak
    windowed = w * (dist2 <= (WINDOW * blob_std(r)) ** 2)  # (N, R, R)
    mass = windowed.sum(dim=(1, 2)).clamp(min=1e-12)
    centres = torch.stack([(windowed.sum(dim=2) * coords).sum(dim=1) / mass,
                           (windowed.sum(dim=1) * coords).sum(dim=1) / mass], dim=1)  # (N, 2)
    ideal = (render_blobs(centres.float(), r)[:, 0].double() + 1.0) / 2.0  # (N, R, R) in [0, 1]
    residual = (w - ideal).flatten(1).norm(dim=1) / ideal.flatten(1).norm(dim=1)
    return centres, residual


def read_grid_modes(images: Tensor) -> np.ndarray:
    """``(N, C, R, R)`` in [-1, 1] -> mode ids ``(N,)`` int64 in 0..24 (5 * row + col), -1 if low quality."""
    r = images.shape[-1]
    centres, residual = blob_centres(images)
    grid = torch.from_numpy(grid_centres(r))  # (25, 2)
    dist = torch.cdist(centres, grid)  # (N, 25)
    nearest, modes = dist.min(dim=1)
    good = (nearest <= N_STD * jitter_std(r)) & (residual <= MAX_RESIDUAL)
    return torch.where(good, modes, torch.full_like(modes, -1)).numpy().astype(np.int64)

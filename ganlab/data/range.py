"""The pixel range G and D train on (``data.range``) and the map back to the datasets' [-1, 1].

Every dataset yields images in [-1, 1]; the trainer maps real batches into the configured range, and
everything that reads G's output (evaluation, sample grids, ``ganlab score``) maps it back, so metrics
compare G with the data on one scale whatever range it was trained on.
"""

from __future__ import annotations

from torch import Tensor


def to_data_range(images: Tensor, data_range: tuple[float, float]) -> Tensor:
    """Images in [-1, 1] -> the same images in ``data_range`` ([-1, 1] or [0, 1])."""
    return images if data_range[0] == -1.0 else (images + 1.0) * 0.5


def from_data_range(images: Tensor, data_range: tuple[float, float]) -> Tensor:
    """G's output in ``data_range`` -> [-1, 1], the scale of the datasets and the metrics (not clamped)."""
    return images if data_range[0] == -1.0 else images * 2.0 - 1.0

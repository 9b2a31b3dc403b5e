"""``digits`` and ``stacked-digits``: scikit-learn's shipped 8x8 handwritten digits, nothing downloaded.

``stacked-digits`` stacks three independently drawn digits as R, G and B: 1000 known modes,
mode id = 100 * d_R + 10 * d_G + d_B (the Stacked MNIST construction of Metz et al. 2017,
Srivastava et al. 2017 and Lin et al. 2018, on data that ships with a package).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from ganlab.data.base import SPLITS, ImageDataset

N_CLASSES = 10


@lru_cache(maxsize=8)
def digit_splits(held_out_fraction: float = 0.2) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The fixed stratified split of the 1797 shipped digits.

    Returns ``{"train": (x, y), "held_out": (x, y)}`` with x ``(N, 8, 8)`` float32 in [0, 1]
    and y ``(N,)`` int64 in 0..9. The split never changes for a given fraction.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    bunch = load_digits()
    x = (bunch.images / 16.0).astype(np.float32)
    y = bunch.target.astype(np.int64)
    x_train, x_held, y_train, y_held = train_test_split(
        x, y, test_size=held_out_fraction, stratify=y, random_state=0
    )
    return {"train": (x_train, y_train), "held_out": (x_held, y_held)}


def resize_digits(x: np.ndarray, resolution: int) -> Tensor:
    """``(N, 8, 8)`` in [0, 1] -> ``(N, 1, R, R)`` float32 in [-1, 1] (bilinear)."""
    t = torch.from_numpy(x).unsqueeze(1)
    if resolution != t.shape[-1]:
        t = F.interpolate(t, size=(resolution, resolution), mode="bilinear", align_corners=False)
    return (t.clamp(0.0, 1.0) * 2.0 - 1.0).contiguous()


class DigitsDataset(ImageDataset):
    """Single digits: 1 channel, 10 modes (the digit class)."""

    name = "digits"
    channels = 1
    n_modes = N_CLASSES

    def __init__(self, resolution: int, held_out_fraction: float = 0.2):
        self.resolution = resolution
        splits = digit_splits(held_out_fraction)
        self._images = {s: resize_digits(splits[s][0], resolution) for s in SPLITS}
        self._labels = {s: torch.from_numpy(splits[s][1]) for s in SPLITS}

    def _check_split(self, split: str) -> None:
        if split not in SPLITS:
            raise ValueError(f"unknown split {split!r}; valid: {', '.join(SPLITS)}")

    def sample(self, n: int, generator: torch.Generator, split: str = "train") -> tuple[Tensor, Tensor | None]:
        self._check_split(split)
        idx = torch.randint(len(self._labels[split]), (n,), generator=generator)
        return self._images[split][idx], self._labels[split][idx]

    def class_probs(self) -> np.ndarray:
        counts = np.bincount(self._labels["train"].numpy(), minlength=N_CLASSES).astype(np.float64)
        return counts / counts.sum()

    def mode_probs(self) -> np.ndarray | None:
        return self.class_probs()


class StackedDigitsDataset(DigitsDataset):
    """Three digits stacked as R, G, B: 3 channels, 1000 modes."""

    name = "stacked-digits"
    channels = 3
    n_modes = N_CLASSES**3

    def sample(self, n: int, generator: torch.Generator, split: str = "train") -> tuple[Tensor, Tensor | None]:
        self._check_split(split)
        idx = torch.randint(len(self._labels[split]), (3, n), generator=generator)
        images = torch.cat([self._images[split][idx[c]] for c in range(3)], dim=1)  # (n, 3, R, R)
        digits = self._labels[split][idx]  # (3, n)
        modes = 100 * digits[0] + 10 * digits[1] + digits[2]
        return images, modes

    def mode_probs(self) -> np.ndarray | None:
        p = self.class_probs()
        return np.einsum("i,j,k->ijk", p, p, p).reshape(-1)

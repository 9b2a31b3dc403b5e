"""The dataset interface every built-in and user dataset follows.

All datasets are small enough to sit in memory; batches are drawn by index with a seeded
``torch.Generator``, so a run's data stream is a pure function of its seed.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

SPLITS = ("train", "held_out")


class ImageDataset:
    """Images ``(N, C, R, R)`` in [-1, 1], optionally with integer mode labels.

    Subclasses implement ``sample``. ``n_modes`` is None when the data has no known modes.
    """

    name: str = "dataset"
    channels: int = 3
    resolution: int = 32
    n_modes: int | None = None

    def sample(self, n: int, generator: torch.Generator, split: str = "train") -> tuple[Tensor, Tensor | None]:
        """Draw ``n`` images ``(n, C, R, R)`` float32 in [-1, 1] and their modes ``(n,)`` int64 (or None)."""
        raise NotImplementedError

    def mode_probs(self) -> np.ndarray | None:
        """Reference probability of each mode id ``(n_modes,)``, or None without known modes."""
        return None


class TensorImageDataset(ImageDataset):
    """A fixed set of images held as one tensor (user folders and arrays)."""

    def __init__(self, name: str, images: Tensor, labels: Tensor | None = None, n_modes: int | None = None):
        # images: (N, C, R, R) float32 in [-1, 1]
        self.name = name
        self.images = images
        self.labels = labels
        self.channels = int(images.shape[1])
        self.resolution = int(images.shape[-1])
        self.n_modes = n_modes

    def sample(self, n: int, generator: torch.Generator, split: str = "train") -> tuple[Tensor, Tensor | None]:
        # User data has no held-out split: both splits draw from the same images.
        idx = torch.randint(len(self.images), (n,), generator=generator)
        labels = self.labels[idx] if self.labels is not None else None
        return self.images[idx], labels

    def mode_probs(self) -> np.ndarray | None:
        if self.labels is None or self.n_modes is None:
            return None
        counts = np.bincount(self.labels.numpy(), minlength=self.n_modes).astype(np.float64)
        return counts / counts.sum()

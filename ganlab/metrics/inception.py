"""Inception FID, only from weights already on this machine. Nothing is ever downloaded.

Set ``GANLAB_INCEPTION_WEIGHTS`` to a local copy of the TorchScript Inception-v3 used by
StyleGAN2-ADA and clean-fid (``inception-2015-12-05.pt``, a direct translation of the TensorFlow
FID network): called as ``net(uint8 images (N, 3, H, W), return_features=True) -> (N, 2048)``;
it resizes to 299x299 itself. Without it, Inception FID is skipped: ``frechet``, ``kid`` and
PRDC are then computed in ganlab's own feature spaces (see ``features.py``), which rank models
the same way within a dataset but are not comparable with published FID figures.
"""

from __future__ import annotations

import os
import warnings
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from ganlab.errors import DataError
from ganlab.metrics.frechet import frechet_distance

INCEPTION_ENV = "GANLAB_INCEPTION_WEIGHTS"
BATCH = 64  # Inception at 299x299 is heavy: small batches keep memory bounded


def inception_path() -> Path | None:
    """The weights named by ``$GANLAB_INCEPTION_WEIGHTS``, or None when unset.

    A set variable naming a missing file is a DataError (a typo should not silently skip FID).
    """
    value = os.environ.get(INCEPTION_ENV)
    if not value:
        return None
    path = Path(value).expanduser()
    if not path.is_file():
        raise DataError(f"${INCEPTION_ENV}={value}: no such file (point it at a local "
                        f"inception-2015-12-05.pt, or unset it to skip Inception FID)")
    return path


def skipped_note() -> str:
    """Why Inception FID is not reported and what stands in for it (one line)."""
    return (f"Inception FID skipped: no local Inception weights (set ${INCEPTION_ENV} to a local "
            f"inception-2015-12-05.pt; nothing is downloaded). frechet, kid, precision, recall, density "
            f"and coverage stand in, computed in ganlab's own feature space.")


@lru_cache(maxsize=2)
def _load(path: str) -> torch.jit.ScriptModule:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # torch.jit.load is deprecated, not gone
        return torch.jit.load(path, map_location="cpu").eval()


@torch.no_grad()
def inception_features(images: Tensor, path: Path) -> np.ndarray:
    """``(N, C, H, W)`` in [-1, 1], C = 1 or 3 -> ``(N, 2048)`` float32 pool features."""
    net = _load(str(path))
    out = []
    for start in range(0, len(images), BATCH):
        batch = ((images[start : start + BATCH].float() + 1.0) * 127.5).round().clamp(0, 255).to(torch.uint8)
        if batch.shape[1] == 1:  # grayscale: repeat into RGB, as StyleGAN2-ADA's metrics do
            batch = batch.repeat(1, 3, 1, 1)
        out.append(net(batch, return_features=True).float())
    return torch.cat(out).numpy()


def inception_fid(fake: Tensor, real: Tensor) -> float | None:
    """FID between image sets ``(N, C, H, W)`` and ``(M, C, H, W)`` in [-1, 1]; None without local weights.

    Lower is better. On a CPU this costs seconds per hundred images.
    """
    path = inception_path()
    if path is None:
        return None
    return frechet_distance(inception_features(real, path), inception_features(fake, path))

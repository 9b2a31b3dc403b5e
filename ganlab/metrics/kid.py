"""Kernel Inception Distance (Bińkowski et al. 2018) on any feature space.

KID is the unbiased estimate of MMD^2 between real and generated features under the cubic
polynomial kernel k(x, y) = (x . y / D + 1)^3, averaged over random subsets. Lower is better;
it is ~0 (and can be slightly negative) when both sets come from one distribution.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

# Subsets whose kernel blocks are computed in one batched matmul: fewer, larger ops run much
# faster than many small ones, above all on a busy machine; 10 x 1000 x 1000 float32 is 40 MB.
SUBSETS_PER_BATCH = 10


def _augment(x: np.ndarray) -> Tensor:
    """``(N, D)`` -> ``(N, D + 1)`` float32 rows ``[x / sqrt(D), 1]``, so that x'.y' = x.y / D + 1."""
    x = np.asarray(x, np.float32)
    return torch.from_numpy(np.hstack([x / np.float32(np.sqrt(x.shape[1])), np.ones((len(x), 1), np.float32)]))


def _kernel_sums(a: Tensor, b: Tensor, same: bool) -> Tensor:
    """``a`` ``(B, m, D')``, ``b`` ``(B, n, D')`` -> ``(B,)`` float64 sums of k over all pairs
    (over i != j when ``same``)."""
    k = torch.bmm(a, b.transpose(1, 2)).pow_(3)  # float32: entries O(1-10), ~1e-7 relative error
    # Row sums in float32, their totals in float64: the three MMD terms nearly cancel for matching sets.
    total = k.sum(dim=2).double().sum(dim=1)
    if same:
        total -= k.diagonal(dim1=1, dim2=2).double().sum(dim=1)
    return total


def _mmd2(x: Tensor, y: Tensor) -> Tensor:
    """Unbiased MMD^2 per batch element for augmented ``x`` ``(B, m, D')`` and ``y`` ``(B, n, D')``."""
    m, n = x.shape[1], y.shape[1]
    return (_kernel_sums(x, x, True) / (m * (m - 1)) + _kernel_sums(y, y, True) / (n * (n - 1))
            - 2.0 * _kernel_sums(x, y, False) / (m * n))


def mmd2_unbiased(x: np.ndarray, y: np.ndarray) -> float:
    """Unbiased MMD^2 between ``x`` ``(m, D)`` and ``y`` ``(n, D)`` (m, n >= 2), cubic polynomial kernel."""
    if len(x) < 2 or len(y) < 2:
        raise ValueError(f"unbiased MMD needs at least 2 samples per set, got {len(x)} and {len(y)}")
    return float(_mmd2(_augment(x)[None], _augment(y)[None])[0])


def kid(real: np.ndarray, fake: np.ndarray, n_subsets: int = 100, subset_size: int = 1000,
        seed: int = 0) -> tuple[float, float]:
    """KID between ``real`` ``(N, D)`` and ``fake`` ``(M, D)``: (mean, std) of MMD^2 over subsets.

    Each of ``n_subsets`` draws ``min(subset_size, N, M)`` rows of each set without replacement,
    with ``numpy.random.default_rng(seed)``; the std is the population std (ddof=0) over subsets.
    Lower is better.
    """
    real, fake = np.asarray(real, np.float32), np.asarray(fake, np.float32)
    if real.ndim != 2 or fake.ndim != 2 or real.shape[1] != fake.shape[1]:
        raise ValueError(f"expected features (N, D) and (M, D), got {real.shape} and {fake.shape}")
    m = min(subset_size, len(real), len(fake))
    if m < 2 or n_subsets < 1:
        raise ValueError(f"KID needs at least 2 samples per set and 1 subset, got {m} and {n_subsets}")
    rng = np.random.default_rng(seed)
    draws = [(rng.choice(len(fake), m, replace=False), rng.choice(len(real), m, replace=False))
             for _ in range(n_subsets)]
    fake_t, real_t = _augment(fake), _augment(real)
    values = []
    for start in range(0, n_subsets, SUBSETS_PER_BATCH):
        batch = draws[start : start + SUBSETS_PER_BATCH]
        f_idx = torch.from_numpy(np.stack([f for f, _ in batch]))  # (B, m)
        r_idx = torch.from_numpy(np.stack([r for _, r in batch]))
        values.append(_mmd2(fake_t[f_idx], real_t[r_idx]))
    v = torch.cat(values).numpy()
    return float(v.mean()), float(v.std())

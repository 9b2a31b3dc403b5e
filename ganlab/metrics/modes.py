"""Mode metrics for data with known modes (Stacked MNIST-style evaluation).

Mode ids are integers in ``0..n_modes-1``; ``-1`` marks a sample that belongs to no mode (a
low-quality sample, e.g. a smeared gaussian-grid blob). Such samples count for neither metric.
"""

from __future__ import annotations

import numpy as np

NO_MODE = -1
# Added to the data distribution only where it is 0 and a generated sample falls there, so that
# KL stays finite (and large) for samples in modes the data never produces.
KL_EPS = 1e-10


def _valid(modes: np.ndarray, n_modes: int) -> np.ndarray:
    modes = np.asarray(modes).reshape(-1).astype(np.int64)
    if ((modes < NO_MODE) | (modes >= n_modes)).any():
        raise ValueError(f"mode ids must be -1 (no mode) or in 0..{n_modes - 1}")
    return modes[modes != NO_MODE]


def mode_histogram(modes: np.ndarray, n_modes: int) -> np.ndarray:
    """Counts per mode ``(n_modes,)`` int64 of mode ids ``(N,)``, ignoring -1."""
    return np.bincount(_valid(modes, n_modes), minlength=n_modes)


def modes_covered(modes: np.ndarray, n_modes: int, min_count: int = 1) -> int:
    """Number of distinct modes hit by at least ``min_count`` samples (-1 ignored). Higher is better.

    ``min_count=1`` is the Stacked MNIST convention (a mode counts once any sample lands in it).
    A larger ``min_count`` discounts stray hits, e.g. from a mode classifier's rare errors.
    """
    if min_count < 1:
        raise ValueError(f"min_count must be >= 1, got {min_count}")
    return int((mode_histogram(modes, n_modes) >= min_count).sum())


def reverse_kl(modes: np.ndarray, data_probs: np.ndarray) -> float:
    """KL(generated mode histogram || data mode distribution) in nats, >= 0. Lower is better.

    ``modes`` ``(N,)`` are the generated samples' mode ids; ``data_probs`` ``(n_modes,)`` sums to 1.
    The histogram is over samples with a mode (-1 ignored, as VEEGAN and PacGAN count only
    high-quality samples); NaN when no sample has a mode. Modes the generator never hits contribute
    0 (0 log 0 = 0), so no smoothing of the histogram is needed: a generator covering k of K
    uniform modes evenly scores ln(K / k). ``KL_EPS`` is added only to data modes of probability 0.
    """
    return reverse_kl_counts(mode_histogram(modes, len(data_probs)), data_probs)


def reverse_kl_counts(counts: np.ndarray, data_probs: np.ndarray) -> float:
    """``reverse_kl`` of a histogram ``(n_modes,)`` of non-negative (possibly fractional) counts."""
    q = np.asarray(data_probs, np.float64).reshape(-1)
    if (q < 0).any() or not np.isclose(q.sum(), 1.0, atol=1e-6):
        raise ValueError("data_probs must be a probability vector (non-negative, summing to 1)")
    counts = np.asarray(counts, np.float64).reshape(-1)
    if len(counts) != len(q) or (counts < 0).any():
        raise ValueError("counts must be non-negative, one per mode")
    if counts.sum() == 0:
        return float("nan")
    p = counts / counts.sum()
    hit = p > 0
    q_hit = np.where(q[hit] > 0, q[hit], KL_EPS)
    return max(0.0, float(np.sum(p[hit] * np.log(p[hit] / q_hit))))

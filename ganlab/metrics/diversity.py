"""Sample diversity in feature space: the diversity ratio and the near-duplicate rate.

Both catch mode collapse without known modes. One image repeated gives diversity 0 and
duplicate rate 1; a generator matching the data gives diversity ~1 and duplicate rate ~0.
"""

from __future__ import annotations

import numpy as np

from ganlab.metrics.neighbours import knn_distances, mean_pairwise_distance

# A generated sample is a near-duplicate when its nearest generated neighbour is at most this
# fraction of the median real nearest-neighbour distance.
DUP_FRACTION = 0.1


def diversity_ratio(real: np.ndarray, fake: np.ndarray, max_samples: int = 2000) -> float:
    """Mean pairwise distance of ``fake`` ``(M, D)`` / that of ``real`` ``(N, D)``; >= 0, ~1 is healthy.

    Higher is better up to ~1 (above 1 the samples are more spread than the data, e.g. noise).
    Uses the first ``max_samples`` rows of each set. NaN when the real samples are all identical.
    """
    real_spread = mean_pairwise_distance(real, max_samples)
    if real_spread == 0.0:
        return float("nan")
    return mean_pairwise_distance(fake, max_samples) / real_spread


def distinct_rows(x: np.ndarray) -> np.ndarray:
    """The distinct rows of ``(N, D)``, in their first-seen order (float32).

    Finite datasets are sampled with replacement; a repeated real image is not a neighbour of
    itself, and would give k-NN radii of 0.
    """
    x = np.asarray(x, np.float32)
    _, first = np.unique(x, axis=0, return_index=True)
    return x[np.sort(first)]


def duplicate_threshold(real: np.ndarray, n_fake: int, fraction: float = DUP_FRACTION,
                        real_nearest: np.ndarray | None = None) -> float:
    """``fraction`` x the median nearest-neighbour distance among the distinct real rows.

    Exact repeats are dropped first (see ``distinct_rows``), and only the first ``n_fake`` of
    them are used, so both sets have similar density: nearest-neighbour distances shrink as a
    set grows. ``real_nearest`` may pass those rows' nearest-other distances, already computed.
    """
    rows = distinct_rows(real)[: max(n_fake, 2)]
    if len(rows) < 2:
        return 0.0
    if real_nearest is None or len(real_nearest) != len(rows):
        real_nearest = knn_distances(rows, 1)[:, 0]
    return fraction * float(np.median(real_nearest))


def dup_rate(real: np.ndarray, fake: np.ndarray, fraction: float = DUP_FRACTION, *,
             fake_nearest: np.ndarray | None = None, real_nearest: np.ndarray | None = None) -> float:
    """Fraction in [0, 1] of ``fake`` ``(M, D)``, M >= 2, whose nearest other generated sample lies
    within ``duplicate_threshold(real, M, fraction)``. Lower is better.

    ``fake_nearest`` ``(M,)`` may pass the generated rows' nearest-other distances, and
    ``real_nearest`` those of ``distinct_rows(real)[:M]``, when already computed.
    """
    if fake_nearest is None:
        fake_nearest = knn_distances(np.asarray(fake, np.float32), 1)[:, 0]
    threshold = duplicate_threshold(real, len(fake), fraction, real_nearest)
    return float((fake_nearest <= threshold).mean())

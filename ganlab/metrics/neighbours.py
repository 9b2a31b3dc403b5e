"""Nearest-neighbour distances in feature space, in bounded memory.

k-NN radii come from scikit-learn's brute-force search (exact, chunked, multi-threaded); the
real-versus-generated comparisons that are not k-NN queries stream through ``torch.cdist`` in row
chunks, so 10k x 10k x 1000-D never holds more than one (chunk, M) float32 block in memory.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch

# Rows per distance block: 1024 x 10k float32 is 40 MB.
CHUNK = 1024


def feature_rows(x: np.ndarray, what: str, metric: str, dtype: type = np.float64) -> np.ndarray:
    """``x`` as a non-empty finite ``(N, D)`` array of ``dtype``; a ValueError naming ``metric`` and ``what``
    (``"real"``, ``"generated"``) otherwise."""
    x = np.asarray(x, dtype)
    if x.ndim != 2 or len(x) == 0:
        raise ValueError(f"{metric}: {what} features must be a non-empty (N, D) array, got shape {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError(f"{metric}: {what} features hold NaN or Inf; score finite samples only")
    return x


def knn_distances(x: np.ndarray, k: int) -> np.ndarray:
    """``(N, D)`` -> ``(N, k)`` ascending Euclidean distances to the k nearest *other* rows.

    A point is never its own neighbour, but an exact duplicate of it is (at distance 0).
    """
    from sklearn.neighbors import NearestNeighbors  # deferred: importing sklearn costs ~1 s

    x = np.asarray(x, np.float32)
    if len(x) <= k:
        raise ValueError(f"{k}-nearest neighbours need more than {k} samples, got {len(x)}")
    index = NearestNeighbors(n_neighbors=k, algorithm="brute").fit(x)
    distances, _ = index.kneighbors()  # no query: each row's neighbours excluding itself
    return distances.astype(np.float64)


def cross_distance_blocks(a: np.ndarray, b: np.ndarray, chunk: int = CHUNK) -> Iterator[tuple[slice, np.ndarray]]:
    """Yield ``(rows, d)`` where ``d`` ``(len(rows), M)`` holds distances from ``a[rows]`` to all of ``b``."""
    ta = torch.from_numpy(np.ascontiguousarray(a, np.float32))
    tb = torch.from_numpy(np.ascontiguousarray(b, np.float32))
    for start in range(0, len(ta), chunk):
        rows = slice(start, min(start + chunk, len(ta)))
        # The matmul form (|a|^2 + |b|^2 - 2ab) is what makes this fast; cdist clips it at 0.
        yield rows, torch.cdist(ta[rows], tb, compute_mode="use_mm_for_euclid_dist").numpy()


def mean_pairwise_distance(x: np.ndarray, max_samples: int = 2000) -> float:
    """Mean Euclidean distance over distinct pairs of the first ``max_samples`` rows of ``(N, D)``, N >= 2.

    Rows are i.i.d. draws, so the first ``max_samples`` are an unbiased subset; 2000 rows give
    about 2M pairs, which pins the mean far below the differences the metrics care about.
    """
    x = np.asarray(x, np.float32)[:max_samples]
    n = len(x)
    if n < 2:
        raise ValueError(f"mean pairwise distance needs at least 2 samples, got {n}")
    total = 0.0
    for rows, d in cross_distance_blocks(x, x):
        # Self-distances are 0 by definition; the matmul form leaves round-off there, so zero them.
        d[np.arange(rows.stop - rows.start), np.arange(rows.start, rows.stop)] = 0.0
        total += float(d.sum(dtype=np.float64))
    return total / (n * (n - 1))

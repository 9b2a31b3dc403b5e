"""Precision, recall, density and coverage of generated features against real features.

- precision / recall: Kynkäänniemi et al. (2019), k = 3. Precision is the fraction of generated
  samples inside the real manifold (the union of balls reaching each real sample's k-th nearest
  real neighbour); recall is the fraction of real samples inside the generated manifold.
- density / coverage: Naeem et al. (2020), k = 5. Density counts how many real balls contain each
  generated sample, divided by k (about 1 when the distributions match, can exceed 1); coverage is
  the fraction of real samples whose ball contains at least one generated sample.

All four are higher-is-better. Balls are open (strict ``<``), as in the reference code of Naeem
et al. Inputs are features ``(N, D)`` (real) and ``(M, D)`` (generated), each with more than k rows.
"""

from __future__ import annotations

import numpy as np

from ganlab.metrics.neighbours import CHUNK, cross_distance_blocks, knn_distances

K_PRECISION_RECALL = 3
K_DENSITY_COVERAGE = 5


def _knn(x: np.ndarray, k: int, given: np.ndarray | None) -> np.ndarray:
    if given is None:
        return knn_distances(x, k)
    if given.shape[0] != len(x) or given.shape[1] < k:
        raise ValueError(f"precomputed k-NN distances have shape {given.shape}; need ({len(x)}, >= {k})")
    return given


def prdc(real: np.ndarray, fake: np.ndarray, k_pr: int = K_PRECISION_RECALL,
         k_dc: int = K_DENSITY_COVERAGE, chunk: int = CHUNK, *,
         real_knn: np.ndarray | None = None, fake_knn: np.ndarray | None = None) -> dict[str, float]:
    """``{"precision", "recall", "density", "coverage"}`` in one pass over the real x fake distances.

    Precision and recall use ``k_pr`` neighbours; density and coverage use ``k_dc``. Precision,
    recall and coverage are in [0, 1]; density is in [0, N / k_dc]. ``real_knn`` / ``fake_knn``
    may pass ``knn_distances(real, k)`` / ``knn_distances(fake, k)`` (k at least what is needed)
    already computed for another metric; the result is the same.
    """
    real, fake = np.asarray(real, np.float32), np.asarray(fake, np.float32)
    if real.ndim != 2 or fake.ndim != 2 or real.shape[1] != fake.shape[1]:
        raise ValueError(f"expected features (N, D) and (M, D), got {real.shape} and {fake.shape}")
    real_knn = _knn(real, max(k_pr, k_dc), real_knn)
    # float32 radii, like the distance blocks: comparing against float64 would upcast every block.
    radius_pr = real_knn[:, k_pr - 1].astype(np.float32)  # (N,)
    radius_dc = real_knn[:, k_dc - 1].astype(np.float32)  # (N,)
    fake_radius = _knn(fake, k_pr, fake_knn)[:, k_pr - 1].astype(np.float32)  # (M,)

    in_real_manifold = np.zeros(len(fake), bool)  # precision, per generated sample
    balls_containing = np.zeros(len(fake), np.int64)  # density, per generated sample
    in_fake_manifold = np.zeros(len(real), bool)  # recall, per real sample
    covered = np.zeros(len(real), bool)  # coverage, per real sample
    for rows, d in cross_distance_blocks(real, fake, chunk):  # d: (rows, M)
        in_real_manifold |= (d < radius_pr[rows, None]).any(axis=0)
        balls_containing += (d < radius_dc[rows, None]).sum(axis=0)
        in_fake_manifold[rows] = (d < fake_radius[None, :]).any(axis=1)
        covered[rows] = d.min(axis=1) < radius_dc[rows]
    return {
        "precision": float(in_real_manifold.mean()),
        "recall": float(in_fake_manifold.mean()),
        "density": float(balls_containing.mean() / k_dc),
        "coverage": float(covered.mean()),
    }


def precision_recall(real: np.ndarray, fake: np.ndarray, k: int = K_PRECISION_RECALL) -> tuple[float, float]:
    """Improved precision and recall (Kynkäänniemi et al. 2019), each in [0, 1]."""
    out = prdc(real, fake, k_pr=k, k_dc=k)
    return out["precision"], out["recall"]


def density_coverage(real: np.ndarray, fake: np.ndarray, k: int = K_DENSITY_COVERAGE) -> tuple[float, float]:
    """Density (>= 0, ~1 for matching distributions) and coverage (in [0, 1]) of Naeem et al. (2020)."""
    out = prdc(real, fake, k_pr=k, k_dc=k)
    return out["density"], out["coverage"]

"""Fréchet distance between two feature sets, each summarised by its mean and covariance.

FD = ||mu_r - mu_f||^2 + tr(S_r + S_f - 2 (S_r S_f)^(1/2)) (Heusel et al. 2017, the "F" of FID).
Lower is better; 0 for identical statistics.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import linalg
from threadpoolctl import threadpool_limits

# Ridge added to both covariances when the plain product is singular or its root is not finite.
RIDGE_EPS = 1e-6
# The root is accepted as real when its imaginary part is this small relative to its real part.
IMAG_TOL = 1e-3
SINGLE_THREAD_MAX_DIM = 512
DEAD_VARIANCE = 1e-12  # a feature's variance below this share of the largest one counts as zero


def feature_stats(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(N, D)`` features, N >= 2 -> mean ``(D,)`` and unbiased covariance ``(D, D)``, float64."""
    x = np.asarray(features, dtype=np.float64)
    if x.ndim != 2 or len(x) < 2:
        raise ValueError(f"expected features of shape (N >= 2, D), got {x.shape}")
    return x.mean(axis=0), np.cov(x, rowvar=False).reshape(x.shape[1], x.shape[1])


def _sqrtm(a: np.ndarray) -> tuple[np.ndarray, bool]:
    """Matrix square root and whether it is trustworthy (finite and not flagged singular)."""
    # One BLAS thread up to a few hundred rows: the Schur decomposition gains little from threads
    # there, and OpenBLAS threads spin-wait, which on a busy machine made it ~50x slower.
    threads = 1 if len(a) <= SINGLE_THREAD_MAX_DIM else None
    with warnings.catch_warnings(record=True) as caught, threadpool_limits(limits=threads, user_api="blas"):
        warnings.simplefilter("always", linalg.LinAlgWarning)
        root = linalg.sqrtm(a)
    singular = any(issubclass(w.category, linalg.LinAlgWarning) for w in caught)
    return root, bool(np.isfinite(root).all()) and not singular


def frechet_from_stats(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray,
                       eps: float = RIDGE_EPS, singular: bool = False) -> float:
    """Fréchet distance between N(mu1, sigma1) and N(mu2, sigma2); means ``(D,)``, covariances ``(D, D)``.

    When ``sigma1 @ sigma2`` is singular (fewer samples than dimensions, dead features) or its root is
    not finite, ``eps * I`` is added to both covariances and the whole formula is recomputed with
    them, so identical inputs still give 0 (``singular=True`` says so up front and skips the first
    try). Raises ValueError when the root keeps a significant
    imaginary part (the inputs are then not valid covariances). Always >= 0: round-off below 0 is clipped.
    """
    mu1, mu2 = np.atleast_1d(np.asarray(mu1, np.float64)), np.atleast_1d(np.asarray(mu2, np.float64))
    sigma1, sigma2 = np.atleast_2d(np.asarray(sigma1, np.float64)), np.atleast_2d(np.asarray(sigma2, np.float64))
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape or sigma1.shape != (len(mu1), len(mu1)):
        raise ValueError(f"mismatched statistics: means {mu1.shape}, {mu2.shape}; "
                         f"covariances {sigma1.shape}, {sigma2.shape}")
    # A feature with zero variance (e.g. a dead ReLU unit) makes the product singular for sure:
    # add the ridge at once instead of computing a root that would be thrown away. "Zero" is relative
    # to the largest variance: below DEAD_VARIANCE of it the product's root is round-off, and whether
    # sqrtm flags it then depends on the order of the arguments, which made FD(a, b) != FD(b, a).
    scale = max(float(np.diagonal(sigma1).max()), float(np.diagonal(sigma2).max()), 0.0)
    dead = min(np.diagonal(sigma1).min(), np.diagonal(sigma2).min()) <= DEAD_VARIANCE * scale
    covmean, ok = (None, False) if dead or singular else _sqrtm(sigma1 @ sigma2)
    if not ok:
        ridge = eps * np.eye(len(mu1))
        sigma1, sigma2 = sigma1 + ridge, sigma2 + ridge
        covmean, _ = _sqrtm(sigma1 @ sigma2)
        if not np.isfinite(covmean).all():
            raise ValueError("Fréchet distance: the covariance product has no finite square root, "
                             "even with a ridge; check the features for NaN or Inf")
    assert covmean is not None
    if np.iscomplexobj(covmean):
        scale = max(1.0, float(np.abs(covmean.real).max()))
        if np.abs(covmean.imag).max() > IMAG_TOL * scale:
            raise ValueError(f"Fréchet distance: sqrtm has an imaginary part of "
                             f"{np.abs(covmean.imag).max():.3g}; the covariances are not positive semi-definite")
        covmean = covmean.real
    diff = mu1 - mu2
    value = diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * np.trace(covmean)
    return max(0.0, float(value))


def frechet_distance(real: np.ndarray, fake: np.ndarray, eps: float = RIDGE_EPS) -> float:
    """Fréchet distance between two feature sets ``(N, D)`` and ``(M, D)``, N, M >= 2. Lower is better."""
    # With no more samples than dimensions a covariance has rank < D: singular for sure.
    singular = min(len(real), len(fake)) <= np.shape(real)[1]
    return frechet_from_stats(*feature_stats(real), *feature_stats(fake), eps=eps, singular=singular)
